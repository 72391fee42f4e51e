import { assert, describe, it } from "@effect/vitest"
import { ServerBusy } from "@tenfold/executor"
import { Context, Effect, Exit, Fiber, Layer, Metric, Scope } from "effect"
import { WorkerCrashed, WorkerPool, type WorkerPoolOptions, WorkerTaskFailed } from "../src/index.ts"

const url = new URL("./fixtures/tasks.ts", import.meta.url).href
const task = (name: string, args?: unknown) => ({ module: { url, export: name }, args })

const withPool = (options: WorkerPoolOptions) => Effect.provide(WorkerPool.layer(options))

/** `square(n)`'s value, run on the pool. */
const squared = (pool: WorkerPool["Service"], n: number) => Effect.map(pool.run(task("square", n)), (result) => (result as { value: number }).value)

/** A minute-long spin running on worker 0 (started when this returns). */
const spinning = (pool: WorkerPool["Service"]) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(pool.run(task("spin", 60_000)))
    while (!pool.stats()[0]!.busy) yield* Effect.sleep(5)
    return fiber
  })

describe("WorkerPool", () => {
  it.live("runs a module export on a worker thread and returns its result", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const result = (yield* pool.run(task("square", 7))) as { value: number; threadId: number }
      assert.strictEqual(result.value, 49)
      assert.notStrictEqual(result.threadId, 0) // not the main thread
      assert.strictEqual(yield* pool.run(task("later", 5)), 5)
    }).pipe(withPool({ size: 1 })))

  it.live("runs an export that returns an Effect, and maps its failure", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      assert.strictEqual(yield* pool.run(task("handler", { text: "abc" })), "ABC")
      const failed = yield* Effect.flip(pool.run(task("failing", { text: "xyz" })))
      assert.instanceOf(failed, WorkerTaskFailed)
      assert.strictEqual(failed.message, "cannot handle xyz")
    }).pipe(withPool({ size: 1 })))

  it.live("a throwing task fails with its message; the worker stays", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const failed = yield* Effect.flip(pool.run(task("fail", "bad input")))
      assert.instanceOf(failed, WorkerTaskFailed)
      assert.strictEqual(failed.message, "bad input")
      assert.strictEqual(yield* squared(pool, 3), 9)
      assert.strictEqual(pool.stats()[0]!.crashes, 0)
    }).pipe(withPool({ size: 1 })))

  it.live("unclonable arguments and results, unknown exports and non-functions fail clearly", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const args = yield* Effect.flip(pool.run(task("square", { f: () => 1 })))
      assert.match(args.message, /arguments cannot be sent to a worker thread/)
      const result = yield* Effect.flip(pool.run(task("unclonable")))
      assert.match(result.message, /result cannot be sent back/)
      const missing = yield* Effect.flip(pool.run(task("nope")))
      assert.match(missing.message, /has no export named nope/)
      const constant = yield* Effect.flip(pool.run(task("constant")))
      assert.match(constant.message, /is not a function/)
    }).pipe(withPool({ size: 1 })))

  it.live("a crashed worker fails its task with a clear error and is replaced", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const crashed = yield* Effect.flip(pool.run({ ...task("crash"), name: "crashy" }))
      assert.instanceOf(crashed, WorkerCrashed)
      assert.match(crashed.message, /Worker thread 0 crashed while running crashy: boom in the worker/)
      const exited = yield* Effect.flip(pool.run(task("exit")))
      assert.instanceOf(exited, WorkerCrashed)
      assert.match(exited.message, /exited with code 7/)
      assert.strictEqual(yield* squared(pool, 4), 16)
      assert.strictEqual(pool.stats()[0]!.crashes, 2)
    }).pipe(withPool({ size: 1 })))

  it.live("interrupting a running task terminates its thread, which is replaced", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const fiber = yield* spinning(pool)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber)))
      // the next task runs at once on a fresh thread, not after a minute of spinning
      assert.strictEqual(yield* squared(pool, 5), 25)
      assert.strictEqual(pool.stats()[0]!.crashes, 0)
    }).pipe(withPool({ size: 1 })))

  it.live("a full mailbox refuses the task with ServerBusy; an interrupted queued task is skipped", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const running = yield* spinning(pool)
      const queued = [yield* Effect.forkChild(pool.run(task("square", 1))), yield* Effect.forkChild(pool.run(task("square", 2)))]
      yield* Effect.yieldNow
      assert.strictEqual(pool.stats()[0]!.queued, 2)
      const refused = yield* Effect.flip(pool.run(task("square", 3)))
      assert.instanceOf(refused, ServerBusy)
      yield* Fiber.interrupt(queued[0]!)
      yield* Fiber.interrupt(running)
      const second = (yield* Fiber.join(queued[1]!)) as { value: number }
      assert.strictEqual(second.value, 4)
      assert.strictEqual(pool.stats()[0]!.completed, 2) // the interrupted spin and square(2); square(1) was skipped
    }).pipe(withPool({ size: 1, mailbox: 2 })))

  it.live("spreads tasks over the workers and reports their figures, as stats and as the workers pool's gauges", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      const threads = yield* Effect.forEach([1, 2, 3, 4], () => pool.run(task("spin", 30)), { concurrency: "unbounded" })
      assert.strictEqual(new Set(threads).size, 2)
      const stats = pool.stats()
      assert.deepStrictEqual(stats.map((s) => s.completed), [2, 2])
      const snapshot = yield* Metric.snapshot
      const gauge = (id: string) => {
        const m = snapshot.find((m) => m.id === id && JSON.stringify(m.attributes) === JSON.stringify({ pool: "workers" }))
        return m?.type === "Gauge" ? Number(m.state.value) : undefined
      }
      assert.deepStrictEqual([gauge("tenfold_pool_capacity"), gauge("tenfold_pool_active"), gauge("tenfold_pool_queued")], [2, 0, 0])
      assert.isTrue(stats.every((s) => s.recentMs.length === 2 && s.warm.length === 1 && !s.busy && s.queued === 0))
    }).pipe(withPool({ size: 2 })))

  it.live("closing the pool fails the tasks it still holds", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Layer.buildWithScope(WorkerPool.layer({ size: 1 }), scope).pipe(Effect.map(Context.get(WorkerPool)))
      const running = yield* Effect.forkDetach(pool.run(task("spin", 60_000)))
      const queued = yield* Effect.forkDetach(pool.run(task("square", 2)))
      while (!pool.stats()[0]!.busy) yield* Effect.sleep(5)
      yield* Scope.close(scope, Exit.void)
      for (const fiber of [running, queued]) {
        const failed = yield* Effect.flip(Fiber.join(fiber))
        assert.instanceOf(failed, WorkerCrashed)
        assert.match(failed.message, /the worker pool shut down/)
      }
    }))
})
