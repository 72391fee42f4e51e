import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Scheduler } from "effect"
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
})
