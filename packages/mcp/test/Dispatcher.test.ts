import { assert, describe, it } from "@effect/vitest"
import { type Cause, Effect, Layer, Schema } from "effect"
import { Dispatcher } from "../src/Dispatcher.ts"
import { type Answer, bodyText, type Outbound, type Peer, type SessionState } from "../src/Peer.ts"
import { ErrorCode } from "../src/JsonRpc.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { McpErrorCode, MetaKey } from "../src/Protocol.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import * as Tool from "../src/Tool.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"

// ---- fixtures ------------------------------------------------------------------------------

const confirmRequest: Tool.InputRequest = {
  method: "elicitation/create",
  params: { message: "Sure?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } }
}

const tools = [
  Tool.make({ name: "echo", description: "Echoes text", input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) }),
  Tool.make({
    name: "blocks",
    description: "Answers two content blocks",
    input: Schema.Struct({}),
    handler: () => Effect.succeed([{ type: "text" as const, text: "a" }, { type: "text" as const, text: "b" }])
  }),
  Tool.make({
    name: "len",
    description: "Structured output",
    input: Schema.Struct({ text: Schema.String }),
    output: Schema.Struct({ length: Schema.Int }),
    handler: ({ text }) => Effect.succeed({ length: text.length })
  }),
  Tool.make({ name: "fails", description: "d", input: Schema.Struct({}), handler: () => Effect.fail(new Tool.ToolError({ message: "nope, not today" })) }),
  Tool.make({ name: "dies", description: "d", input: Schema.Struct({}), handler: () => Effect.die(new Error("kaboom-secret")) }),
  Tool.make({
    name: "throws",
    description: "d",
    input: Schema.Struct({}),
    handler: () => {
      throw new Error("thrown-secret")
    }
  }),
  Tool.make({
    name: "logs",
    description: "d",
    input: Schema.Struct({}),
    handler: (_, ctx) => Effect.gen(function*() {
      yield* ctx.log("debug", "debug detail")
      yield* ctx.log("info", "info detail")
      yield* ctx.log("error", "bad thing", "db")
      return "logged"
    })
  }),
  Tool.make({
    name: "progress",
    description: "d",
    input: Schema.Struct({}),
    handler: (_, ctx) => Effect.gen(function*() {
      yield* ctx.progress(1, 2, "half")
      yield* ctx.progress(2, 2)
      return "done"
    })
  }),
  Tool.make({
    name: "ask",
    description: "Needs a confirmation through multi-round-trip input",
    input: Schema.Struct({}),
    handler: (_, ctx) =>
      Effect.succeed(
        ctx.inputResponses.confirm === undefined
          ? Tool.inputRequired({ confirm: confirmRequest }, { step: 1 })
          : JSON.stringify({ response: ctx.inputResponses.confirm, state: ctx.requestState })
      )
  }),
  Tool.make({
    name: "askRoots",
    description: "Needs the client's roots",
    input: Schema.Struct({}),
    handler: () => Effect.succeed(Tool.inputRequired({ roots: { method: "roots/list", params: {} } }))
  }),
  Tool.make({
    name: "elicit",
    description: "Asks through ctx.elicit",
    input: Schema.Struct({}),
    handler: (_, ctx) =>
      ctx.elicit({ message: "Name?", requestedSchema: { type: "object", properties: { name: { type: "string" } } } }).pipe(
        Effect.map((r) => `answer: ${String(r.action)}`)
      )
  }),
  Tool.make({
    name: "twoRounds",
    description: "Asks twice, one question per round",
    input: Schema.Struct({}),
    handler: (_, ctx) =>
      Effect.succeed(
        ctx.inputResponses.first === undefined
          ? Tool.inputRequired({ first: confirmRequest }, "after-first")
          : ctx.inputResponses.second === undefined
          ? Tool.inputRequired({ second: confirmRequest }, "after-second")
          : JSON.stringify({ responses: ctx.inputResponses, state: ctx.requestState })
      )
  }),
  Tool.make({ name: "failsPlain", description: "d", input: Schema.Struct({}), handler: () => Effect.fail(new Error("plain failure")) }),
  Tool.make({
    name: "needsSampling",
    description: "d",
    input: Schema.Struct({}),
    requiredClientCapabilities: { sampling: {} },
    handler: () => Effect.succeed("sampled")
  })
]

const resources = [{
  uri: "mem://a",
  name: "a",
  read: (uri: string) => Effect.succeed([{ uri, text: "A" }])
}]

const templates = [{
  uriTemplate: "file:///{name}",
  name: "files",
  read: (uri: string, variables: Record<string, string>) => Effect.succeed([{ uri, text: `file ${variables.name}` }]),
  complete: { name: (value: string) => Effect.succeed(["alpha", "alpine", "beta"].filter((v) => v.startsWith(value))) }
}]

const prompts = [{
  name: "greet",
  arguments: [{ name: "who", required: true }, { name: "tone" }],
  get: (args: Record<string, string>) =>
    Effect.succeed({ messages: [{ role: "user" as const, content: { type: "text" as const, text: `Hello ${args.who}` } }] }),
  complete: { who: (value: string) => Effect.succeed(["alice", "albert", "bob"].filter((v) => v.startsWith(value))) }
}]

const defects: Array<{ cause: Cause.Cause<unknown>; method: string }> = []

const TestLayer = Dispatcher.layer({
  serverInfo: { name: "test-server", version: "1.2.3" },
  onDefect: (cause, method) => void defects.push({ cause, method })
}).pipe(
  Layer.provide(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(resources, templates), PromptRegistry.layer(prompts)))
)

// ---- helpers -------------------------------------------------------------------------------

const stateless = (clientCapabilities: Peer["clientCapabilities"] = {}): Peer => ({
  stateless: true,
  principal: undefined,
  clientCapabilities,
  logLevel: undefined,
  session: undefined
})

const session = (clientCapabilities: Peer["clientCapabilities"] = {}): Peer & { session: SessionState } => ({
  stateless: false,
  principal: undefined,
  clientCapabilities,
  logLevel: undefined,
  session: { id: "session-1", logLevel: undefined, subscriptions: new Set() }
})

interface Recorder extends Outbound {
  readonly notifications: Array<{ method: string; params: Record<string, unknown> }>
  readonly requests: Array<{ method: string; params: Record<string, unknown> }>
}

/** An Outbound that records what the dispatcher sends; `answer` makes it able to carry requests. */
const recorder = (answer?: (method: string, params: Record<string, unknown>) => unknown): Recorder => {
  const notifications: Recorder["notifications"] = []
  const requests: Recorder["requests"] = []
  return {
    notifications,
    requests,
    notify: (method, params) => void notifications.push({ method, params }),
    request: answer === undefined ? undefined : (method, params) =>
      Effect.sync(() => {
        requests.push({ method, params })
        return answer(method, params)
      })
  }
}

interface Response {
  readonly status: number
  readonly body: string
  readonly id: unknown
  readonly result?: Record<string, any> // any: results are checked field by field
  readonly error?: { code: number; message: string; data?: any } // any: as above
}

const send = (method: string, params: Record<string, unknown> | undefined, peer: Peer, out: Outbound = recorder()) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const handled = dispatcher.handle(7, method, params, peer, out)
    const answer: Answer = Effect.isEffect(handled) ? yield* handled : handled
    return { ...JSON.parse(bodyText(answer)), status: answer.status, body: bodyText(answer) } as Response
  })

const resultOf = (response: Response): Record<string, any> => { // any: see Response
  if (response.error !== undefined) return assert.fail(`expected a result, got error ${JSON.stringify(response.error)}`)
  return response.result!
}

const errorOf = (response: Response): NonNullable<Response["error"]> => {
  if (response.error === undefined) return assert.fail(`expected an error, got ${response.body}`)
  return response.error
}

const callTool = (name: string, args: Record<string, unknown> | undefined, peer: Peer, out?: Outbound, extra: Record<string, unknown> = {}) =>
  send("tools/call", { name, ...(args === undefined ? {} : { arguments: args }), ...extra }, peer, out)

// ---- tests ---------------------------------------------------------------------------------

describe("Dispatcher", () => {
  describe("tools/list", () => {
    it.effect("adds resultType, ttlMs, cacheScope and serverInfo for stateless peers", () =>
      Effect.gen(function*() {
        const response = yield* send("tools/list", undefined, stateless())
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.id, 7)
        const result = resultOf(response)
        assert.strictEqual(result.tools.length, tools.length)
        assert.strictEqual(result.resultType, "complete")
        assert.strictEqual(result.ttlMs, 60_000)
        assert.strictEqual(result.cacheScope, "public")
        assert.deepStrictEqual(result._meta, { [MetaKey.serverInfo]: { name: "test-server", version: "1.2.3" } })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("leaves the stateless fields out for session peers", () =>
      Effect.gen(function*() {
        const response = yield* send("tools/list", undefined, session())
        for (const field of ["resultType", "ttlMs", "cacheScope", "_meta", MetaKey.serverInfo]) {
          assert.notInclude(response.body, field)
        }
        assert.deepStrictEqual(Object.keys(resultOf(response)), ["tools"])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a non-string or invalid cursor with -32602", () =>
      Effect.gen(function*() {
        assert.strictEqual(errorOf(yield* send("tools/list", { cursor: 3 }, stateless())).code, ErrorCode.InvalidParams)
        assert.strictEqual(errorOf(yield* send("tools/list", { cursor: "garbage" }, session())).code, ErrorCode.InvalidParams)
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("tools/call", () => {
    it.effect("answers a string as one text block, decorated for a stateless peer", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* callTool("echo", { text: "hello" }, stateless()))
        assert.deepStrictEqual(result.content, [{ type: "text", text: "hello" }])
        assert.strictEqual(result.resultType, "complete")
        assert.deepStrictEqual(result._meta[MetaKey.serverInfo], { name: "test-server", version: "1.2.3" })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a session peer without resultType or _meta", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* callTool("echo", { text: "hello" }, session()))
        assert.deepStrictEqual(result, { content: [{ type: "text", text: "hello" }] })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers an array of content blocks as the content", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* callTool("blocks", {}, session()))
        assert.deepStrictEqual(result.content, [{ type: "text", text: "a" }, { type: "text", text: "b" }])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers structuredContent and its JSON text when an output schema is declared", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* callTool("len", { text: "four" }, session()))
        assert.deepStrictEqual(result.structuredContent, { length: 4 })
        assert.deepStrictEqual(result.content, [{ type: "text", text: `{"length":4}` }])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a ToolError as a result with isError and its message", () =>
      Effect.gen(function*() {
        const response = yield* callTool("fails", {}, stateless())
        assert.strictEqual(response.status, 200)
        const result = resultOf(response)
        assert.isTrue(result.isError)
        assert.deepStrictEqual(result.content, [{ type: "text", text: "nope, not today" }])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a failure with a plain Error as a result with isError", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* callTool("failsPlain", {}, session()))
        assert.isTrue(result.isError)
        assert.deepStrictEqual(result.content, [{ type: "text", text: "plain failure" }])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers an unknown tool with -32602", () =>
      Effect.gen(function*() {
        const error = errorOf(yield* callTool("nosuchtool", {}, stateless()))
        assert.strictEqual(error.code, ErrorCode.InvalidParams)
        assert.include(error.message, "nosuchtool")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a missing name with -32602", () =>
      Effect.gen(function*() {
        assert.strictEqual(errorOf(yield* send("tools/call", {}, session())).code, ErrorCode.InvalidParams)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers bad arguments with -32602 naming the field", () =>
      Effect.gen(function*() {
        const response = yield* callTool("echo", { text: 5 }, stateless())
        assert.strictEqual(response.status, 200)
        const error = errorOf(response)
        assert.strictEqual(error.code, ErrorCode.InvalidParams)
        assert.include(error.message, `["text"]`)
      }).pipe(Effect.provide(TestLayer)))

    for (const name of ["dies", "throws"]) {
      it.effect(`answers a defect (${name}) with -32603 and no details, and reports it to onDefect`, () =>
        Effect.gen(function*() {
          defects.length = 0
          const error = errorOf(yield* callTool(name, {}, stateless()))
          assert.strictEqual(error.code, ErrorCode.InternalError)
          assert.notInclude(error.message, "secret")
          assert.notMatch(error.message, /\n\s+at /)
          assert.isUndefined(error.data)
          assert.strictEqual(defects.length, 1)
          assert.strictEqual(defects[0]?.method, "tools/call")
        }).pipe(Effect.provide(TestLayer)))
    }

    it.effect("answers a missing required client capability with -32021 (HTTP 400 when stateless)", () =>
      Effect.gen(function*() {
        const response = yield* callTool("needsSampling", {}, stateless())
        assert.strictEqual(response.status, 400)
        const error = errorOf(response)
        assert.strictEqual(error.code, McpErrorCode.MissingRequiredClientCapability)
        assert.deepStrictEqual(error.data, { requiredCapabilities: { sampling: {} } })
        assert.deepStrictEqual(resultOf(yield* callTool("needsSampling", {}, stateless({ sampling: {} }))).content, [{ type: "text", text: "sampled" }])
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("methods", () => {
    it.effect("answers server/discover with the supported revisions, resultType, cache hints and server identity", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* send("server/discover", {}, stateless()))
        assert.deepStrictEqual(result.supportedVersions, ["2026-07-28"])
        assert.strictEqual(result.resultType, "complete")
        assert.isNumber(result.ttlMs)
        assert.oneOf(result.cacheScope, ["public", "private"])
        assert.isDefined(result._meta[MetaKey.serverInfo].name)
        assert.isDefined(result.capabilities.tools)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers an unknown method with -32601: HTTP 404 when stateless, 200 in a session", () =>
      Effect.gen(function*() {
        const statelessResponse = yield* send("tools/frobnicate", {}, stateless())
        assert.strictEqual(errorOf(statelessResponse).code, ErrorCode.MethodNotFound)
        assert.strictEqual(statelessResponse.status, 404)
        const sessionResponse = yield* send("tools/frobnicate", {}, session())
        assert.strictEqual(errorOf(sessionResponse).code, ErrorCode.MethodNotFound)
        assert.strictEqual(sessionResponse.status, 200)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("treats session-only methods as unknown for stateless peers", () =>
      Effect.gen(function*() {
        for (const method of ["ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "initialize"]) {
          const response = yield* send(method, { level: "info", uri: "mem://a" }, stateless())
          assert.strictEqual(errorOf(response).code, ErrorCode.MethodNotFound, method)
          assert.strictEqual(response.status, 404, method)
        }
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers ping with an empty result in a session", () =>
      Effect.gen(function*() {
        const response = yield* send("ping", undefined, session())
        assert.deepStrictEqual(resultOf(response), {})
        assert.strictEqual(response.id, 7)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("records resources/subscribe and unsubscribe on the session", () =>
      Effect.gen(function*() {
        const peer = session()
        resultOf(yield* send("resources/subscribe", { uri: "mem://a" }, peer))
        assert.isTrue(peer.session.subscriptions.has("mem://a"))
        resultOf(yield* send("resources/unsubscribe", { uri: "mem://a" }, peer))
        assert.isFalse(peer.session.subscriptions.has("mem://a"))
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("logging", () => {
    it.effect("logging/setLevel sets the session's level and rejects unknown levels", () =>
      Effect.gen(function*() {
        const peer = session()
        assert.deepStrictEqual(resultOf(yield* send("logging/setLevel", { level: "warning" }, peer)), {})
        assert.strictEqual(peer.session.logLevel, "warning")
        assert.strictEqual(errorOf(yield* send("logging/setLevel", { level: "loud" }, peer)).code, ErrorCode.InvalidParams)
        assert.strictEqual(peer.session.logLevel, "warning")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("sends only log messages at or above the session's level", () =>
      Effect.gen(function*() {
        const peer = session()
        yield* send("logging/setLevel", { level: "info" }, peer)
        const out = recorder()
        resultOf(yield* callTool("logs", {}, peer, out))
        assert.deepStrictEqual(out.notifications, [
          { method: "notifications/message", params: { level: "info", data: "info detail" } },
          { method: "notifications/message", params: { level: "error", data: "bad thing", logger: "db" } }
        ])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("sends every level in a session without a level, and none to a stateless peer without one", () =>
      Effect.gen(function*() {
        const sessionOut = recorder()
        yield* callTool("logs", {}, session(), sessionOut)
        assert.strictEqual(sessionOut.notifications.length, 3)
        const statelessOut = recorder()
        yield* callTool("logs", {}, stateless(), statelessOut)
        assert.deepStrictEqual(statelessOut.notifications, [])
        const thresholdOut = recorder()
        yield* callTool("logs", {}, { ...stateless(), logLevel: "error" }, thresholdOut)
        assert.deepStrictEqual(thresholdOut.notifications.map((n) => n.params.level), ["error"])
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("progress", () => {
    it.effect("sends notifications/progress only when the call carries a progressToken", () =>
      Effect.gen(function*() {
        const silent = recorder()
        resultOf(yield* callTool("progress", {}, session(), silent))
        assert.deepStrictEqual(silent.notifications, [])
        const out = recorder()
        resultOf(yield* callTool("progress", {}, session(), out, { _meta: { progressToken: "tok-1" } }))
        assert.deepStrictEqual(out.notifications, [
          { method: "notifications/progress", params: { progressToken: "tok-1", progress: 1, total: 2, message: "half" } },
          { method: "notifications/progress", params: { progressToken: "tok-1", progress: 2, total: 2 } }
        ])
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("multi-round-trip input", () => {
    const elicitingClient = { elicitation: {} }

    it.effect("answers input_required with the input requests and a requestState for a stateless peer", () =>
      Effect.gen(function*() {
        const response = yield* callTool("ask", {}, stateless(elicitingClient))
        assert.strictEqual(response.status, 200)
        const result = resultOf(response)
        assert.strictEqual(result.resultType, "input_required")
        assert.deepStrictEqual(result.inputRequests, { confirm: confirmRequest })
        assert.isString(result.requestState)
        assert.isNotEmpty(result.requestState)
        assert.isUndefined(result.content)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("re-runs the tool with the responses and its own state", () =>
      Effect.gen(function*() {
        const peer = stateless(elicitingClient)
        const first = resultOf(yield* callTool("ask", {}, peer))
        const response = { action: "accept", content: { ok: true } }
        const second = resultOf(yield* callTool("ask", {}, peer, undefined, {
          inputResponses: { confirm: response },
          requestState: first.requestState
        }))
        assert.strictEqual(second.resultType, "complete")
        assert.deepStrictEqual(JSON.parse(second.content[0].text), { response, state: { step: 1 } })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("turns ctx.elicit on a stateless peer into input_required, then answers with the response", () =>
      Effect.gen(function*() {
        const peer = stateless(elicitingClient)
        const first = resultOf(yield* callTool("elicit", {}, peer))
        assert.strictEqual(first.resultType, "input_required")
        const [key, request] = Object.entries(first.inputRequests as Record<string, Tool.InputRequest>)[0]!
        assert.strictEqual(request.method, "elicitation/create")
        const second = resultOf(yield* callTool("elicit", {}, peer, undefined, {
          inputResponses: { [key]: { action: "accept", content: { name: "Ada" } } },
          requestState: first.requestState
        }))
        assert.deepStrictEqual(second.content, [{ type: "text", text: "answer: accept" }])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("refuses a tampered requestState with -32602", () =>
      Effect.gen(function*() {
        const peer = stateless(elicitingClient)
        const state = resultOf(yield* callTool("ask", {}, peer)).requestState as string
        const dot = state.lastIndexOf(".")
        const prefix = state.slice(0, 3)
        const envelope = JSON.parse(Buffer.from(state.slice(3, dot), "base64url").toString())
        envelope.p.u = { step: 99 }
        const forged = `${prefix}${Buffer.from(JSON.stringify(envelope)).toString("base64url")}${state.slice(dot)}`
        for (const requestState of [forged, "not-a-state", 42]) {
          const error = errorOf(yield* callTool("ask", {}, peer, undefined, { inputResponses: { confirm: { action: "accept" } }, requestState }))
          assert.strictEqual(error.code, ErrorCode.InvalidParams)
          assert.include(error.message, "requestState")
        }
      }).pipe(Effect.provide(TestLayer)))

    it.effect("refuses a requestState minted for another tool", () =>
      Effect.gen(function*() {
        const peer = stateless(elicitingClient)
        const state = resultOf(yield* callTool("ask", {}, peer)).requestState
        const error = errorOf(yield* callTool("elicit", {}, peer, undefined, { requestState: state }))
        assert.strictEqual(error.code, ErrorCode.InvalidParams)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("refuses a requestState minted for another principal", () =>
      Effect.gen(function*() {
        const alice = { ...stateless(elicitingClient), principal: "alice" }
        const state = resultOf(yield* callTool("ask", {}, alice)).requestState
        const asBob = yield* callTool("ask", {}, { ...alice, principal: "bob" }, undefined, {
          inputResponses: { confirm: { action: "accept" } },
          requestState: state
        })
        assert.strictEqual(errorOf(asBob).code, ErrorCode.InvalidParams)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("carries the responses of earlier rounds in the requestState", () =>
      Effect.gen(function*() {
        const peer = stateless(elicitingClient)
        const first = resultOf(yield* callTool("twoRounds", {}, peer))
        assert.deepStrictEqual(Object.keys(first.inputRequests), ["first"])
        const second = resultOf(yield* callTool("twoRounds", {}, peer, undefined, {
          inputResponses: { first: { action: "accept", content: { n: 1 } } },
          requestState: first.requestState
        }))
        assert.strictEqual(second.resultType, "input_required")
        assert.deepStrictEqual(Object.keys(second.inputRequests), ["second"])
        const third = resultOf(yield* callTool("twoRounds", {}, peer, undefined, {
          inputResponses: { second: { action: "accept", content: { n: 2 } } },
          requestState: second.requestState
        }))
        assert.deepStrictEqual(JSON.parse(third.content[0].text), {
          responses: { first: { action: "accept", content: { n: 1 } }, second: { action: "accept", content: { n: 2 } } },
          state: "after-second"
        })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers -32021 when the client capabilities do not cover an input request", () =>
      Effect.gen(function*() {
        const noElicitation = yield* callTool("ask", {}, stateless({ roots: {} }))
        assert.strictEqual(errorOf(noElicitation).code, McpErrorCode.MissingRequiredClientCapability)
        assert.strictEqual(noElicitation.status, 400)
        const noRoots = errorOf(yield* callTool("askRoots", {}, stateless(elicitingClient)))
        assert.strictEqual(noRoots.code, McpErrorCode.MissingRequiredClientCapability)
        assert.deepStrictEqual(noRoots.data, { requiredCapabilities: { roots: {} } })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("asks the client over a session's Outbound and re-runs the tool", () =>
      Effect.gen(function*() {
        const response = { action: "accept", content: { ok: true } }
        const out = recorder(() => response)
        const result = resultOf(yield* callTool("ask", {}, session(elicitingClient), out))
        assert.deepStrictEqual(out.requests, [{ method: confirmRequest.method, params: confirmRequest.params }])
        assert.isUndefined(result.resultType)
        assert.notInclude(JSON.stringify(result), "input_required")
        assert.deepStrictEqual(JSON.parse(result.content[0].text), { response, state: { step: 1 } })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("asks a session client through every round until the tool completes", () =>
      Effect.gen(function*() {
        const out = recorder(() => ({ action: "accept" }))
        const result = resultOf(yield* callTool("twoRounds", {}, session(elicitingClient), out))
        assert.strictEqual(out.requests.length, 2)
        assert.deepStrictEqual(JSON.parse(result.content[0].text).state, "after-second")
      }).pipe(Effect.provide(TestLayer)))

    // The capability check must not depend on the transport: a session client that did not
    // declare `elicitation` must not be sent elicitation/create (MCP: servers only send requests
    // for capabilities the client declared).
    it.effect("answers -32021 in a session too, without asking a client that lacks the capability", () =>
      Effect.gen(function*() {
        const out = recorder(() => ({ action: "accept" }))
        const response = yield* callTool("ask", {}, session({}), out)
        assert.deepStrictEqual(out.requests, [], "elicitation/create was sent to a client without the elicitation capability")
        assert.strictEqual(errorOf(response).code, McpErrorCode.MissingRequiredClientCapability)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("sends ctx.elicit straight to the client in a session", () =>
      Effect.gen(function*() {
        const out = recorder(() => ({ action: "decline" }))
        const result = resultOf(yield* callTool("elicit", {}, session(elicitingClient), out))
        assert.strictEqual(out.requests.length, 1)
        assert.deepStrictEqual(result.content, [{ type: "text", text: "answer: decline" }])
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("resources", () => {
    it.effect("reads a fixed resource and a template match", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(resultOf(yield* send("resources/read", { uri: "mem://a" }, session())).contents, [{ uri: "mem://a", text: "A" }])
        assert.deepStrictEqual(resultOf(yield* send("resources/read", { uri: "file:///notes" }, session())).contents, [
          { uri: "file:///notes", text: "file notes" }
        ])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers an unknown resource with -32602 and data.uri", () =>
      Effect.gen(function*() {
        for (const peer of [stateless(), session()]) {
          const response = yield* send("resources/read", { uri: "mem://missing" }, peer)
          assert.notInclude(response.body, "-32002")
          const error = errorOf(response)
          assert.strictEqual(error.code, ErrorCode.InvalidParams)
          assert.deepStrictEqual(error.data, { uri: "mem://missing" })
          assert.strictEqual(response.status, 200)
        }
      }).pipe(Effect.provide(TestLayer)))

    it.effect("marks a stateless read as private and uncacheable", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* send("resources/read", { uri: "mem://a" }, stateless()))
        assert.strictEqual(result.cacheScope, "private")
        assert.strictEqual(result.ttlMs, 0)
        assert.strictEqual(result.resultType, "complete")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("lists resources and templates", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(resultOf(yield* send("resources/list", undefined, session())).resources, [{ uri: "mem://a", name: "a" }])
        assert.deepStrictEqual(resultOf(yield* send("resources/templates/list", undefined, session())).resourceTemplates, [
          { uriTemplate: "file:///{name}", name: "files" }
        ])
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("prompts", () => {
    it.effect("renders a prompt with its arguments", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* send("prompts/get", { name: "greet", arguments: { who: "Ada" } }, session()))
        assert.deepStrictEqual(result.messages, [{ role: "user", content: { type: "text", text: "Hello Ada" } }])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a missing required argument with -32602 naming it", () =>
      Effect.gen(function*() {
        const error = errorOf(yield* send("prompts/get", { name: "greet", arguments: { tone: "warm" } }, stateless()))
        assert.strictEqual(error.code, ErrorCode.InvalidParams)
        assert.include(error.message, "who")
        assert.notInclude(error.message, "tone")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers an unknown prompt and non-string arguments with -32602", () =>
      Effect.gen(function*() {
        assert.strictEqual(errorOf(yield* send("prompts/get", { name: "nope" }, session())).code, ErrorCode.InvalidParams)
        assert.strictEqual(errorOf(yield* send("prompts/get", { name: "greet", arguments: { who: 1 } }, session())).code, ErrorCode.InvalidParams)
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("completion/complete", () => {
    it.effect("completes a prompt argument", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* send("completion/complete", {
          ref: { type: "ref/prompt", name: "greet" },
          argument: { name: "who", value: "al" }
        }, session()))
        assert.deepStrictEqual(result.completion, { values: ["alice", "albert"], total: 2, hasMore: false })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("completes a resource template variable, decorated for a stateless peer", () =>
      Effect.gen(function*() {
        const result = resultOf(yield* send("completion/complete", {
          ref: { type: "ref/resource", uri: "file:///{name}" },
          argument: { name: "name", value: "alp" }
        }, stateless()))
        assert.deepStrictEqual(result.completion.values, ["alpha", "alpine"])
        assert.strictEqual(result.resultType, "complete")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("answers a malformed completion request with -32602", () =>
      Effect.gen(function*() {
        assert.strictEqual(errorOf(yield* send("completion/complete", { ref: { type: "ref/prompt", name: "greet" } }, session())).code, ErrorCode.InvalidParams)
        assert.strictEqual(errorOf(yield* send("completion/complete", {
          ref: { type: "ref/other" },
          argument: { name: "who", value: "" }
        }, session())).code, ErrorCode.InvalidParams)
      }).pipe(Effect.provide(TestLayer)))
  })
})
