import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Scheduler } from "effect"
import * as Admission from "../src/Admission.ts"

describe("counting admission", () => {
  it.live("a run interrupted at any point the scheduler may yield gives its slot back", () =>
    // a fiber yields to the scheduler every `ops` operations; over a range of budgets, one of the
    // yields falls between the slot's being taken and its release's being installed
    Effect.gen(function*() {
      const admission = Admission.make({ maxRunning: 4, maxQueued: 16 })
      for (let ops = 2; ops <= 64; ops++) {
        const fiber = yield* Effect.forkChild(admission.admit({ name: "slow" }, Effect.never).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, ops)), { startImmediately: true })
        fiber.interruptUnsafe()
        yield* Fiber.await(fiber)
        assert.deepStrictEqual(admission.load(), { running: 0, queued: 0, capacity: 4 }, `yielding every ${ops} operations`)
      }
    }))

  it.live("a full queue of runs that finish at once drains: each hand-over starts the next run on its own stack, not nested in the previous one's", () =>
    Effect.gen(function*() {
      const n = 8192
      const admission = Admission.make({ maxRunning: 1, maxQueued: n })
      const done = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(admission.admit({ name: "slow" }, Deferred.await(done)))
      while (admission.load().running < 1) yield* Effect.sleep(1)
      const runs = yield* Effect.forEach(Array.from({ length: n }), () => Effect.forkChild(admission.admit({ name: "quick" }, Effect.void)))
      while (admission.load().queued < n) yield* Effect.sleep(1)
      yield* Deferred.succeed(done, undefined)
      yield* Fiber.join(holder)
      const exits = yield* Effect.forEach(runs, Fiber.await).pipe(Effect.timeoutOrElse({ duration: 20_000, orElse: () => Effect.die(new Error(`stuck: ${JSON.stringify(admission.load())}`)) }))
      assert.deepStrictEqual(exits.filter((exit) => exit._tag !== "Success").map(String), [])
      assert.deepStrictEqual(admission.load(), { running: 0, queued: 0, capacity: 1 })
    }), 30_000)
})
