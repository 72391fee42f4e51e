import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Metric } from "effect"
import { TestClock } from "effect/testing"
import { Alerts, check, rules } from "../src/Alerts.ts"
import { RequestMetrics } from "../src/RequestMetrics.ts"
import { Telemetry } from "../src/Telemetry.ts"
import { snapshot } from "./support/snapshot.ts"

/** Telemetry evaluating `Alerts` every 5 s over a 10 s window, logs captured, on a registry of the test's own. */
const withAlerts = <A, E, R>(logs: Array<string>, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provide(
      Telemetry.layer({ windowSeconds: 10, sampleIntervalMs: 1000, alertIntervalMs: 5000 }).pipe(
        Layer.provideMerge(Layer.merge(Alerts.layer({ maxCpu: 0 }), RequestMetrics.layer))
      )
    ),
    Effect.provide(Logger.layer([Logger.make(({ logLevel, message }) => void logs.push(`${logLevel}: ${Array.isArray(message) ? message.join(" ") : String(message)}`))])),
    Effect.provideService(Metric.MetricRegistry, new Map())
  )

const alertGauge = (rule: string) =>
  Effect.map(Metric.snapshot, (all) => {
    const series = all.find((m) => m.id === "tenfold_alert_active" && m.attributes?.rule === rule)
    return series?.type === "Gauge" ? Number(series.state.value) : undefined
  })

const byName = (name: string) => rules().find((r) => r.name === name)!

describe("Alerts", () => {
  it.effect("fires once when a rule breaks, stays quiet while it stays broken, and resolves once it holds again", () => {
    const logs: Array<string> = []
    return withAlerts(logs, Effect.gen(function*() {
      const telemetry = yield* Telemetry
      const call = (yield* RequestMetrics).method("tools/call")
      // 12 s of 5 requests a second taking 300 ms each: the average target (100 ms) breaks
      for (let second = 0; second < 12; second++) {
        for (let i = 0; i < 5; i++) call.record(0.3, false)
        yield* TestClock.adjust("1 second")
      }
      const firing = (yield* telemetry.snapshot).alerts
      assert.deepStrictEqual(firing.map((a) => a.rule).sort(), ["latency_avg"])
      assert.match(firing[0]!.message, /average latency at most 100 ms: now 300/)
      assert.strictEqual(firing[0]!.severity, "warning")
      assert.strictEqual(yield* alertGauge("latency_avg"), 1)
      assert.strictEqual(yield* alertGauge("latency_p95"), 0) // 300 ms is within the p95 target of 500 ms
      assert.deepStrictEqual(logs.filter((l) => l.includes("latency_avg")), ["Warn: alert latency_avg fired: average latency at most 100 ms: now 300"])
      // traffic stops: once the slow requests leave the window there are too few to judge, so it holds
      yield* TestClock.adjust("15 seconds")
      assert.deepStrictEqual((yield* telemetry.snapshot).alerts, [])
      assert.strictEqual(yield* alertGauge("latency_avg"), 0)
      assert.deepStrictEqual(logs.filter((l) => l.includes("latency_avg")), [
        "Warn: alert latency_avg fired: average latency at most 100 ms: now 300",
        "Info: alert latency_avg resolved: average latency at most 100 ms holds again"
      ])
    }))
  })

  it.effect("raises nothing on an idle server, however long it idles", () => {
    const logs: Array<string> = []
    return withAlerts(logs, Effect.gen(function*() {
      const telemetry = yield* Telemetry
      yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual((yield* telemetry.snapshot).alerts, [])
      assert.deepStrictEqual(logs.filter((l) => l.includes("alert")), [])
    }))
  })

  it("checks throughput only while calls wait in a queue, so low traffic alone is not an alert", () => {
    const throughput = byName("throughput")
    const slowTraffic = { count: 50, avgMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, perSecond: 5, successes: 50, failures: 0 }
    assert.isUndefined(check(throughput, snapshot({ requests: slowTraffic })))
    const saturated = snapshot({ requests: slowTraffic, pools: [{ name: "tools", active: 256, capacity: 256, queued: 40, utilisation: 1 }] })
    assert.strictEqual(check(throughput, saturated), 5)
  })

  it("judges the hit rate only with enough lookups, and CPU always", () => {
    const hitRate = byName("cache_hit_rate")
    const tier = (hits: number, misses: number) => ({ tier: "memory", hits, misses, hitRate: hits / (hits + misses), evictionsPerSecond: 0, entries: 0, bytes: 0 })
    assert.isUndefined(check(hitRate, snapshot({ cache: { hitRate: 0.5, missRate: 0.5, tiers: [tier(2, 2)] } })))
    assert.strictEqual(check(hitRate, snapshot({ cache: { hitRate: 0.5, missRate: 0.5, tiers: [tier(50, 50)] } })), 0.5)
    assert.isUndefined(check(hitRate, snapshot({ cache: { hitRate: 0.9, missRate: 0.1, tiers: [tier(90, 10)] } })))
    assert.strictEqual(check(byName("cpu"), snapshot({ process: { ...snapshot().process, cpu: 0.9 } })), 0.9)
    assert.isUndefined(check(byName("cpu"), snapshot()))
  })

  it("takes its targets from configuration; a target of 0 turns its rule off", () => {
    assert.deepStrictEqual(rules().map((r) => [r.name, r.limit]), [["latency_avg", 100], ["latency_p95", 500], ["throughput", 1000], ["cache_hit_rate", 0.8], ["cpu", 0.7]])
    assert.deepStrictEqual(rules({ avgLatencyMs: 20, minRequestsPerSecond: 0, maxCpu: 0 }).map((r) => [r.name, r.limit]), [["latency_avg", 20], ["latency_p95", 500], ["cache_hit_rate", 0.8]])
  })
})
