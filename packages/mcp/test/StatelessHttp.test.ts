import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Dispatcher } from "../src/Dispatcher.ts"
import { makeCalls } from "../src/internal/Exchange.ts"
import * as Gate from "../src/internal/Gate.ts"
import { header } from "../src/internal/Headers.ts"
import { Quota } from "../src/internal/Quota.ts"
import * as StatelessHttp from "../src/internal/StatelessHttp.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"
import { below, meta, modernBody, modernHeaders } from "./support/Fixtures.ts"
import { open, send, serve, sseMessages } from "./support/Http.ts"

/** The 2026-07-28 handler alone on a real server (every request is treated as stateless). */
const statelessServer = (listenQuota = new Quota(10, 10), listenFilter = { maxUris: 1000, maxBytes: 65_536 }) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const tools = yield* ToolRegistry
    const calls = yield* makeCalls(100, () => {})
    const handler = StatelessHttp.make({
      dispatcher,
      tools,
      calls,
      support: { record: () => Promise.resolve("unused"), onError: () => {} },
      listenQuota,
      listenFilter,
      clientRequestTimeoutMs: 1000
    })
    const { url } = yield* serve((req, res) =>
      Gate.readJson(req, res, { maxBodyBytes: 1_000_000, maxDepth: 512 }, undefined, (_, __, body) => handler.handle(req, res, body as Record<string, unknown>, header(req, "mcp-protocol-version"), undefined, "client"))
    )
    return { url, handler }
  })

const provided = Effect.provide(below())
const json = (body: string) => JSON.parse(body)
const errorOf = (r: { status: number; body: string }) => [r.status, json(r.body).error?.code]

describe("StatelessHttp", () => {
  it.live("checks the envelope against the headers", () =>
    Effect.gen(function*() {
      const { url } = yield* statelessServer()
      const call = (headers: Record<string, string>, body: unknown) => send(url, { headers, body }).pipe(Effect.map(errorOf))
      const list = modernHeaders("tools/list")
      assert.deepStrictEqual(yield* call(list, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }), [400, -32602])
      assert.deepStrictEqual(yield* call(list, { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } }), [400, -32602])
      assert.deepStrictEqual(yield* call({ ...list, "mcp-protocol-version": "2099-01-01" }, modernBody(1, "tools/list")), [400, -32020])
      assert.deepStrictEqual(yield* call(modernHeaders("tools/call"), modernBody(1, "tools/list")), [400, -32020])
      const { "mcp-method": _, ...noMethod } = list
      assert.deepStrictEqual(yield* call(noMethod, modernBody(1, "tools/list")), [400, -32020])
      const future = { ...modernBody(1, "tools/list"), params: { _meta: { ...meta, "io.modelcontextprotocol/protocolVersion": "2099-01-01" } } }
      assert.deepStrictEqual(yield* call({ ...list, "mcp-protocol-version": "2099-01-01" }, future), [400, -32022])
      assert.deepStrictEqual(yield* call(modernHeaders("tools/call", "other"), modernBody(1, "tools/call", { name: "echo", arguments: { text: "x" } })), [400, -32020])
      assert.strictEqual((yield* send(url, { headers: modernHeaders("notifications/cancelled"), body: { jsonrpc: "2.0", method: "notifications/cancelled", params: { _meta: meta } } })).status, 202)
    }).pipe(provided))

  it.live("answers a call in plain JSON, and upgrades to SSE when it reports progress", () =>
    Effect.gen(function*() {
      const { url } = yield* statelessServer()
      const echo = yield* send(url, { headers: modernHeaders("tools/call", "echo"), body: modernBody(1, "tools/call", { name: "echo", arguments: { text: "hi" } }) })
      assert.strictEqual(echo.headers["content-type"], "application/json")
      assert.strictEqual(json(echo.body).result.resultType, "complete")
      const counted = yield* send(url, {
        headers: modernHeaders("tools/call", "count"),
        body: { ...modernBody(2, "tools/call", { name: "count", arguments: { to: 2 } }), params: { name: "count", arguments: { to: 2 }, _meta: { ...meta, progressToken: "p" } } }
      })
      assert.strictEqual(counted.headers["content-type"], "text/event-stream")
      const messages = sseMessages(counted.body)
      assert.deepStrictEqual(messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress), [1, 2])
      assert.strictEqual(messages.at(-1).id, 2)
    }).pipe(provided))

  it.live("serves subscriptions/listen: acknowledges the filter, delivers only what it asks for", () =>
    Effect.gen(function*() {
      const { url, handler } = yield* statelessServer()
      const stream = yield* open(url, {
        headers: modernHeaders("subscriptions/listen"),
        body: modernBody(5, "subscriptions/listen", { notifications: { promptsListChanged: true, resourceSubscriptions: ["mem://a", 7] } })
      })
      const acknowledged = sseMessages(yield* stream.until((t) => t.includes("acknowledged")))[0]
      assert.deepStrictEqual(acknowledged.params.notifications, { promptsListChanged: true, resourceSubscriptions: ["mem://a"] })
      handler.deliver({ _tag: "ListChanged", method: "notifications/tools/list_changed" })
      handler.deliver({ _tag: "ResourceUpdated", uri: "mem://b" })
      handler.deliver({ _tag: "ResourceUpdated", uri: "mem://a" })
      handler.deliver({ _tag: "ListChanged", method: "notifications/prompts/list_changed" })
      const messages = sseMessages(yield* stream.until((t) => t.includes("prompts/list_changed"))).slice(1)
      assert.deepStrictEqual(messages.map((m) => [m.method, m.params.uri, m.params._meta["io.modelcontextprotocol/subscriptionId"]]), [
        ["notifications/resources/updated", "mem://a", 5],
        ["notifications/prompts/list_changed", undefined, 5]
      ])
      assert.strictEqual(handler.listening(), 1)
    }).pipe(provided))

  it.live("refuses a listen stream past the client's share with 429 and a retry hint", () =>
    Effect.gen(function*() {
      const quota = new Quota(2, 1)
      const { url } = yield* statelessServer(quota)
      const listen = (id: number) => ({ headers: modernHeaders("subscriptions/listen"), body: modernBody(id, "subscriptions/listen", { notifications: {} }) })
      assert.strictEqual((yield* open(url, listen(1))).status, 200)
      const refused = yield* send(url, listen(2))
      assert.deepStrictEqual([refused.status, json(refused.body).error.data.limit], [429, "maxListenStreamsPerPrincipal"])
      assert.strictEqual(refused.headers["retry-after"], "1")
      assert.deepStrictEqual(errorOf(yield* send(url, { ...listen(3), body: modernBody(3, "subscriptions/listen") })), [200, -32602])
    }).pipe(provided))

  it.live("refuses a listen filter past its bounds with -32602, taking no stream slot", () =>
    Effect.gen(function*() {
      const { url, handler } = yield* statelessServer(new Quota(10, 1), { maxUris: 2, maxBytes: 100 })
      const listen = (id: number, notifications: unknown) => open(url, { headers: modernHeaders("subscriptions/listen"), body: modernBody(id, "subscriptions/listen", { notifications }) })
      const refusal = (notifications: unknown) =>
        listen(1, notifications).pipe(Effect.flatMap((s) => s.ended), Effect.map((text) => json(text).error?.code))
      assert.strictEqual(yield* refusal({ resourceSubscriptions: ["a://1", "a://2", "a://3"] }), -32602)
      assert.strictEqual(yield* refusal({ resourceSubscriptions: [`a://${"x".repeat(5000)}`] }), -32602)
      assert.strictEqual(yield* refusal({ resourceSubscriptions: [`a://${"x".repeat(60)}`, `b://${"x".repeat(60)}`] }), -32602)
      const ok = yield* listen(2, { resourceSubscriptions: ["a://1"], junk: "j".repeat(1000) })
      assert.deepStrictEqual(sseMessages(yield* ok.until((t) => t.includes("acknowledged")))[0].params.notifications, { resourceSubscriptions: ["a://1"] })
      assert.strictEqual(handler.listening(), 1)
    }).pipe(provided))
})
