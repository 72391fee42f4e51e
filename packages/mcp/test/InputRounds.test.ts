import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as InputRounds from "../src/internal/InputRounds.ts"
import { ErrorCode } from "../src/JsonRpc.ts"
import type { Outbound, Peer } from "../src/Peer.ts"
import { McpErrorCode } from "../src/Protocol.ts"
import { InputRequired, type InputRequest } from "../src/Tool.ts"

const confirm: InputRequest = { method: "elicitation/create", params: { message: "Sure?", requestedSchema: { type: "object", properties: {} } } }
const rounds = InputRounds.make("a-fixed-test-key-of-at-least-32-bytes")

const peer = (stateless: boolean, clientCapabilities: Peer["clientCapabilities"] = { elicitation: {} }): Peer => ({
  stateless,
  principal: "p",
  clientCapabilities,
  logLevel: undefined,
  session: undefined
})
const asking = (answer: unknown): Outbound & { asked: Array<string> } => {
  const asked: Array<string> = []
  return { asked, notify: () => {}, request: (method) => Effect.sync(() => (asked.push(method), answer)) }
}
const none: Outbound = { notify: () => {}, request: undefined }

/** A tool that asks once (key `confirm`) and then answers what it was told. */
const askOnce: InputRounds.Attempt = (responses, state) =>
  Effect.succeed(responses.confirm === undefined ? new InputRequired({ confirm }, { step: 1 }) : { answer: responses.confirm, state })

describe("InputRounds", () => {
  it("carriesInput: a request with requestState or inputResponses answers an earlier round", () => {
    assert.isFalse(InputRounds.carriesInput(undefined))
    assert.isFalse(InputRounds.carriesInput({ name: "x" }))
    assert.isTrue(InputRounds.carriesInput({ requestState: "s" }))
    assert.isTrue(InputRounds.carriesInput({ inputResponses: {} }))
  })

  it.effect("runs once without marking the call when the tool needs no input", () =>
    Effect.gen(function*() {
      const use = { asked: false }
      const result = yield* rounds.run("tools/call", "b", {}, peer(true), none, () => Effect.succeed({ done: true }), use)
      assert.deepStrictEqual(result, { done: true })
      assert.isFalse(use.asked)
    }))

  it.effect("stateless: answers input_required with a signed state, then completes with the responses and the tool's state", () =>
    Effect.gen(function*() {
      const first = yield* rounds.run("tools/call", "b", {}, peer(true), none, askOnce, { asked: false })
      assert.strictEqual(first.resultType, "input_required")
      assert.deepStrictEqual(first.inputRequests, { confirm })
      const use = { asked: false }
      const second = yield* rounds.run("tools/call", "b", { requestState: first.requestState, inputResponses: { confirm: { action: "accept" } } }, peer(true), none, askOnce, use)
      assert.deepStrictEqual(second, { answer: { action: "accept" }, state: { step: 1 } })
      assert.isTrue(use.asked)
    }))

  it.effect("refuses a state bound to another tool or principal, a forged one and a non-string one with -32602", () =>
    Effect.gen(function*() {
      const first = yield* rounds.run("tools/call", "b", {}, peer(true), none, askOnce, { asked: false })
      for (const requestState of [first.requestState, "forged", 42]) {
        const error = yield* Effect.flip(rounds.run("tools/call", "other", { requestState }, peer(true), none, askOnce, { asked: false }))
        assert.strictEqual(error.code, ErrorCode.InvalidParams)
      }
      const otherKey = InputRounds.make("another-key-of-at-least-thirty-two-bytes")
      assert.strictEqual((yield* Effect.flip(otherKey.run("tools/call", "b", { requestState: first.requestState }, peer(true), none, askOnce, { asked: false }))).code, ErrorCode.InvalidParams)
    }))

  it.effect("in a session: asks the client over the Outbound and runs again, marking the call", () =>
    Effect.gen(function*() {
      const out = asking({ action: "accept" })
      const use = { asked: false }
      const result = yield* rounds.run("tools/call", "b", {}, peer(false), out, askOnce, use)
      assert.deepStrictEqual(result, { answer: { action: "accept" }, state: { step: 1 } })
      assert.deepStrictEqual(out.asked, ["elicitation/create"])
      assert.isTrue(use.asked)
    }))

  it.effect("in a session: stops asking after MAX_SESSION_INPUT_ROUNDS and answers input_required", () =>
    Effect.gen(function*() {
      const out = asking({ action: "accept" })
      const never: InputRounds.Attempt = () => Effect.succeed(new InputRequired({ again: confirm }))
      const result = yield* rounds.run("tools/call", "b", {}, peer(false), out, never, { asked: false })
      assert.strictEqual(result.resultType, "input_required")
      assert.strictEqual(out.asked.length, InputRounds.MAX_SESSION_INPUT_ROUNDS)
    }))

  it.effect("answers -32021 when the client did not declare the capability an input request needs", () =>
    Effect.gen(function*() {
      const out = asking({})
      const error = yield* Effect.flip(rounds.run("tools/call", "b", {}, peer(false, {}), out, askOnce, { asked: false }))
      assert.strictEqual(error.code, McpErrorCode.MissingRequiredClientCapability)
      assert.deepStrictEqual(out.asked, [])
    }))
})
