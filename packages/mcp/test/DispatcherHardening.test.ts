import { assert, describe, it } from "@effect/vitest"
import { MemoryTier, TieredCache } from "@tenfold/cache"
import { ToolExecutor } from "@tenfold/executor"
import { Cause, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Dispatcher, type DispatcherOptions } from "../src/Dispatcher.ts"
import { ErrorCode } from "../src/JsonRpc.ts"
import { type Answer, bodyText, type Outbound, type Peer, type SessionState } from "../src/Peer.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import * as Tool from "../src/Tool.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"

// ---- fixtures ------------------------------------------------------------------------------

const confirm: Tool.InputRequest = {
  method: "elicitation/create",
  params: { message: "Sure?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } }
}

let counted = 0
const tools = [
  // read-only, so cached by default: its answer depends on what the client answered
  Tool.make({
    name: "confirmRound",
    description: "Asks for confirmation through an input round",
    input: Schema.Struct({ item: Schema.String }),
    annotations: { readOnlyHint: true },
    handler: ({ item }, ctx) =>
      Effect.succeed(
        ctx.inputResponses.confirm === undefined
          ? Tool.inputRequired({ confirm })
          : `${item}: ${JSON.stringify((ctx.inputResponses.confirm as { content?: unknown }).content)}`
      )
  }),
  Tool.make({
    name: "confirmElicit",
    description: "Asks for confirmation through ctx.elicit",
    input: Schema.Struct({ item: Schema.String }),
    annotations: { readOnlyHint: true },
    handler: ({ item }, ctx) =>
      ctx.elicit(confirm.params as never).pipe(Effect.map((r) => `${item}: ${JSON.stringify(r.content)}`))
  }),
  Tool.make({
    name: "counter",
    description: "Counts its runs",
    input: Schema.Struct({}),
    annotations: { readOnlyHint: true },
    handler: () => Effect.sync(() => `run ${++counted}`)
  }),
  Tool.make({
    name: "sleeper",
    description: "Sleeps a minute",
    input: Schema.Struct({}),
    timeoutMs: 50,
    handler: () => Effect.as(Effect.sleep("1 minute"), "woke")
  }),
  Tool.make({
    name: "slowDefault",
    description: "Sleeps a minute, with the default timeout",
    input: Schema.Struct({}),
    handler: () => Effect.as(Effect.sleep("1 minute"), "woke")
  })
]

const layerWith = (options: Partial<DispatcherOptions> = {}, executor?: Parameters<typeof ToolExecutor.layerDefault>[0]) =>
  Dispatcher.layer({ serverInfo: { name: "t", version: "1" }, onDefect: (cause) => console.error(Cause.pretty(cause)), ...options }).pipe(
    Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer())),
    Layer.provideMerge(TieredCache.layer().pipe(Layer.provideMerge(MemoryTier.layer()))),
    Layer.provideMerge(executor === undefined ? Layer.empty : ToolExecutor.layerDefault(executor))
  )

const eliciting = { elicitation: {} }

const stateless = (principal = "alice"): Peer => ({
  stateless: true,
  principal,
  clientCapabilities: eliciting,
  logLevel: undefined,
  session: undefined
})

const session = (principal = "alice"): Peer & { session: SessionState } => ({
  stateless: false,
  principal,
  clientCapabilities: eliciting,
  logLevel: undefined,
  session: { id: "s", logLevel: undefined, subscriptions: new Set() }
})

/** A way back that answers every server→client request with `content`, and counts them. */
const answering = (content: unknown): Outbound & { asked: number } => {
  const out = {
    asked: 0,
    notify: () => {},
    request: () => Effect.sync(() => (out.asked++, { action: "accept", content }))
  }
  return out
}
const silent: Outbound = { notify: () => {}, request: undefined }

const send = (method: string, params: Record<string, unknown> | undefined, peer: Peer, out: Outbound = silent) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const handled = dispatcher.handle(7, method, params, peer, out)
    const answer: Answer = Effect.isEffect(handled) ? yield* handled : handled
    // any: the test reads fields of whatever came back
    return JSON.parse(bodyText(answer)) as { result?: any; error?: { code: number; message: string; data?: any } }
  })

const call = (name: string, args: Record<string, unknown>, peer: Peer, out: Outbound = silent, extra: Record<string, unknown> = {}) =>
  send("tools/call", { name, arguments: args, ...extra }, peer, out)

describe("Dispatcher hardening", () => {
  describe("untrusted values are never stringified unguarded (defect 0)", () => {
    it.effect("answers logging/setLevel with an object level -32602 instead of throwing", () =>
      Effect.gen(function*() {
        const dispatcher = yield* Dispatcher
        for (const level of [{ toString: 1 }, { toString: () => { throw new Error("boom") } }, Object.create(null), ["info"], 5]) {
          const answer = dispatcher.handle(1, "logging/setLevel", { level }, session(), silent)
          assert.isFalse(Effect.isEffect(answer))
          const response = JSON.parse(bodyText(answer as Answer))
          assert.strictEqual(response.error.code, ErrorCode.InvalidParams)
        }
      }).pipe(Effect.provide(layerWith())))

    it.effect("echoes at most a short quote of a client string in error messages", () =>
      Effect.gen(function*() {
        const huge = "x".repeat(100_000)
        const responses = [
          yield* call(huge, {}, stateless()),
          yield* send(huge, {}, session()),
          yield* send("tools/list", { cursor: huge }, stateless()),
          yield* send("prompts/get", { name: huge }, session()),
          yield* send("resources/read", { uri: huge }, session()),
          yield* call("confirmRound", { item: { toString: 1, pad: huge } }, stateless()),
          yield* call("confirmRound", { item: [huge, huge] }, session())
        ]
        for (const response of responses) {
          assert.isDefined(response.error)
          assert.isBelow(JSON.stringify(response.error).length, 500, response.error!.message.slice(0, 80))
        }
      }).pipe(Effect.provide(layerWith())))
  })

  describe("every method, every field, every odd value", () => {
    const deep = (depth: number): unknown => (depth === 0 ? [] : [deep(depth - 1)])
    const odd: ReadonlyArray<unknown> = [
      null, 0, -1, 1.5, true, "", "x".repeat(50_000), [], {}, [1, "a"], { toString: 1 }, { toString: 1, valueOf: 1 },
      { __proto__: { x: 1 } }, Object.create(null), deep(3000), { a: deep(3000) }
    ]
    const methods = [
      "tools/call", "tools/list", "resources/list", "resources/templates/list", "resources/read", "prompts/list", "prompts/get",
      "completion/complete", "server/discover", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"
    ]
    const fields = ["name", "arguments", "cursor", "uri", "level", "ref", "argument", "context", "requestState", "inputResponses", "_meta"]

    it.effect("answers a well-formed JSON-RPC response (never throws, never a defect) for each, in both revisions", () =>
      Effect.gen(function*() {
        const dispatcher = yield* Dispatcher
        let answered = 0
        for (const peer of [stateless(), session()]) {
          for (const method of methods) {
            for (const field of fields) {
              for (const value of odd) {
                const params: Record<string, unknown> = { name: "counter", arguments: {}, [field]: value }
                const handled = dispatcher.handle(9, method, params, peer, silent)
                const answer: Answer = Effect.isEffect(handled) ? yield* handled : handled
                const response = JSON.parse(bodyText(answer))
                assert.strictEqual(response.id, 9)
                assert.isTrue("result" in response || "error" in response)
                if (response.error !== undefined) {
                  assert.notStrictEqual(response.error.code, ErrorCode.InternalError, `${method} ${field}: ${response.error.message}`)
                  assert.isBelow(JSON.stringify(response.error).length, 2000, `${method} ${field}`)
                }
                answered++
              }
            }
          }
        }
        assert.strictEqual(answered, 2 * methods.length * fields.length * odd.length)
      }).pipe(Effect.provide(layerWith())))
  })

  describe("input-dependent results are never cached (defect 1)", () => {
    it.effect("2026-07-28: the final answer of an input round is not served to the next caller", () =>
      Effect.gen(function*() {
        const first = yield* call("confirmRound", { item: "door" }, stateless())
        assert.strictEqual(first.result.resultType, "input_required")
        const second = yield* call("confirmRound", { item: "door" }, stateless(), silent, {
          requestState: first.result.requestState,
          inputResponses: { confirm: { action: "accept", content: { ok: true } } }
        })
        assert.deepStrictEqual(second.result.content, [{ type: "text", text: `door: {"ok":true}` }])
        assert.isUndefined(second.result.ttlMs)
        const third = yield* call("confirmRound", { item: "door" }, stateless())
        assert.strictEqual(third.result.resultType, "input_required", "the next caller got the earlier caller's answer without being asked")
      }).pipe(Effect.provide(layerWith())))

    it.effect("2025-11-25: a call whose tool asked the client is not served to the next session", () =>
      Effect.gen(function*() {
        for (const name of ["confirmRound", "confirmElicit"]) {
          const yes = answering({ ok: true })
          const first = yield* call(name, { item: "door" }, session(), yes)
          assert.deepStrictEqual(first.result.content, [{ type: "text", text: `door: {"ok":true}` }])
          assert.strictEqual(yes.asked, 1)
          const no = answering({ ok: false })
          const second = yield* call(name, { item: "door" }, session(), no)
          assert.strictEqual(no.asked, 1, `${name}: the second session was not asked`)
          assert.deepStrictEqual(second.result.content, [{ type: "text", text: `door: {"ok":false}` }])
        }
      }).pipe(Effect.provide(layerWith())))

    it.effect("2025-11-25: a caller that only waited on an input-dependent run asks its own client", () =>
      Effect.gen(function*() {
        const slowYes = {
          asked: 0,
          notify: () => {},
          request: () => Effect.sync(() => slowYes.asked++).pipe(Effect.andThen(Effect.sleep(100)), Effect.as({ action: "accept", content: { ok: true } }))
        }
        const no = answering({ ok: false })
        const first = yield* Effect.forkChild(call("confirmElicit", { item: "gate" }, session(), slowYes))
        yield* Effect.yieldNow
        const second = yield* Effect.forkChild(call("confirmElicit", { item: "gate" }, session(), no))
        yield* Effect.yieldNow
        yield* TestClock.adjust(100)
        assert.deepStrictEqual((yield* Fiber.join(first)).result.content, [{ type: "text", text: `gate: {"ok":true}` }])
        assert.deepStrictEqual((yield* Fiber.join(second)).result.content, [{ type: "text", text: `gate: {"ok":false}` }])
        assert.strictEqual(no.asked, 1)
      }).pipe(Effect.provide(layerWith())))

    it.effect("a fresh cached result answers at once, without running an Effect", () =>
      Effect.gen(function*() {
        const dispatcher = yield* Dispatcher
        const first = dispatcher.handle(1, "tools/call", { name: "counter", arguments: {} }, stateless("bob"), silent)
        assert.isTrue(Effect.isEffect(first))
        yield* (first as Effect.Effect<Answer>)
        const second = dispatcher.handle(2, "tools/call", { name: "counter", arguments: {} }, stateless("bob"), silent)
        assert.isFalse(Effect.isEffect(second))
        assert.strictEqual(JSON.parse(bodyText(second as Answer)).result.cacheScope, "private")
      }).pipe(Effect.provide(layerWith())))

    it.effect("a call carrying inputResponses or requestState neither reads nor writes the cache", () =>
      Effect.gen(function*() {
        counted = 0
        const cached = (yield* call("counter", {}, stateless())).result.content[0].text
        assert.strictEqual(cached, "run 1")
        assert.strictEqual((yield* call("counter", {}, stateless())).result.content[0].text, "run 1")
        const carrying = yield* call("counter", {}, stateless(), silent, { inputResponses: { x: { action: "decline" } } })
        assert.strictEqual(carrying.result.content[0].text, "run 2")
        assert.strictEqual((yield* call("counter", {}, stateless())).result.content[0].text, "run 1")
      }).pipe(Effect.provide(layerWith())))
  })

  describe("resources/subscribe is bounded per session (defect 3)", () => {
    it.effect("refuses a subscription past maxSubscriptionsPerSession with -32000, and accepts one after an unsubscribe", () =>
      Effect.gen(function*() {
        const peer = session()
        assert.deepStrictEqual((yield* send("resources/subscribe", { uri: "mem://1" }, peer)).result, {})
        assert.deepStrictEqual((yield* send("resources/subscribe", { uri: "mem://2" }, peer)).result, {})
        assert.deepStrictEqual((yield* send("resources/subscribe", { uri: "mem://2" }, peer)).result, {}, "a repeated subscription is not a new one")
        const refused = (yield* send("resources/subscribe", { uri: "mem://3" }, peer)).error!
        assert.strictEqual(refused.code, ErrorCode.ServerBusy)
        assert.include(refused.message, "2")
        assert.deepStrictEqual(refused.data, { maxSubscriptionsPerSession: 2 })
        assert.strictEqual(peer.session.subscriptions.size, 2)
        yield* send("resources/unsubscribe", { uri: "mem://1" }, peer)
        assert.deepStrictEqual((yield* send("resources/subscribe", { uri: "mem://3" }, peer)).result, {})
      }).pipe(Effect.provide(layerWith({ maxSubscriptionsPerSession: 2 }))))

    it.effect("refuses a subscription URI longer than any resource URI needs", () =>
      Effect.gen(function*() {
        const peer = session()
        const refused = (yield* send("resources/subscribe", { uri: `mem://${"x".repeat(10_000)}` }, peer)).error!
        assert.strictEqual(refused.code, ErrorCode.InvalidParams)
        assert.strictEqual(peer.session.subscriptions.size, 0)
      }).pipe(Effect.provide(layerWith())))
  })

  describe("every tool run goes through the executor", () => {
    it.effect("answers a call past the tool's timeout with an isError result naming it, not cached", () =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(call("sleeper", {}, session()))
        yield* TestClock.adjust(50)
        const result = (yield* Fiber.join(fiber)).result
        assert.isTrue(result.isError)
        assert.deepStrictEqual(result.content, [{ type: "text", text: "Tool sleeper timed out after 50 ms" }])
      }).pipe(Effect.provide(layerWith())))

    it.effect("uses the configured default timeout for a tool without its own", () =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(call("slowDefault", {}, session()))
        yield* TestClock.adjust(999)
        assert.isUndefined(fiber.pollUnsafe())
        yield* TestClock.adjust(1)
        assert.include((yield* Fiber.join(fiber)).result.content[0].text, "timed out after 1000 ms")
      }).pipe(Effect.provide(layerWith({}, { defaultTimeoutMs: 1000 }))))

    it.effect("answers ServerBusy (-32000) with retryAfterMs past the running and queued bounds", () =>
      Effect.gen(function*() {
        const running = yield* Effect.forkChild(call("slowDefault", {}, session()))
        const queued = yield* Effect.forkChild(call("slowDefault", {}, session()))
        yield* Effect.yieldNow
        const busy = (yield* call("slowDefault", {}, stateless())).error!
        assert.strictEqual(busy.code, ErrorCode.ServerBusy)
        assert.deepStrictEqual(busy.data, { retryAfterMs: 500 })
        assert.include(busy.message.toLowerCase(), "busy")
        yield* TestClock.adjust("2 minutes")
        assert.strictEqual((yield* Fiber.join(running)).result.content[0].text, "woke")
        assert.strictEqual((yield* Fiber.join(queued)).result.content[0].text, "woke")
      }).pipe(Effect.provide(layerWith({}, { maxRunning: 1, maxQueued: 1, retryAfterMs: 500, defaultTimeoutMs: 0 }))))
  })
})
