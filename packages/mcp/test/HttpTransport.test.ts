import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { EventStore } from "../src/EventStore.ts"
import { HttpTransport, type HttpTransportOptions } from "../src/HttpTransport.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"
import { below, initialize, legacyHeaders, meta, modernBody, modernHeaders, rpc, THROWING_METHOD } from "./support/Fixtures.ts"
import { open, send, serve, sseMessages } from "./support/Http.ts"

/** The transport under test, mounted on a real server for the test's scope; returns its URL. */
const mounted = Effect.gen(function*() {
  const transport = yield* HttpTransport
  const { url } = yield* serve(transport.handle)
  return url
})

/** Provides the transport (with `options`) and everything below it. */
const withTransport = (options: HttpTransportOptions = {}, events?: Layer.Layer<EventStore>) =>
  Effect.provide(HttpTransport.layer(options).pipe(Layer.provideMerge(below({ events }))))

const json = (body: string) => JSON.parse(body)

const openSession = (url: string) =>
  send(url, { headers: legacyHeaders, body: initialize }).pipe(Effect.map((r) => r.headers["mcp-session-id"] as string))

const ping = (url: string) =>
  send(url, { headers: modernHeaders("tools/call", "echo"), body: modernBody(99, "tools/call", { name: "echo", arguments: { text: "still here" } }) }).pipe(
    Effect.map((r) => json(r.body).result.content[0].text as string)
  )

describe("HttpTransport", () => {
  describe("batches (2025-11-25)", () => {
    it.live("answers every request of a batch in one array, in order; notifications and responses get no answer", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const sid = yield* openSession(url)
        const r = yield* send(url, {
          headers: { ...legacyHeaders, "mcp-session-id": sid },
          body: [
            rpc(1, "ping"),
            { jsonrpc: "2.0", method: "notifications/initialized" },
            rpc(2, "tools/call", { name: "echo", arguments: { text: "hi" } }),
            { jsonrpc: "2.0", id: "x", result: {} },
            { id: 3, method: "ping" },
            rpc(4, "no/such/method")
          ]
        })
        assert.strictEqual(r.status, 200)
        assert.strictEqual(r.headers["mcp-session-id"], sid)
        const answers = json(r.body)
        assert.deepStrictEqual(answers.map((a: any) => a.id), [1, 2, 3, 4])
        assert.deepStrictEqual(answers[0].result, {})
        assert.deepStrictEqual(answers[1].result.content, [{ type: "text", text: "hi" }])
        assert.strictEqual(answers[2].error.code, -32600)
        assert.strictEqual(answers[3].error.code, -32601)
      }).pipe(withTransport()))

    it.live("answers a batch of notifications only with 202", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const sid = yield* openSession(url)
        const r = yield* send(url, { headers: { ...legacyHeaders, "mcp-session-id": sid }, body: [{ jsonrpc: "2.0", method: "notifications/initialized" }] })
        assert.strictEqual(r.status, 202)
      }).pipe(withTransport()))

    it.live("refuses empty, oversized, 2026-07-28 and initialize batches, and batches without a session", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const sid = yield* openSession(url)
        const headers = { ...legacyHeaders, "mcp-session-id": sid }
        const refused = (body: unknown, h: Record<string, string> = headers) => send(url, { headers: h, body }).pipe(Effect.map((r) => [r.status, json(r.body).error.code]))
        assert.deepStrictEqual(yield* refused([]), [400, -32600])
        assert.deepStrictEqual(yield* refused(Array.from({ length: 101 }, (_, i) => rpc(i, "ping"))), [400, -32600])
        assert.deepStrictEqual(yield* refused([modernBody(1, "tools/list")]), [400, -32600])
        assert.deepStrictEqual(yield* refused([initialize]), [400, -32600])
        assert.deepStrictEqual(yield* refused([rpc(1, "ping")], legacyHeaders), [400, -32000])
      }).pipe(withTransport()))
  })

  describe("a defect while handling one request", () => {
    it.live("answers -32603 to that 2026-07-28 request alone and keeps serving", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const r = yield* send(url, { headers: modernHeaders(THROWING_METHOD), body: modernBody(7, THROWING_METHOD) })
        assert.deepStrictEqual(json(r.body), { jsonrpc: "2.0", id: 7, error: { code: -32603, message: "Internal error" } })
        assert.strictEqual(yield* ping(url), "still here")
      }).pipe(withTransport()))

    it.live("answers -32603 to that 2025-11-25 request, and to that batch member alone", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const sid = yield* openSession(url)
        const headers = { ...legacyHeaders, "mcp-session-id": sid }
        const single = yield* send(url, { headers, body: rpc(8, THROWING_METHOD) })
        assert.deepStrictEqual(json(single.body).error, { code: -32603, message: "Internal error" })
        const batch = yield* send(url, { headers, body: [rpc(9, "ping"), rpc(10, THROWING_METHOD), rpc(11, "ping")] })
        assert.strictEqual(batch.status, 200)
        const answers = json(batch.body)
        assert.deepStrictEqual(answers.map((a: any) => [a.id, a.error?.code]), [[9, undefined], [10, -32603], [11, undefined]])
        assert.strictEqual(yield* ping(url), "still here")
      }).pipe(withTransport()))
  })

  describe("a failing event store", () => {
    const failing = Layer.succeed(EventStore)(EventStore.of({
      append: () => Effect.die(new Error("event store down")),
      replayAfter: () => Effect.die(new Error("event store down")),
      dropStream: () => Effect.void
    }))

    it.live("ends the call's SSE stream cleanly; the server keeps serving", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const sid = yield* openSession(url)
        const r = yield* send(url, {
          headers: { ...legacyHeaders, "mcp-session-id": sid },
          body: rpc(1, "tools/call", { name: "count", arguments: { to: 3 }, _meta: { progressToken: "p" } })
        })
        assert.strictEqual(r.headers["content-type"], "text/event-stream")
        assert.deepStrictEqual(sseMessages(r.body), [])
        assert.strictEqual(yield* ping(url), "still here")
      }).pipe(withTransport({}, failing)))
  })

  describe("subscriptions/listen (2026-07-28)", () => {
    const listen = (url: string) =>
      open(url, { headers: modernHeaders("subscriptions/listen"), body: modernBody(1, "subscriptions/listen", { notifications: { toolsListChanged: true } }) })

    it.live("delivers list changes tagged with the subscription id", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const stream = yield* listen(url)
        yield* stream.until((t) => t.includes("acknowledged"))
        yield* ToolRegistry.use((r) => r.remove("echo"))
        const text = yield* stream.until((t) => t.includes("list_changed"))
        assert.deepStrictEqual(sseMessages(text)[1], {
          jsonrpc: "2.0",
          method: "notifications/tools/list_changed",
          params: { _meta: { "io.modelcontextprotocol/subscriptionId": 1 } }
        })
      }).pipe(withTransport()))

    it.live("gives a client's slot back when its stream closes", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        yield* Effect.scoped(Effect.gen(function*() {
          assert.strictEqual((yield* listen(url)).status, 200)
          const second = yield* send(url, { headers: modernHeaders("subscriptions/listen"), body: modernBody(2, "subscriptions/listen", { notifications: {} }) })
          assert.strictEqual(second.status, 429)
          assert.strictEqual(second.headers["retry-after"], "1")
          assert.deepStrictEqual(json(second.body).error.data, { retryAfterMs: 1000, limit: "maxListenStreamsPerPrincipal" })
        }))
        yield* Effect.sleep(50)
        assert.strictEqual((yield* Effect.scoped(listen(url))).status, 200)
      }).pipe(withTransport({ maxListenStreamsPerPrincipal: 1 })))

    it.effect("sends keep-alive comments on a Schedule", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const stream = yield* listen(url)
        yield* stream.until((t) => t.includes("acknowledged"))
        yield* TestClock.adjust("15 seconds")
        const text = yield* stream.until((t) => t.includes(": keepalive"))
        assert.include(text, ": keepalive\n\n")
      }).pipe(withTransport({ keepAliveMs: 15_000 })))
  })

  describe("calls in flight", () => {
    it.live("refuses a call past maxInflightCalls with 503, Retry-After and ServerBusy", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const waiting = yield* Effect.forkChild(send(url, { headers: modernHeaders("tools/call", "wait"), body: modernBody(1, "tools/call", { name: "wait", arguments: { ms: 300 } }) }))
        yield* Effect.sleep(100)
        const refused = yield* send(url, { headers: modernHeaders("tools/call", "wait"), body: modernBody(2, "tools/call", { name: "wait", arguments: { ms: 1 } }) })
        assert.strictEqual(refused.status, 503)
        assert.strictEqual(refused.headers["retry-after"], "1")
        assert.deepStrictEqual(json(refused.body).error, {
          code: -32000,
          message: "Service Unavailable: 1 calls are in flight on this instance; retry later",
          data: { retryAfterMs: 1000, limit: "maxInflightCalls" }
        })
        // answers that need no fiber (lists) are never refused
        assert.strictEqual((yield* send(url, { headers: modernHeaders("tools/list"), body: modernBody(3, "tools/list") })).status, 200)
        assert.strictEqual(json((yield* Fiber.join(waiting)).body).result.content[0].text, "waited 300")
      }).pipe(withTransport({ maxInflightCalls: 1 })))
  })

  describe("drain", () => {
    it.live("lets calls in flight finish, then answers new requests 503", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const transport = yield* HttpTransport
        const waiting = yield* Effect.forkChild(send(url, { headers: modernHeaders("tools/call", "wait"), body: modernBody(1, "tools/call", { name: "wait", arguments: { ms: 100 } }) }))
        yield* Effect.sleep(30)
        assert.strictEqual(transport.inflight(), 1)
        yield* transport.drain(5_000)
        assert.strictEqual(transport.inflight(), 0)
        assert.strictEqual(json((yield* Fiber.join(waiting)).body).result.content[0].text, "waited 100")
        assert.strictEqual((yield* send(url, { headers: modernHeaders("tools/list"), body: modernBody(2, "tools/list") })).status, 503)
      }).pipe(withTransport()))
  })

  describe("message bounds", () => {
    it.live("refuses a body nested deeper than maxJsonDepth with 400 -32600 in both revisions", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const nested = `${"[".repeat(20)}${"]".repeat(20)}`
        const modern = yield* send(url, { headers: modernHeaders("tools/call", "echo"), body: JSON.stringify(modernBody(1, "tools/call", { name: "echo", arguments: { text: "x", ignored: JSON.parse(nested) } })) })
        const legacy = yield* send(url, { headers: legacyHeaders, body: `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"x":${nested}}}` })
        for (const r of [modern, legacy]) {
          assert.strictEqual(r.status, 400)
          assert.deepStrictEqual(json(r.body), { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: the message nests deeper than 16 levels" } })
        }
        assert.strictEqual(yield* ping(url), "still here")
      }).pipe(withTransport({ maxJsonDepth: 16 })))

    it.live("refuses initialize capabilities past maxClientCapabilitiesBytes and listen filters past their bounds with -32602", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const init = yield* send(url, { headers: legacyHeaders, body: { ...initialize, params: { ...initialize.params, capabilities: { x: "c".repeat(600) } } } })
        assert.deepStrictEqual([init.status, json(init.body).error.code], [200, -32602])
        const filter = yield* send(url, {
          headers: modernHeaders("subscriptions/listen"),
          body: modernBody(2, "subscriptions/listen", { notifications: { resourceSubscriptions: Array.from({ length: 10 }, (_, i) => `mem://${i}/${"u".repeat(10)}`) } })
        })
        assert.deepStrictEqual([filter.status, json(filter.body).error.code], [200, -32602])
      }).pipe(withTransport({ maxClientCapabilitiesBytes: 500, maxListenFilterBytes: 100 })))

    it.live("refuses a progress token longer than 256 characters with -32602, for a single request and a batch member", () =>
      Effect.gen(function*() {
        const url = yield* mounted
        const sid = yield* openSession(url)
        const call = (id: number, progressToken: unknown) => rpc(id, "tools/call", { name: "count", arguments: { to: 2 }, _meta: { progressToken } })
        const single = yield* send(url, { headers: { ...legacyHeaders, "mcp-session-id": sid }, body: call(1, "p".repeat(257)) })
        assert.deepStrictEqual([single.status, json(single.body).error?.code], [200, -32602])
        const modern = yield* send(url, { headers: modernHeaders("tools/call", "count"), body: { ...modernBody(2, "tools/call"), params: { name: "count", arguments: { to: 2 }, _meta: { ...meta, progressToken: "p".repeat(257) } } } })
        assert.deepStrictEqual(json(modern.body).error?.code, -32602)
        const batch = yield* send(url, { headers: { ...legacyHeaders, "mcp-session-id": sid }, body: [call(3, "p".repeat(257)), call(4, "short")] })
        assert.deepStrictEqual(json(batch.body).map((a: any) => [a.id, a.error?.code]), [[3, -32602], [4, undefined]])
      }).pipe(withTransport()))
  })
})
