import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import * as ClientRequests from "../src/internal/ClientRequests.ts"
import { ErrorCode } from "../src/JsonRpc.ts"

/** Starts one server→client request and returns its fiber and the id the client would answer. */
const pendingRequest = Effect.gen(function*() {
  const state = ClientRequests.makeState()
  const sent: Array<string> = []
  const fiber = yield* Effect.forkChild(ClientRequests.request(state, (m) => void sent.push(m), 60_000)("roots/list", {}))
  yield* Effect.yieldNow
  const id = (JSON.parse(sent[0]!) as { id: string }).id
  return { state, fiber, id }
})

describe("ClientRequests", () => {
  it.effect("hands the client's result to the waiting request", () =>
    Effect.gen(function*() {
      const { fiber, id, state } = yield* pendingRequest
      ClientRequests.settle(state, { id, result: { roots: [] } })
      assert.deepStrictEqual(yield* Fiber.join(fiber), { roots: [] })
      assert.strictEqual(state.pending.size, 0)
    }))

  it.effect("a client error whose fields are hostile values fails the request with a bounded message, never throws", () =>
    Effect.gen(function*() {
      const hostile: ReadonlyArray<unknown> = [
        { code: { toString: 1 }, message: { toString: 1 } },
        { code: -32000, message: "x".repeat(100_000) },
        null,
        "oops",
        [1, 2]
      ]
      for (const error of hostile) {
        const { fiber, id, state } = yield* pendingRequest
        ClientRequests.settle(state, { id, error } as never)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isFailure(exit), `settled with ${JSON.stringify(error)?.slice(0, 40)}`)
        const failure = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
        const e = failure !== undefined && "error" in failure ? (failure.error as { code: number; message: string }) : undefined
        assert.isDefined(e)
        assert.isTrue(Number.isInteger(e!.code))
        assert.isBelow(e!.message.length, 400)
      }
    }))

  it.effect("an error code that is not an integer becomes -32603", () =>
    Effect.gen(function*() {
      const { fiber, id, state } = yield* pendingRequest
      ClientRequests.settle(state, { id, error: { code: "bad", message: "no" } } as never)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      assert.strictEqual(reason !== undefined && "error" in reason ? (reason.error as { code: number }).code : 0, ErrorCode.InternalError)
    }))
})
