import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { ErrorCode, ProtocolError } from "../src/JsonRpc.ts"
import { type Creation, type Task, type TaskControl, type TaskOutcome, Tasks, type TasksOptions } from "../src/Tasks.ts"

const done = (text: string): TaskOutcome => ({ _tag: "Completed", result: { content: [{ type: "text", text }] } })

/** The task of a creation that must have created one. */
const created = (creation: Creation): Task => {
  if (creation._tag !== "Created") return assert.fail("expected a task to be created")
  return creation.task
}

/** Lets other fibers run until the task reaches `status` (at most 100 turns). */
const untilStatus = (tasks: Tasks["Service"], owner: string, taskId: string, status: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && tasks.get(owner, taskId)?.status !== status; i++) yield* Effect.yieldNow
  })

const withTasks = (options: TasksOptions = {}) => Effect.provide(Tasks.layer(options))

/** Work that never ends by itself; `interrupted` is set when its fiber is interrupted. */
const forever = (interrupted: Ref.Ref<boolean>) => () => Effect.onInterrupt(Effect.never, () => Ref.set(interrupted, true))

describe("Tasks", () => {
  it.effect("creates a working task with an unguessable id, visible to its owner only", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const interrupted = yield* Ref.make(false)
      const a = created(yield* tasks.create({ owner: "alice", work: forever(interrupted) }))
      const b = created(yield* tasks.create({ owner: "alice", work: forever(interrupted) }))
      assert.strictEqual(a.status, "working")
      assert.notStrictEqual(a.taskId, b.taskId)
      assert.isAtLeast(a.taskId.length, 24)
      assert.strictEqual(tasks.get("alice", a.taskId)?.taskId, a.taskId)
      assert.isUndefined(tasks.get("mallory", a.taskId))
      assert.isUndefined(yield* tasks.cancel("mallory", a.taskId))
      assert.isUndefined(yield* tasks.update("mallory", a.taskId, {}))
      assert.deepStrictEqual((yield* tasks.list("mallory", undefined)).tasks, [])
      assert.strictEqual(tasks.get("alice", a.taskId)?.status, "working")
    }).pipe(withTasks()))

  it.effect("completes with the work's result; awaitTerminal waits for it", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const gate = yield* Deferred.make<void>()
      const task = created(yield* tasks.create({ owner: "o", work: () => Effect.as(Deferred.await(gate), done("ok")) }))
      const waiter = yield* Effect.forkChild(tasks.awaitTerminal("o", task.taskId))
      assert.strictEqual(tasks.get("o", task.taskId)?.status, "working")
      yield* Deferred.succeed(gate, undefined)
      const awaited = yield* Fiber.join(waiter)
      assert.strictEqual(awaited?.status, "completed")
      assert.deepStrictEqual(awaited?.result, { content: [{ type: "text", text: "ok" }] })
      assert.isAbove(tasks.resultBytes(), 0)
    }).pipe(withTasks()))

  it.effect("a protocol failure fails the task with its error; a defect fails it with -32603", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const failed = created(yield* tasks.create({ owner: "o", work: () => Effect.succeed<TaskOutcome>({ _tag: "Failed", error: { code: -32000, message: "busy" } }) }))
      assert.deepStrictEqual(tasks.get("o", failed.taskId)?.error, { code: -32000, message: "busy" })
      const died = created(yield* tasks.create({ owner: "o", work: () => Effect.die(new Error("bug")) }))
      assert.strictEqual(tasks.get("o", died.taskId)?.status, "failed")
      assert.strictEqual(tasks.get("o", died.taskId)?.error?.code, ErrorCode.InternalError)
    }).pipe(withTasks()))

  it.effect("cancel interrupts the work and settles as cancelled; cancelling a terminal task changes nothing", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const interrupted = yield* Ref.make(false)
      const statuses: Array<string> = []
      const task = created(yield* tasks.create({ owner: "o", work: forever(interrupted), onStatus: (t) => void statuses.push(t.status) }))
      const cancelled = yield* tasks.cancel("o", task.taskId)
      assert.strictEqual(cancelled?.status, "cancelled")
      assert.isTrue(yield* Ref.get(interrupted))
      assert.deepStrictEqual(statuses, ["cancelled"])
      const finished = created(yield* tasks.create({ owner: "o", work: () => Effect.succeed(done("x")) }))
      assert.strictEqual((yield* tasks.cancel("o", finished.taskId))?.status, "completed")
      assert.strictEqual((yield* tasks.awaitTerminal("o", task.taskId))?.status, "cancelled")
    }).pipe(withTasks()))

  it.effect("expires after its TTL (the client's, capped by maxTtlMs): the sweep removes it and interrupts its work", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const interrupted = yield* Ref.make(false)
      const short = created(yield* tasks.create({ owner: "o", ttlMs: 5_000, work: forever(interrupted) }))
      const capped = created(yield* tasks.create({ owner: "o", ttlMs: 10 * 3_600_000, work: () => Effect.succeed(done("kept")) }))
      const byDefault = created(yield* tasks.create({ owner: "o", work: () => Effect.succeed(done("default")) }))
      assert.strictEqual(short.ttlMs, 5_000)
      assert.strictEqual(capped.ttlMs, 60_000)
      assert.strictEqual(byDefault.ttlMs, 30_000)
      yield* TestClock.adjust("4999 millis")
      assert.strictEqual(tasks.get("o", short.taskId)?.status, "working")
      yield* TestClock.adjust("2 seconds")
      assert.isUndefined(tasks.get("o", short.taskId))
      assert.isTrue(yield* Ref.get(interrupted))
      assert.strictEqual(tasks.size(), 2)
      yield* TestClock.adjust("25 seconds")
      assert.strictEqual(tasks.size(), 1)
      assert.isUndefined(tasks.get("o", byDefault.taskId))
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(tasks.size(), 0)
      assert.strictEqual(tasks.resultBytes(), 0)
    }).pipe(withTasks({ defaultTtlMs: 30_000, maxTtlMs: 60_000, sweepIntervalMs: 1000 })))

  it.effect("bounds tasks per owner and in total with -32000 and a retry hint", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const interrupted = yield* Ref.make(false)
      for (let i = 0; i < 2; i++) yield* tasks.create({ owner: "a", ttlMs: 10_000, work: forever(interrupted) })
      const perOwner = yield* Effect.flip(tasks.create({ owner: "a", work: forever(interrupted) }))
      assert.strictEqual(perOwner.code, ErrorCode.ServerBusy)
      assert.include(perOwner.message, "at most 2")
      assert.deepStrictEqual(perOwner.data, { maxTasksPerOwner: 2, retryAfterMs: 10_000 })
      yield* tasks.create({ owner: "b", work: forever(interrupted) })
      const total = yield* Effect.flip(tasks.create({ owner: "c", work: forever(interrupted) }))
      assert.strictEqual(total.code, ErrorCode.ServerBusy)
      assert.include(total.message, "at most 3")
      assert.strictEqual(tasks.size(), 3)
    }).pipe(withTasks({ maxTasks: 3, maxTasksPerOwner: 2 })))

  it.effect("bounds kept results by bytes: a result over the bound fails its task with a clear error", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const big = "x".repeat(2000)
      const first = created(yield* tasks.create({ owner: "o", work: () => Effect.succeed(done(big)) }))
      assert.strictEqual(tasks.get("o", first.taskId)?.status, "completed")
      const second = created(yield* tasks.create({ owner: "o", work: () => Effect.succeed(done(big)) }))
      const refused = tasks.get("o", second.taskId)
      assert.strictEqual(refused?.status, "failed")
      assert.strictEqual(refused?.error?.code, ErrorCode.ServerBusy)
      assert.include(refused?.error?.message ?? "", "does not fit")
      const huge = created(yield* tasks.create({ owner: "o", work: () => Effect.succeed(done("y".repeat(5000))) }))
      assert.include(tasks.get("o", huge.taskId)?.error?.message ?? "", "larger than a task may keep")
      assert.isBelow(tasks.resultBytes(), 3000)
    }).pipe(withTasks({ maxResultBytes: 3000, maxResultBytesPerTask: 2500 })))

  it.effect("input: the task waits in input_required until every request is answered; other keys are ignored", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const statuses: Array<string> = []
      const work = (control: TaskControl) =>
        Effect.gen(function*() {
          yield* Effect.yieldNow
          const answers = yield* control.awaitInput({ a: { method: "elicitation/create" }, b: { method: "elicitation/create" } })
          return done(JSON.stringify(answers))
        })
      const task = created(yield* tasks.create({ owner: "o", work, onStatus: (t) => void statuses.push(t.status) }))
      yield* untilStatus(tasks, "o", task.taskId, "input_required")
      assert.strictEqual(tasks.get("o", task.taskId)?.status, "input_required")
      assert.deepStrictEqual(Object.keys(tasks.get("o", task.taskId)?.inputRequests ?? {}), ["a", "b"])
      yield* tasks.update("o", task.taskId, JSON.parse("{\"a\":1,\"unknown\":2,\"__proto__\":{\"b\":0},\"toString\":3}"))
      assert.strictEqual(tasks.get("o", task.taskId)?.status, "input_required")
      assert.deepStrictEqual(Object.keys(tasks.get("o", task.taskId)?.inputRequests ?? {}), ["b"])
      yield* tasks.update("o", task.taskId, { b: 3 })
      const finished = yield* tasks.awaitTerminal("o", task.taskId)
      assert.deepStrictEqual(finished?.result, { content: [{ type: "text", text: "{\"a\":1,\"b\":3}" }] })
      assert.deepStrictEqual(statuses, ["input_required", "working", "completed"])
    }).pipe(withTasks()))

  it.effect("work that answers Inline in its first synchronous step creates no task", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const creation = yield* tasks.create({ owner: "o", work: (control) => Effect.succeed<TaskOutcome>({ _tag: "Inline", value: control.created }) })
      assert.deepStrictEqual(creation, { _tag: "Inline", value: false })
      assert.strictEqual(tasks.size(), 0)
    }).pipe(withTasks()))

  it.effect("report sets a bounded statusMessage", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const task = created(yield* tasks.create({ owner: "o", work: (control) => Effect.andThen(Effect.sync(() => control.report("z".repeat(5000))), Effect.never) }))
      assert.strictEqual(tasks.get("o", task.taskId)?.statusMessage?.length, 1001)
    }).pipe(withTasks()))

  it.effect("lists an owner's tasks oldest first, in pages, with a cursor it gave", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const ids: Array<string> = []
      for (let i = 0; i < 60; i++) ids.push(created(yield* tasks.create({ owner: "o", work: () => Effect.succeed(done(`${i}`)) })).taskId)
      yield* tasks.create({ owner: "other", work: () => Effect.succeed(done("not mine")) })
      const first = yield* tasks.list("o", undefined)
      assert.strictEqual(first.tasks.length, 50)
      assert.isDefined(first.nextCursor)
      const second = yield* tasks.list("o", first.nextCursor)
      assert.deepStrictEqual([...first.tasks, ...second.tasks].map((t) => t.taskId), ids)
      assert.isUndefined(second.nextCursor)
      for (const bad of ["", "nope", "dDEyMzQ1Njc4OTAxMjM0NTY3ODk", "x".repeat(1000)]) {
        const error = yield* Effect.flip(tasks.list("o", bad))
        assert.strictEqual(error.code, ErrorCode.InvalidParams)
      }
    }).pipe(withTasks()))

  it.effect("fuzz: arbitrary ids, cursors and answers never throw and never reach another owner's task", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const mine = created(yield* tasks.create({ owner: "o", work: (c) => Effect.andThen(Effect.yieldNow, c.awaitInput({ k: {} })).pipe(Effect.as(done("x"))) }))
      yield* untilStatus(tasks, "o", mine.taskId, "input_required")
      let seed = 7
      const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648)
      const values: Array<unknown> = ["", "k", mine.taskId, "__proto__", "constructor", "x".repeat(10_000), 0, null, [], {}, { k: 1 }]
      for (let i = 0; i < 300; i++) {
        const id = String(values[next() % values.length])
        const answers = Object.fromEntries([[String(values[next() % values.length]), values[next() % values.length]]])
        assert.isUndefined(tasks.get("intruder", id))
        assert.isUndefined(yield* tasks.update("intruder", id, answers))
        const listed = yield* Effect.exit(tasks.list("intruder", id))
        if (Exit.isSuccess(listed)) assert.deepStrictEqual(listed.value.tasks, [])
        else assert.isTrue(listed.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof ProtocolError))
      }
      assert.strictEqual(tasks.get("o", mine.taskId)?.status, "input_required")
    }).pipe(withTasks()))

  it.effect("closing the layer interrupts running work", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make(false)
      yield* Effect.gen(function*() {
        const tasks = yield* Tasks
        yield* tasks.create({ owner: "o", work: forever(interrupted) })
        assert.isFalse(yield* Ref.get(interrupted))
      }).pipe(withTasks())
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it.effect("a task whose work holds off interruption does not stall the sweep: every expired task is removed at once", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const interrupted = yield* Ref.make(false)
      // work that cannot be interrupted until `gate` opens (a tool in an uninterruptible region)
      const gate = yield* Deferred.make<void>()
      yield* Effect.gen(function*() {
        created(yield* tasks.create({ owner: "o", ttlMs: 5_000, work: () => Effect.as(Effect.uninterruptible(Deferred.await(gate)), done("late")) }))
        const other = created(yield* tasks.create({ owner: "o", ttlMs: 5_000, work: forever(interrupted) }))
        yield* TestClock.adjust("6 seconds")
        assert.isUndefined(tasks.get("o", other.taskId))
        assert.strictEqual(tasks.size(), 0)
        assert.isTrue(yield* Ref.get(interrupted))
        // the sweep keeps running: a task expiring later goes too
        const later = created(yield* tasks.create({ owner: "p", ttlMs: 5_000, work: () => Effect.never }))
        yield* TestClock.adjust("6 seconds")
        assert.isUndefined(tasks.get("p", later.taskId))
        assert.strictEqual(tasks.size(), 0)
        // the stuck work ends at last: its result is not counted for a task that is gone
        yield* Deferred.succeed(gate, undefined)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tasks.resultBytes(), 0)
      }).pipe(Effect.ensuring(Deferred.succeed(gate, undefined)))
    }).pipe(withTasks({ sweepIntervalMs: 1000 })))

  it.effect("dropOwner removes every task of one owner (a closed session), interrupting running ones", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const interrupted = yield* Ref.make(false)
      const gone = created(yield* tasks.create({ owner: "session:a", work: forever(interrupted) }))
      yield* tasks.create({ owner: "session:a", work: () => Effect.succeed(done("kept result")) })
      const kept = created(yield* tasks.create({ owner: "session:b", work: () => Effect.succeed(done("other")) }))
      assert.strictEqual(yield* tasks.dropOwner("session:a"), 2)
      assert.isTrue(yield* Ref.get(interrupted))
      assert.isUndefined(tasks.get("session:a", gone.taskId))
      assert.strictEqual(tasks.get("session:b", kept.taskId)?.status, "completed")
      assert.strictEqual(tasks.size(), 1)
      assert.strictEqual(yield* tasks.dropOwner("session:none"), 0)
    }).pipe(withTasks()))

  it.effect("asking: the task is input_required while any request to the client is in flight, working again after the last", () =>
    Effect.gen(function*() {
      const tasks = yield* Tasks
      const first = yield* Deferred.make<void>()
      const second = yield* Deferred.make<void>()
      const task = created(yield* tasks.create({
        owner: "o",
        work: (control) =>
          Effect.gen(function*() {
            yield* Effect.yieldNow
            yield* Effect.all([control.asking(Deferred.await(first)), control.asking(Deferred.await(second))], { concurrency: 2 })
            yield* Effect.never
            return done("never")
          })
      }))
      yield* untilStatus(tasks, "o", task.taskId, "input_required")
      yield* Deferred.succeed(first, undefined)
      yield* Effect.yieldNow
      assert.strictEqual(tasks.get("o", task.taskId)?.status, "input_required")
      yield* Deferred.succeed(second, undefined)
      yield* untilStatus(tasks, "o", task.taskId, "working")
      assert.strictEqual(tasks.get("o", task.taskId)?.status, "working")
    }).pipe(withTasks()))
})

