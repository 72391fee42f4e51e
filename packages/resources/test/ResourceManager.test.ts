import { assert, describe, it } from "@effect/vitest"
import { Admission, Job, Placement, ServerBusy, ToolExecutor } from "@tenfold/executor"
import { Deferred, Effect, Exit, Fiber, Layer, Metric, Scheduler, Scope } from "effect"
import { TestClock } from "effect/testing"
import type { Usage } from "../src/Monitor.ts"
import { ResourceManager, type ResourceManagerOptions } from "../src/ResourceManager.ts"

const search = { name: "search_docs" }
const echo = { name: "echo" }
const base: ResourceManagerOptions = { cores: 2, memoryBudgetMiB: 1000, networkPermits: 8, monitorIntervalMs: 0, tools: { search_docs: { operation: "search" } } }

/** The executor over the manager's admission, and the manager. */
const executorWith = (options: ResourceManagerOptions) =>
  ToolExecutor.layer({ defaultTimeoutMs: 0 }).pipe(Layer.provideMerge(Layer.merge(ResourceManager.layerAdmission(options), Placement.layerInProcess)))

const heldOf = (manager: ResourceManager["Service"]) => manager.pools.pools.map((p) => p.load().active)

/** A run of `search` with `args` that holds its allocation until `release` runs (granted when this returns). */
const holding = (executor: ToolExecutor["Service"], args: unknown = {}) =>
  Effect.gen(function*() {
    const done = yield* Deferred.make<void>()
    const fiber = yield* Effect.forkChild(executor.run(search, args, Deferred.await(done)))
    yield* Effect.yieldNow
    return { fiber, release: Deferred.succeed(done, undefined) }
  })

describe("ResourceManager", () => {
  it.effect("runs tools it does not profile through the counting admission only", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const manager = yield* ResourceManager
      const during = yield* executor.run(echo, {}, Effect.sync(() => ({ tracked: manager.allocations().length, held: heldOf(manager), load: manager.admission.load() })))
      assert.deepStrictEqual(during, { tracked: 0, held: [0, 0, 0], load: { running: 1, queued: 0, capacity: 256 } })
      assert.isUndefined(manager.decide(echo, {}))
      assert.strictEqual(manager.predictor.error().duration.observations, 0)
    }).pipe(Effect.provide(executorWith(base))))

  it.effect("grants a profiled run its predicted allocation, tracks it while it runs, and learns from it", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const manager = yield* ResourceManager
      const { fiber, release } = yield* holding(executor, { limit: 20, priority: "high" })
      const [tracked] = manager.allocations()
      assert.strictEqual(tracked?.job, "search_docs")
      assert.strictEqual(tracked?.allocation.strategy, "performance")
      assert.closeTo(tracked!.allocation.cpu, tracked!.predicted.cpu * 1.5, 1e-9)
      const [cpu, memory, network] = heldOf(manager)
      assert.strictEqual(cpu, Math.ceil(tracked!.allocation.cpu * 100))
      assert.strictEqual(memory, Math.ceil(tracked!.allocation.memoryMiB))
      assert.strictEqual(network, Math.ceil(tracked!.allocation.network))
      yield* release
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(manager.allocations(), [])
      assert.deepStrictEqual(heldOf(manager), [0, 0, 0])
      assert.strictEqual(manager.predictor.error().duration.observations, 1)
      assert.strictEqual(manager.predictor.error().cpu.observations, 1)
    }).pipe(Effect.provide(executorWith(base))))

  it.effect("chooses the strategy per request: high priority → performance, low or cost-sensitive → cost", () =>
    Effect.gen(function*() {
      const manager = yield* ResourceManager
      assert.strictEqual(manager.decide(search, { priority: "high" })?.allocation.strategy, "performance")
      assert.strictEqual(manager.decide(search, {})?.allocation.strategy, "balanced")
      assert.strictEqual(manager.decide(search, { priority: "low" })?.allocation.strategy, "cost")
      assert.strictEqual(manager.decide(search, { cost_sensitive: true })?.allocation.strategy, "cost")
      assert.strictEqual(manager.decide({ name: "thrifty" }, {})?.allocation.strategy, "cost")
      // a CPU-bound job is profiled without hints
      assert.isDefined(manager.decide({ name: "hash", cpuBound: true }, {}))
    }).pipe(Effect.provide(ResourceManager.layer({ ...base, tools: { ...base.tools, thrifty: { costSensitive: true } } }))))

  it.effect("sheds past a pool's queue bound with ServerBusy and a retry hint, runs the queued one after, never fails the holders", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const manager = yield* ResourceManager
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(executor.run(search, {}, Effect.as(Deferred.await(release), "held")))
      yield* Effect.yieldNow
      const queued = yield* Effect.forkChild(executor.run(search, {}, Effect.succeed("queued")))
      yield* Effect.yieldNow
      assert.strictEqual(manager.pools.network.load().queued, 1)
      let ran = 0
      const refused = yield* Effect.flip(executor.run(search, {}, Effect.sync(() => ran++)))
      assert.instanceOf(refused, ServerBusy)
      assert.strictEqual(refused.job, "search_docs")
      assert.strictEqual(refused.retryAfterMs, 1000) // no run has finished yet: the configured hint
      assert.strictEqual(ran, 0)
      yield* Deferred.succeed(release, undefined)
      assert.strictEqual(yield* Fiber.join(holder), "held")
      assert.strictEqual(yield* Fiber.join(queued), "queued")
      assert.deepStrictEqual(heldOf(manager), [0, 0, 0])
      // recovers at once: the next call runs
      assert.strictEqual(yield* executor.run(search, {}, Effect.succeed("again")), "again")
    }).pipe(Effect.provide(executorWith({ ...base, networkPermits: 1, maxQueuedPerPool: 1 }))))

  it.effect("a nested profiled run (a tool calling a tool) never queues for a pool: ServerBusy at once, the queue untouched", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const manager = yield* ResourceManager
      const { fiber: holder, release } = yield* holding(executor)
      const heldByHolder = heldOf(manager)
      let ran = false
      const refused = yield* Effect.flip(executor.run(search, {}, Effect.sync(() => (ran = true))).pipe(Effect.provideService(Job.NestedRun, true)))
      assert.instanceOf(refused, ServerBusy)
      assert.isFalse(ran)
      assert.strictEqual(manager.pools.network.load().queued, 0) // room in the queue, yet not queued
      assert.deepStrictEqual(heldOf(manager), heldByHolder) // the refused run holds nothing
      yield* release
      yield* Fiber.join(holder)
      // with the permits free, a nested run runs
      assert.strictEqual(yield* executor.run(search, {}, Effect.succeed("ran")).pipe(Effect.provideService(Job.NestedRun, true)), "ran")
    }).pipe(Effect.provide(executorWith({ ...base, networkPermits: 1, memoryBudgetMiB: 1000 }))))

  it.effect("a profiled run waiting for a pool and interrupted gives everything back", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const manager = yield* ResourceManager
      const { fiber: holder, release } = yield* holding(executor)
      const waiter = yield* Effect.forkChild(executor.run(search, {}, Effect.void))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(waiter)
      assert.strictEqual(manager.pools.network.load().queued, 0)
      yield* release
      yield* Fiber.join(holder)
      assert.deepStrictEqual(heldOf(manager), [0, 0, 0])
      assert.strictEqual(manager.admission.load().running, 0)
    }).pipe(Effect.provide(executorWith({ ...base, networkPermits: 1 }))))

  it.effect("the monitor loop runs every interval on the Clock, compares use with the allocations and adjusts", () => {
    let usage: Usage = { cpu: 0, memoryMiB: 100 }
    let samples = 0
    const sample = Effect.sync(() => (samples++, usage))
    return Effect.gen(function*() {
      const executor = yield* ToolExecutor
      const manager = yield* ResourceManager
      assert.strictEqual(samples, 1) // the baseline, at start
      yield* TestClock.adjust(9_999)
      assert.isUndefined(manager.lastReading())
      yield* TestClock.adjust(1)
      assert.strictEqual(samples, 2)
      assert.deepStrictEqual(manager.adjustment(), { cpuScale: 1, memoryScale: 1, memoryWithheldMiB: 0 })

      // a run holds its allocation while the process uses four times the CPU granted
      const { fiber: run, release } = yield* holding(executor)
      const granted = manager.allocations()[0]!.allocation
      usage = { cpu: granted.cpu * 4, memoryMiB: 100 + granted.memoryMiB }
      yield* TestClock.adjust(10_000)
      assert.strictEqual(samples, 3)
      const reading = manager.lastReading()!
      assert.deepStrictEqual(reading.allocated, { cpu: granted.cpu, memoryMiB: granted.memoryMiB })
      assert.closeTo(manager.adjustment().cpuScale, 2, 1e-9) // halfway (geometrically) to 4×
      assert.strictEqual(manager.adjustment().memoryScale, 1) // memory use matches its grant
      // new grants are scaled
      const next = manager.decide(search, {})!
      assert.closeTo(next.allocation.cpu, next.predicted.cpu * 2, 1e-9)
      yield* release
      yield* Fiber.join(run)

      // memory the process uses beyond any allocation is withheld from the memory pool, and given back when it goes
      usage = { cpu: 0, memoryMiB: 100 + 300 }
      yield* TestClock.adjust(10_000)
      assert.strictEqual(manager.adjustment().memoryWithheldMiB, 300)
      assert.strictEqual(manager.pools.memory.capacity(), 700)
      usage = { cpu: 0, memoryMiB: 100 }
      yield* TestClock.adjust(10_000)
      assert.strictEqual(manager.pools.memory.capacity(), 1000)
      assert.strictEqual(samples, 5)
    }).pipe(Effect.provide(executorWith({ ...base, monitorIntervalMs: 10_000, sample })))
  })

  it.effect("the monitor loop survives a failing reading and ignores one that is not a number", () => {
    const readings: Array<() => Usage> = [
      () => ({ cpu: 0, memoryMiB: 100 }), // the baseline
      () => {
        throw new Error("cannot read the process")
      },
      () => ({ cpu: Number.NaN, memoryMiB: Number.NaN }),
      () => ({ cpu: 0, memoryMiB: 400 })
    ]
    let samples = 0
    const sample = Effect.sync(() => readings[Math.min(samples++, readings.length - 1)]!())
    return Effect.gen(function*() {
      const manager = yield* ResourceManager
      yield* TestClock.adjust(1000) // the failing reading
      yield* TestClock.adjust(1000) // NaN
      assert.strictEqual(samples, 3)
      assert.strictEqual(manager.pools.memory.capacity(), 1000)
      assert.deepStrictEqual(manager.adjustment(), { cpuScale: 1, memoryScale: 1, memoryWithheldMiB: 0 })
      yield* TestClock.adjust(1000)
      assert.strictEqual(samples, 4) // still running
      assert.strictEqual(manager.pools.memory.capacity(), 700)
    }).pipe(Effect.provide(ResourceManager.layer({ ...base, monitorIntervalMs: 1000, sample })))
  })

  it.live("a profiled run interrupted at any point the scheduler may yield leaves nothing behind: no allocation tracked, no permit or slot held", () =>
    Effect.gen(function*() {
      const manager = yield* ResourceManager
      for (let ops = 2; ops <= 96; ops++) {
        const fiber = yield* Effect.forkChild(manager.admission.admit(search, Effect.never, {}).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, ops)), { startImmediately: true })
        fiber.interruptUnsafe()
        yield* Fiber.await(fiber)
        assert.deepStrictEqual(
          { tracked: manager.allocations().length, held: heldOf(manager), running: manager.admission.load().running },
          { tracked: 0, held: [0, 0, 0], running: 0 },
          `yielding every ${ops} operations`
        )
      }
    }).pipe(Effect.provide(ResourceManager.layer(base))))

  it.effect("the monitor loop ends with the layer's scope", () => {
    let samples = 0
    const sample = Effect.sync(() => (samples++, { cpu: 0, memoryMiB: 100 }))
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(ResourceManager.layer({ ...base, monitorIntervalMs: 1000, sample }), scope)
      yield* TestClock.adjust(3000)
      assert.strictEqual(samples, 4) // the baseline and three steps
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust(10_000)
      assert.strictEqual(samples, 4)
    })
  })

  it.effect("reports its pools under the shared pool gauges and the predictor's error per target", () =>
    Effect.gen(function*() {
      const executor = yield* ToolExecutor
      yield* executor.run(search, {}, Effect.void)
      const snapshot = yield* Metric.snapshot
      const gauge = (id: string, attributes: Record<string, string>) =>
        snapshot.find((m) => m.id === id && JSON.stringify(m.attributes) === JSON.stringify(attributes))
      const value = (id: string, attributes: Record<string, string>) => {
        const m = gauge(id, attributes)
        return m?.type === "Gauge" ? Number(m.state.value) : undefined
      }
      assert.strictEqual(value("tenfold_pool_capacity", { pool: "cpu" }), 2)
      assert.strictEqual(value("tenfold_pool_capacity", { pool: "memory" }), 1000)
      assert.strictEqual(value("tenfold_pool_capacity", { pool: "network" }), 8)
      assert.strictEqual(value("tenfold_pool_active", { pool: "memory" }), 0)
      assert.strictEqual(value("tenfold_pool_queued", { pool: "network" }), 0)
      assert.strictEqual(value("tenfold_predictor_observations", { target: "duration" }), 1)
      assert.isTrue(Number.isFinite(value("tenfold_predictor_mae", { target: "cpu" })))
    }).pipe(Effect.provide(executorWith({ ...base, metrics: true })), Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("provides the executor's Admission", () =>
    Effect.gen(function*() {
      const admission = yield* Admission
      const manager = yield* ResourceManager
      assert.strictEqual(admission, manager.admission)
    }).pipe(Effect.provide(ResourceManager.layerAdmission(base))))
})
