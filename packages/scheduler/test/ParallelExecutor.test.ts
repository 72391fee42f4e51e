import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { threadId } from "node:worker_threads"
import { InvalidWorkflow, ParallelExecutor, strategyOf, type Task, TaskFailed, TaskTimeout, WorkerPool } from "../src/index.ts"

const executor = ParallelExecutor.layer
const withExecutor = Effect.provide(executor)

/** An I/O task: sleeps `ms` (virtual time), records when it started and ended, answers its id and its inputs. */
const io = (id: string, ms: number, dependencies: ReadonlyArray<string> = [], log?: Array<string>): Task<unknown, never> => ({
  id,
  dependencies,
  run: (inputs) =>
    Effect.gen(function*() {
      log?.push(`start ${id} @${yield* Clock.currentTimeMillis}`)
      yield* Effect.sleep(ms)
      log?.push(`end ${id} @${yield* Clock.currentTimeMillis}`)
      return { id, inputs }
    })
})

/** Runs `effect` to its end while virtual time advances. */
const drive = <A, E>(effect: Effect.Effect<A, E>, ms = 10_000) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

describe("ParallelExecutor", () => {
  it.effect("starts each task as soon as its own dependencies finish, with their values", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const log: Array<string> = []
      // levels: {a 10, b 100} → {c after a, 10} → {d after c, 10}; level by level, c would wait for b
      const results = yield* drive(parallel.run([io("a", 10, [], log), io("b", 100, [], log), io("c", 10, ["a"], log), io("d", 10, ["c"], log)]))
      assert.includeMembers(log, ["start c @10", "start d @20", "end d @30", "end b @100"])
      assert.deepStrictEqual(results.map((r) => r.id), ["a", "c", "d", "b"])
      const d = results.find((r) => r.id === "d")!
      assert.strictEqual(d._tag, "Success")
      assert.deepStrictEqual(d._tag === "Success" ? (d.value as { inputs: unknown }).inputs : undefined, { c: { id: "c", inputs: { a: { id: "a", inputs: {} } } } })
    }).pipe(withExecutor))

  it.effect("rejects cycles, unknown dependencies and malformed DAGs before running anything", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      let ran = 0
      const task = (id: string, dependencies: ReadonlyArray<string> = []): Task<number> => ({ id, dependencies, run: () => Effect.sync(() => ++ran) })
      const reject = (tasks: ReadonlyArray<Task<any, any, any>>, maxTasks?: number) =>
        Effect.flip(parallel.run(tasks as ReadonlyArray<Task<unknown>>, maxTasks === undefined ? {} : { maxTasks }))
      const cycle = yield* reject([task("a", ["c"]), task("b", ["a"]), task("c", ["b"]), task("x")])
      assert.instanceOf(cycle, InvalidWorkflow)
      assert.strictEqual(cycle._tag === "InvalidWorkflow" ? cycle.reason : "", "cycle")
      assert.match(cycle.message, /dependency cycle: "a" → "c" → "b" → "a"/)
      const self = yield* reject([task("a", ["a"])])
      assert.match(self.message, /dependency cycle: "a" → "a"/)
      const unknown = yield* reject([task("a"), task("b", ["a", "zz"])])
      assert.strictEqual(unknown.message, `Invalid workflow: task "b" depends on unknown task "zz"`)
      assert.match((yield* reject([task("a"), task("a")])).message, /two tasks have the id "a"/)
      assert.match((yield* reject([])).message, /at least one task/)
      assert.match((yield* reject([task("a"), task("b"), task("c")], 2)).message, /3 tasks; at most 2/)
      assert.match((yield* reject(Array.from({ length: 1001 }, (_, i) => task(`t${i}`)))).message, /1001 tasks; at most 1000/)
      assert.match((yield* reject([task("x".repeat(257))])).message, /id of 1 to 256 characters/)
      assert.match((yield* reject([{ id: "a" }])).message, /exactly one of run or module/)
      assert.match((yield* reject([task("a", "b" as unknown as Array<string>)])).message, /dependencies must be a list/)
      assert.strictEqual(ran, 0)
    }).pipe(withExecutor))

  it.effect("a timed-out task fails with TaskTimeout; its siblings finish and its dependants are skipped, transitively", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const results = yield* drive(parallel.run([
        { ...io("slow", 1000), timeoutMs: 50 },
        io("sibling", 100),
        io("child", 10, ["slow"]),
        io("grandchild", 10, ["child", "sibling"])
      ]))
      const byId = Object.fromEntries(results.map((r) => [r.id, r]))
      assert.strictEqual(results.length, 4)
      const slow = byId.slow!
      assert.isTrue(slow._tag === "Failure" && slow.error instanceof TaskTimeout && slow.error.message === "Task slow timed out after 50 ms")
      assert.strictEqual(byId.sibling!._tag, "Success")
      assert.deepInclude(byId.child, { _tag: "Skipped", dependency: "slow", reason: `dependency "slow" failed` })
      assert.deepInclude(byId.grandchild, { _tag: "Skipped", dependency: "child", reason: `dependency "child" was skipped` })
    }).pipe(withExecutor))

  it.effect("a failure and a defect stay with their task; siblings are not cancelled", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const results = yield* drive(parallel.run<unknown, string, never>([
        { id: "fails", run: () => Effect.fail("no luck") },
        { id: "dies", run: () => Effect.die(new Error("bug")) },
        {
          id: "throws",
          run: () => {
            throw new Error("thrown while building its Effect")
          }
        },
        io("sibling", 100)
      ]))
      const byId = Object.fromEntries(results.map((r) => [r.id, r]))
      assert.deepInclude(byId.fails, { _tag: "Failure", error: "no luck" })
      const dies = byId.dies!
      assert.isTrue(dies._tag === "Failure" && dies.error instanceof Error && dies.error.message === "Task dies died: bug")
      const throws = byId.throws!
      assert.isTrue(throws._tag === "Failure" && throws.error instanceof Error && throws.error.message === "Task throws died: thrown while building its Effect")
      assert.strictEqual(byId.sibling!._tag, "Success")
    }).pipe(withExecutor))

  it.effect("failFast: the first failure interrupts the others and fails the run", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      let interrupted = false
      const exit = yield* drive(Effect.exit(parallel.run([
        { id: "fails", run: () => Effect.andThen(Effect.sleep(10), Effect.fail("broken")) },
        { id: "long", run: () => Effect.onInterrupt(Effect.sleep(1000), () => Effect.sync(() => void (interrupted = true))) }
      ], { failFast: true })))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
      assert.isTrue(error !== undefined && error._tag === "Fail" && error.error instanceof TaskFailed && error.error.id === "fails")
      assert.isTrue(interrupted)
    }).pipe(withExecutor))

  it.effect("interrupting the run interrupts every running task", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const interrupted: Array<string> = []
      const pending = (id: string, dependencies: ReadonlyArray<string> = []): Task<void> => ({
        id,
        dependencies,
        run: () => Effect.onInterrupt(Effect.never, () => Effect.sync(() => void interrupted.push(id)))
      })
      const fiber = yield* Effect.forkChild(parallel.run([pending("a"), pending("b"), pending("c"), pending("after", ["a"])]))
      yield* TestClock.adjust(10)
      yield* Fiber.interrupt(fiber)
      assert.sameMembers(interrupted, ["a", "b", "c"])
    }).pipe(withExecutor))

  it.effect("streams results in completion order, and a streaming task's items as they come", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const ticks: Task<unknown, never> = {
        id: "ticks",
        streaming: true,
        run: () => Effect.succeed(Stream.range(1, 3).pipe(Stream.mapEffect(() => Effect.andThen(Effect.sleep(15), Clock.currentTimeMillis))))
      }
      const events = yield* drive(Stream.runCollect(parallel.stream([io("a", 30), io("b", 10), io("c", 20), io("after-b", 25, ["b"]), ticks])))
      const order = events.map((e) => `${e._tag}:${e.id}${e._tag === "Item" ? `@${String(e.value)}` : ""}`)
      assert.deepStrictEqual(order, ["Success:b", "Item:ticks@15", "Success:c", "Success:a", "Item:ticks@30", "Success:after-b", "Item:ticks@45", "Success:ticks"])
      const last = events.at(-1)!
      assert.deepStrictEqual(last._tag === "Success" ? last.value : undefined, [15, 30, 45])
    }).pipe(withExecutor))

  it.effect("runs ready tasks by priority under a concurrency bound, and never more at once", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const log: Array<string> = []
      let running = 0
      let most = 0
      const task = (id: string, priority: number): Task<void> => ({
        id,
        priority,
        run: () =>
          Effect.acquireUseRelease(
            Effect.sync(() => (log.push(id), most = Math.max(most, ++running))),
            () => Effect.sleep(10),
            () => Effect.sync(() => void running--)
          )
      })
      yield* drive(parallel.run([task("low", 0), task("high", 5), task("mid", 1), task("high2", 5), task("neg", -1)], { concurrency: 2 }))
      assert.deepStrictEqual(log, ["high", "high2", "mid", "low", "neg"])
      assert.strictEqual(most, 2)
    }).pipe(withExecutor))

  it("auto strategy follows the seed", () => {
    const t = (type: "io" | "cpu" | "mixed", streaming = false): Task => ({ id: type, type, streaming, run: () => Effect.void })
    assert.strictEqual(strategyOf([t("cpu"), t("io", true)]), "streaming")
    assert.strictEqual(strategyOf([t("cpu"), t("cpu"), t("io")]), "cpu_bound")
    assert.strictEqual(strategyOf([t("cpu"), t("io"), t("io")]), "io_bound")
    assert.strictEqual(strategyOf([t("cpu"), t("io"), t("mixed")]), "mixed")
  })
})

describe("ParallelExecutor with a WorkerPool", () => {
  const url = new URL("./fixtures/tasks.ts", import.meta.url).href
  const withPool = Effect.provide(Layer.provideMerge(ParallelExecutor.layer, WorkerPool.layer({ size: 2 })))

  it.live("sends cpu tasks named by module to worker threads, with arguments from their dependencies", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const results = yield* parallel.run([
        { id: "n", run: () => Effect.succeed(6) },
        { id: "square", type: "cpu", dependencies: ["n"], module: { url, export: "square" }, args: (inputs: Record<string, unknown>) => inputs.n },
        { id: "inline", type: "io", module: { url, export: "square" }, args: 3 },
        { id: "broken", type: "cpu", module: { url, export: "fail" }, args: "bad" }
      ])
      const byId = Object.fromEntries(results.map((r) => [r.id, r]))
      const square = byId.square!
      assert.isTrue(square._tag === "Success")
      const value = square._tag === "Success" ? (square.value as unknown as { value: number; threadId: number }) : undefined
      assert.strictEqual(value?.value, 36)
      assert.notStrictEqual(value?.threadId, threadId)
      const inline = byId.inline!
      assert.strictEqual(inline._tag === "Success" ? (inline.value as unknown as { threadId: number }).threadId : -1, threadId) // io: in-process
      const broken = byId.broken!
      assert.isTrue(broken._tag === "Failure" && broken.error instanceof Error && broken.error.message === "bad")
    }).pipe(withPool))

  it.live("a timed-out cpu task stops its worker; interrupting the run stops the others", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      const pool = yield* WorkerPool
      const results = yield* parallel.run<unknown, never, never>([
        { id: "spins", type: "cpu", module: { url, export: "spin" }, args: 60_000, timeoutMs: 200 },
        { id: "quick", type: "cpu", module: { url, export: "square" }, args: 2 }
      ])
      assert.isTrue(results.some((r) => r.id === "spins" && r._tag === "Failure" && r.error instanceof TaskTimeout))
      const fiber = yield* Effect.forkChild(parallel.run<unknown, never, never>([
        { id: "a", type: "cpu", module: { url, export: "spin" }, args: 60_000 },
        { id: "b", type: "cpu", module: { url, export: "spin" }, args: 60_000 }
      ]))
      while (!pool.stats().every((s) => s.busy)) yield* Effect.sleep(5)
      yield* Fiber.interrupt(fiber)
      // both threads were stopped: new tasks answer at once
      const after = yield* Effect.forEach([1, 2], (n) => pool.run({ module: { url, export: "square" }, args: n }), { concurrency: 2 })
      assert.deepStrictEqual(after.map((r) => (r as { value: number }).value), [1, 4])
    }).pipe(withPool))
})
