import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Ref } from "effect"
import { TestClock } from "effect/testing"
import { Admission } from "../src/Admission.ts"
import { NestedRun, ServerBusy, ToolTimeout } from "../src/Job.ts"
import { Placement } from "../src/Placement.ts"
import { ToolExecutor } from "../src/ToolExecutor.ts"

const slowJob = { name: "slow" }

describe("ToolExecutor", () => {
  describe("timeout", () => {
    it.effect("interrupts a run at the default timeout and fails with ToolTimeout", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const interrupted = yield* Ref.make(false)
        const run = Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
        const fiber = yield* Effect.forkChild(Effect.exit(executor.run(slowJob, {}, run)))
        yield* TestClock.adjust(999)
        assert.isUndefined(fiber.pollUnsafe())
        yield* TestClock.adjust(1)
        const exit = yield* Fiber.join(fiber)
        assert.deepStrictEqual(exit, Exit.fail(new ToolTimeout({ job: "slow", timeoutMs: 1000 })))
        assert.isTrue(yield* Ref.get(interrupted))
        assert.strictEqual(new ToolTimeout({ job: "slow", timeoutMs: 1000 }).message, "Tool slow timed out after 1000 ms")
      }).pipe(Effect.provide(ToolExecutor.layerDefault({ defaultTimeoutMs: 1000 }))))

    it.effect("uses the job's own timeout over the default, and none for 0", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const short = yield* Effect.forkChild(Effect.exit(executor.run({ name: "short", timeoutMs: 10 }, {}, Effect.never)))
        const unlimited = yield* Effect.forkChild(Effect.exit(executor.run({ name: "forever", timeoutMs: 0 }, {}, Effect.never)))
        yield* TestClock.adjust(10)
        assert.deepStrictEqual(yield* Fiber.join(short), Exit.fail(new ToolTimeout({ job: "short", timeoutMs: 10 })))
        yield* TestClock.adjust("1 day")
        assert.isUndefined(unlimited.pollUnsafe())
        yield* Fiber.interrupt(unlimited)
      }).pipe(Effect.provide(ToolExecutor.layerDefault({ defaultTimeoutMs: 1000 }))))

    it.effect("lets a run that finishes in time through unchanged", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const fiber = yield* Effect.forkChild(executor.run(slowJob, {}, Effect.as(Effect.sleep(500), "done")))
        yield* TestClock.adjust(500)
        assert.strictEqual(yield* Fiber.join(fiber), "done")
      }).pipe(Effect.provide(ToolExecutor.layerDefault({ defaultTimeoutMs: 1000 }))))

    it.effect("answers a run that finishes at once, success or failure, without waiting on the clock", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        assert.strictEqual(yield* executor.run(slowJob, {}, Effect.succeed("now")), "now")
        assert.strictEqual(yield* Effect.flip(executor.run(slowJob, {}, Effect.fail("boom"))), "boom")
      }).pipe(Effect.provide(ToolExecutor.layerDefault({ defaultTimeoutMs: 1000 }))))
  })

  describe("cancellation", () => {
    it.effect("interrupting the caller interrupts the tool", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const started = yield* Deferred.make<void>()
        const interrupted = yield* Ref.make(false)
        const run = Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never), Effect.onInterrupt(() => Ref.set(interrupted, true)))
        const fiber = yield* Effect.forkChild(executor.run(slowJob, {}, run))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        assert.isTrue(yield* Ref.get(interrupted))
        assert.deepStrictEqual((yield* Admission).load(), { running: 0, queued: 0, capacity: 256 })
      }).pipe(Effect.provide(ToolExecutor.layer().pipe(Layer.provideMerge(Layer.merge(Admission.layer(), Placement.layerInProcess))))))
  })

  describe("admission", () => {
    const layer = ToolExecutor.layer({ defaultTimeoutMs: 0 }).pipe(
      Layer.provideMerge(Layer.merge(Admission.layer({ maxRunning: 1, maxQueued: 1, retryAfterMs: 250 }), Placement.layerInProcess))
    )

    it.effect("runs up to maxRunning, queues up to maxQueued, and refuses the rest with ServerBusy", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const admission = yield* Admission
        const order: Array<string> = []
        const job = (label: string) => Effect.sync(() => order.push(`start ${label}`)).pipe(Effect.andThen(Effect.sleep(100)), Effect.as(label))
        const first = yield* Effect.forkChild(executor.run(slowJob, {}, job("first")))
        const second = yield* Effect.forkChild(executor.run(slowJob, {}, job("second")))
        yield* Effect.yieldNow
        assert.deepStrictEqual(admission.load(), { running: 1, queued: 1, capacity: 1 })
        const third = yield* Effect.exit(executor.run(slowJob, {}, job("third")))
        assert.deepStrictEqual(third, Exit.fail(new ServerBusy({ job: "slow", retryAfterMs: 250 })))
        assert.deepStrictEqual(order, ["start first"])
        yield* TestClock.adjust(100)
        assert.strictEqual(yield* Fiber.join(first), "first")
        yield* TestClock.adjust(100)
        assert.strictEqual(yield* Fiber.join(second), "second")
        assert.deepStrictEqual(order, ["start first", "start second"])
        assert.deepStrictEqual(admission.load(), { running: 0, queued: 0, capacity: 1 })
        assert.strictEqual(yield* executor.run(slowJob, {}, Effect.succeed("again")), "again")
      }).pipe(Effect.provide(layer)))

    it.effect("frees the slot of a queued run that is interrupted before it starts", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const admission = yield* Admission
        const running = yield* Effect.forkChild(executor.run(slowJob, {}, Effect.never))
        const queued = yield* Effect.forkChild(executor.run(slowJob, {}, Effect.succeed("never started")))
        yield* Effect.yieldNow
        yield* Fiber.interrupt(queued)
        assert.deepStrictEqual(admission.load(), { running: 1, queued: 0, capacity: 1 })
        yield* Fiber.interrupt(running)
        assert.deepStrictEqual(admission.load(), { running: 0, queued: 0, capacity: 1 })
      }).pipe(Effect.provide(layer)))

    it.effect("never queues a nested run (one its caller's slot may wait on): it starts when a slot is free, else is refused at once", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const admission = yield* Admission
        const nested = <A>(effect: Effect.Effect<A>) => Effect.provideService(executor.run(slowJob, {}, effect), NestedRun, true)
        assert.strictEqual(yield* nested(Effect.succeed("free slot")), "free slot")
        const caller = yield* Effect.forkChild(executor.run(slowJob, {}, Effect.never))
        yield* Effect.yieldNow
        const refused = yield* Effect.exit(nested(Effect.succeed("never started")))
        assert.deepStrictEqual(refused, Exit.fail(new ServerBusy({ job: "slow", retryAfterMs: 250 })))
        assert.deepStrictEqual(admission.load(), { running: 1, queued: 0, capacity: 1 })
        yield* Fiber.interrupt(caller)
      }).pipe(Effect.provide(layer)))

    it("says when to retry", () => {
      assert.include(new ServerBusy({ job: "x", retryAfterMs: 250 }).message, "retry after 250 ms")
    })
  })

  describe("placement", () => {
    it.effect("hands every run to the Placement service with its job and arguments", () =>
      Effect.gen(function*() {
        const executor = yield* ToolExecutor
        const job = { name: "crunch", cpuBound: true, module: { url: "file:///tools/crunch.js", export: "crunch" } }
        assert.strictEqual(yield* executor.run(job, { n: 3 }, Effect.succeed("in-process")), "crunch on a worker with {\"n\":3}")
      }).pipe(Effect.provide(ToolExecutor.layer().pipe(Layer.provide(Layer.merge(
        Admission.layerUnbounded,
        Layer.succeed(Placement, Placement.of({
          place: (job, args, inProcess) =>
            job.cpuBound === true ? Effect.succeed(`${job.module?.export} on a worker with ${JSON.stringify(args)}`) as never : inProcess
        }))
      ))))))
  })
})
