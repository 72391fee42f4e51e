import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import { TestClock } from "effect/testing"
import { RequestMetrics } from "../src/RequestMetrics.ts"
import { Telemetry } from "../src/Telemetry.ts"

/** Telemetry (10 s window, a sample a second) with the request recorders, on a registry of the test's own. */
const isolated = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provide(Telemetry.layer({ windowSeconds: 10, sampleIntervalMs: 1000 }).pipe(Layer.provideMerge(RequestMetrics.layer))),
    Effect.provideService(Metric.MetricRegistry, new Map())
  )

const times = (n: number, f: (i: number) => void) => {
  for (let i = 0; i < n; i++) f(i)
}

describe("Telemetry", () => {
  it.effect("reports requests per second, successes and failures over the window", () =>
    isolated(Effect.gen(function*() {
      const telemetry = yield* Telemetry
      const metrics = yield* RequestMetrics
      const call = metrics.method("tools/call")
      const echo = metrics.tool("echo")
      times(40, (i) => {
        call.record(0.002, i % 10 === 0)
        echo.record(0.002, i % 10 === 0)
      })
      times(10, () => metrics.method("ping").record(0.0001, false))
      yield* TestClock.adjust("2 seconds")
      const s = yield* telemetry.snapshot
      assert.strictEqual(s.windowSeconds, 2)
      assert.strictEqual(s.requests.count, 50)
      assert.strictEqual(s.requests.perSecond, 25)
      assert.strictEqual(s.requests.failures, 4)
      assert.strictEqual(s.requests.successes, 46)
      assert.deepStrictEqual(s.methods.map((m) => [m.name, m.count, m.failures]), [["tools/call", 40, 4], ["ping", 10, 0]])
      assert.deepStrictEqual(s.tools.map((t) => [t.name, t.count, t.successes]), [["echo", 40, 36]])
      assert.closeTo(s.tools[0]!.avgMs, 2, 1e-9)
      assert.isAtLeast(s.tools[0]!.p50Ms, 1.5)
      assert.isAtMost(s.tools[0]!.p50Ms, 2.5)
    })))

  it.effect("forgets requests older than the window", () =>
    isolated(Effect.gen(function*() {
      const telemetry = yield* Telemetry
      const call = (yield* RequestMetrics).method("tools/call")
      times(30, () => call.record(0.001, false))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* telemetry.snapshot).requests.count, 30)
      times(10, () => call.record(0.001, false))
      yield* TestClock.adjust("6 seconds") // the first 30 are now more than 10 s old
      const s = yield* telemetry.snapshot
      assert.strictEqual(s.windowSeconds, 10)
      assert.strictEqual(s.requests.count, 10)
      assert.strictEqual(s.requests.perSecond, 1)
      yield* TestClock.adjust("10 seconds")
      const idle = yield* telemetry.snapshot
      assert.strictEqual(idle.requests.count, 0)
      assert.deepStrictEqual(idle.methods, [])
      assert.strictEqual(idle.uptimeSeconds, 21)
    })))

  it.effect("reads cache tiers, pools and executor runs recorded by other packages under the shared names", () =>
    isolated(Effect.gen(function*() {
      const telemetry = yield* Telemetry
      const hits = (tier: string) => Metric.counter("tenfold_cache_hits_total", { attributes: { tier } })
      const misses = (tier: string) => Metric.counter("tenfold_cache_misses_total", { attributes: { tier } })
      // 10 lookups: 6 answered by memory, 2 by redis, 2 by nobody
      yield* Metric.update(hits("memory"), 6)
      yield* Metric.update(misses("memory"), 4)
      yield* Metric.update(hits("redis"), 2)
      yield* Metric.update(misses("redis"), 2)
      yield* Metric.update(Metric.counter("tenfold_cache_evictions_total", { attributes: { tier: "memory" } }), 3)
      yield* Metric.update(Metric.gauge("tenfold_cache_entries", { attributes: { tier: "memory" } }), 42)
      const pool = (name: string) => Metric.gauge(name, { attributes: { pool: "upstream" } })
      yield* Metric.update(pool("tenfold_pool_active"), 3)
      yield* Metric.update(pool("tenfold_pool_capacity"), 4)
      yield* Metric.update(pool("tenfold_pool_queued"), 1)
      // the executor: 4 runs of 10 ms, 1 failed
      const taskDuration = Metric.histogram("tenfold_task_duration_seconds", { boundaries: [0.005, 0.01, 0.02] })
      for (let i = 0; i < 4; i++) yield* Metric.update(taskDuration, 0.01)
      yield* Metric.update(Metric.counter("tenfold_task_failures_total"), 1)
      yield* TestClock.adjust("1 second")
      const s = yield* telemetry.snapshot
      assert.deepStrictEqual(s.tasks, { concurrent: 0, avgCompletionMs: 10, successRate: 0.75 }) // concurrent: the "tools" pool's active runs
      const memory = s.cache.tiers.find((t) => t.tier === "memory")!
      assert.deepStrictEqual([memory.hits, memory.misses, memory.hitRate, memory.evictionsPerSecond, memory.entries], [6, 4, 0.6, 3, 42])
      assert.strictEqual(s.cache.hitRate, 0.8)
      assert.closeTo(s.cache.missRate, 0.2, 1e-12)
      assert.deepStrictEqual(s.pools, [{ name: "upstream", active: 3, capacity: 4, queued: 1, utilisation: 0.75 }])
    })))

  it.effect("samples the process: memory, heap and CPU within their ranges", () =>
    isolated(Effect.gen(function*() {
      const telemetry = yield* Telemetry
      yield* TestClock.adjust("1 second")
      const { process } = yield* telemetry.snapshot
      assert.isAbove(process.rssBytes, 0)
      assert.isAbove(process.heapUsedBytes, 0)
      assert.isAbove(process.memory, 0)
      assert.isAtMost(process.memory, 1)
      assert.isAtLeast(process.cpu, 0)
      assert.isAtMost(process.cpu, 1)
      assert.isAtLeast(process.eventLoop, 0)
      assert.isAtMost(process.eventLoop, 1)
      const gauges = (yield* Metric.snapshot).map((m) => m.id)
      for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_eventloop_utilization_ratio"]) {
        assert.include(gauges, name)
      }
    })))
})
