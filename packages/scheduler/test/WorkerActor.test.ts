import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Worker } from "node:worker_threads"
import * as WorkerActor from "../src/internal/WorkerActor.ts"
import { workerSource } from "../src/internal/workerProgram.ts"

const url = new URL("./fixtures/tasks.ts", import.meta.url).href
const spawn = () => new Worker(workerSource, { eval: true, workerData: { normalPriority: true } })

/** An envelope for `export(args)` whose outcome is kept in `outcome`. */
const envelope = (name: string, args: unknown) => {
  const box: { outcome?: Effect.Effect<unknown, unknown> } = {}
  const e: WorkerActor.Envelope = {
    request: { url, export: name, args },
    name,
    key: `${url}#${name}`,
    state: "queued",
    resume: (outcome) => void (box.outcome = outcome)
  }
  return { envelope: e, box }
}

/** Waits (on the event loop, at most `ms`) until `done()` holds. */
const until = (what: string, done: () => boolean, ms = 10_000) =>
  Effect.promise(() =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + ms
      const poll = () => (done() ? resolve() : Date.now() > deadline ? reject(new Error(`timed out waiting for ${what}`)) : setTimeout(poll, 5))
      poll()
    })
  )

describe("WorkerActor", () => {
  it.live("a task cancelled after its thread answered (answer still in flight) does not leave the terminated thread in place: the next task runs on a fresh thread", () =>
    Effect.gen(function*() {
      const actor = yield* WorkerActor.make(0, 4, spawn)
      // warm the thread up so the racing task starts at once
      const warm = envelope("square", 2)
      actor.tell(warm.envelope)
      yield* until("the warm-up", () => warm.box.outcome !== undefined)

      const flag = new SharedArrayBuffer(8)
      const racing = envelope("signalled", { flag, value: 1 })
      actor.tell(racing.envelope)
      const view = new Int32Array(flag)
      yield* until("the racing task to start", () => Atomics.load(view, 0) === 1)
      // let it answer, and block the event loop until it has, so its reply is queued but not yet read
      Atomics.store(view, 1, 1)
      Atomics.notify(view, 1)
      Atomics.wait(view, 0, 1, 10_000)
      const end = performance.now() + 100
      while (performance.now() < end) {
        // let the worker post its reply while this thread cannot read it
      }
      actor.cancel(racing.envelope) // the caller's timeout: the thread is terminated

      const next = envelope("square", 3)
      actor.tell(next.envelope)
      yield* until("the next task", () => next.box.outcome !== undefined)
      const result = (yield* next.box.outcome!) as { value: number }
      assert.strictEqual(result.value, 9)
      assert.strictEqual(racing.box.outcome, undefined) // the cancelled caller is not answered
      assert.strictEqual(actor.crashes, 0)
    }).pipe(Effect.scoped))

  it.live("a thread that cannot be started fails its task, and the actor goes on with the next one", () =>
    Effect.gen(function*() {
      let spawns = 0
      const flaky = () => {
        if (spawns++ === 0) throw new Error("cannot create a thread (EAGAIN)")
        return spawn()
      }
      const actor = yield* WorkerActor.make(0, 4, flaky)
      const first = envelope("square", 2)
      actor.tell(first.envelope)
      yield* until("the first task", () => first.box.outcome !== undefined)
      const failed = yield* Effect.flip(first.box.outcome!)
      assert.match(String((failed as Error).message), /cannot create a thread \(EAGAIN\)/)
      const second = envelope("square", 3)
      actor.tell(second.envelope)
      yield* until("the second task", () => second.box.outcome !== undefined)
      assert.strictEqual(((yield* second.box.outcome!) as { value: number }).value, 9)
    }).pipe(Effect.scoped))
})
