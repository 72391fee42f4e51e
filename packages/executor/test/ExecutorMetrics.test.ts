import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import { ToolExecutor } from "../src/ToolExecutor.ts"

/** The state of every series of `id` in the registry. */
const series = (id: string) => Effect.map(Metric.snapshot, (all) => all.filter((m) => m.id === id))

const value = (id: string) =>
  Effect.map(series(id), ([m]) => (m === undefined ? undefined : m.type === "Counter" ? Number(m.state.count) : m.type === "Gauge" ? Number(m.state.value) : m.type === "Histogram" ? m.state.count : undefined))

describe("ExecutorMetrics", () => {
  it.effect("records every run's time and failures, quick or slow, and reports admission as the \"tools\" pool", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const job = { name: "t" }
      yield* executor.run(job, {}, Effect.succeed(1))
      yield* Effect.exit(executor.run(job, {}, Effect.fail("no")))
      const slow = yield* Effect.forkChild(executor.run(job, {}, Effect.sleep(500)))
      const stuck = yield* Effect.forkChild(Effect.exit(executor.run(job, {}, Effect.never)))
      yield* Effect.yieldNow
      assert.deepStrictEqual([yield* value("tenfold_pool_active"), yield* value("tenfold_pool_capacity"), yield* value("tenfold_pool_queued")], [2, 2, 0])
      assert.deepStrictEqual((yield* series("tenfold_pool_active"))[0]?.attributes, { pool: "tools" })
      yield* TestClock.adjust(500)
      yield* Fiber.join(slow)
      yield* TestClock.adjust(500) // the stuck run times out
      yield* Fiber.join(stuck)
      assert.strictEqual(yield* value("tenfold_task_duration_seconds"), 4)
      assert.strictEqual(yield* value("tenfold_task_failures_total"), 2)
      assert.strictEqual(yield* value("tenfold_pool_active"), 0)
    }).pipe(
      Effect.provide(ToolExecutor.layerDefault({ metrics: true, defaultTimeoutMs: 1000, maxRunning: 2 })),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))

  it.effect("the run-time series is there from the start and leaves the registry with the executor", () =>
    Effect.gen(function*() {
      const registry = new Map()
      const withExecutor = <A, E>(effect: Effect.Effect<A, E, ToolExecutor>) =>
        effect.pipe(Effect.provide(ToolExecutor.layerDefault({ metrics: true })), Effect.provideService(Metric.MetricRegistry, registry))
      const count = Effect.map(series("tenfold_task_duration_seconds"), (all) => all.map((m) => (m.type === "Histogram" ? m.state.count : -1)))
      assert.deepStrictEqual(yield* withExecutor(count), [0])
      assert.deepStrictEqual(yield* withExecutor(Effect.andThen(ToolExecutor.use((e) => e.run({ name: "t" }, {}, Effect.succeed(1))), count)), [1])
      assert.deepStrictEqual(yield* Effect.provideService(count, Metric.MetricRegistry, registry), [])
    }))

  it.effect("records nothing without metrics", () =>
    Effect.gen(function*() {
      yield* (yield* ToolExecutor).run({ name: "t" }, {}, Effect.succeed(1))
      assert.deepStrictEqual(yield* Metric.snapshot, [])
    }).pipe(Effect.provide(ToolExecutor.layerDefault()), Effect.provideService(Metric.MetricRegistry, new Map())))
})
