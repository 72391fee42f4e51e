import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Dispatcher } from "../src/Dispatcher.ts"
import { EventStore } from "../src/EventStore.ts"
import { makeCalls } from "../src/internal/Exchange.ts"
import * as Gate from "../src/internal/Gate.ts"
import * as SessionHttp from "../src/internal/SessionHttp.ts"
import { Sessions } from "../src/Sessions.ts"
import { below, initialize, legacyHeaders, rpc } from "./support/Fixtures.ts"
import { open, send, serve, sseMessages } from "./support/Http.ts"

/** The 2025-11-25 handler alone on a real server; the principal is the `x-principal` header. */
const sessionServer = Effect.gen(function*() {
  const dispatcher = yield* Dispatcher
  const sessions = yield* Sessions
  const events = yield* EventStore
  const context = yield* Effect.context<never>()
  const runFork = Effect.runForkWith(context)
  const calls = yield* makeCalls(100, () => {})
  const handler = SessionHttp.make({
    dispatcher,
    sessions,
    events,
    calls,
    support: { record: (streamId, message) => Effect.runPromiseWith(context)(events.append(streamId, message)), onError: () => {} },
    clientRequestTimeoutMs: 1000,
    maxClientCapabilitiesBytes: 1000,
    runFork,
    onDefect: () => {}
  })
  const { url } = yield* serve((req, res) => {
    const principal = req.headers["x-principal"] as string | undefined
    if (req.method === "GET") return handler.get(req, res, principal)
    if (req.method === "DELETE") return handler.remove(req, res, principal)
    Gate.readJson(req, res, { maxBodyBytes: 1_000_000, maxDepth: 512 }, principal, (_, __, body) =>
      Array.isArray(body)
        ? handler.batch(req, res, body, principal)
        : handler.post(req, res, body as Record<string, unknown>, principal, principal ?? "anonymous"))
  })
  return { url, handler }
})

const json = (body: string) => JSON.parse(body)

const start = (url: string, principal = "alice") =>
  send(url, { headers: { ...legacyHeaders, "x-principal": principal }, body: initialize }).pipe(
    Effect.map((r) => ({ status: r.status, id: r.headers["mcp-session-id"] as string | undefined, body: r.body, retryAfter: r.headers["retry-after"] }))
  )

describe("SessionHttp", () => {
  it.live("creates a session on initialize and serves requests that name it, for its principal only", () =>
    Effect.gen(function*() {
      const { url } = yield* sessionServer
      const { id } = yield* start(url)
      const as = (principal: string, sessionId = id!) => ({ ...legacyHeaders, "x-principal": principal, "mcp-session-id": sessionId })
      assert.deepStrictEqual(json((yield* send(url, { headers: as("alice"), body: rpc(1, "ping") })).body).result, {})
      assert.strictEqual((yield* send(url, { headers: as("mallory"), body: rpc(2, "ping") })).status, 404)
      assert.strictEqual((yield* send(url, { headers: as("alice", "unknown"), body: rpc(3, "ping") })).status, 404)
      assert.strictEqual((yield* send(url, { headers: { ...legacyHeaders, "x-principal": "alice" }, body: rpc(4, "ping") })).status, 400)
      assert.strictEqual((yield* send(url, { headers: { ...as("alice"), "mcp-protocol-version": "1999-01-01" }, body: rpc(5, "ping") })).status, 400)
      assert.strictEqual((yield* send(url, { headers: as("alice"), body: { jsonrpc: "2.0", method: "notifications/initialized" } })).status, 202)
      assert.strictEqual((yield* send(url, { headers: as("alice"), body: initialize })).status, 400)
      assert.strictEqual((yield* send(url, { method: "DELETE", headers: as("alice") })).status, 200)
      assert.strictEqual((yield* send(url, { headers: as("alice"), body: rpc(6, "ping") })).status, 404)
    }).pipe(Effect.provide(below())))

  it.live("refuses initialize past the principal's share with 429, and past the instance's with 503", () =>
    Effect.gen(function*() {
      const { url } = yield* sessionServer
      assert.strictEqual((yield* start(url, "alice")).status, 200)
      const second = yield* start(url, "alice")
      assert.deepStrictEqual([second.status, second.retryAfter, json(second.body).error.data], [429, "1", { retryAfterMs: 1000, limit: "maxSessionsPerPrincipal" }])
      assert.strictEqual((yield* start(url, "bob")).status, 200)
      const full = yield* start(url, "carol")
      assert.deepStrictEqual([full.status, json(full.body).error.data.limit], [503, "maxSessions"])
    }).pipe(Effect.provide(below({ sessions: { maxSessions: 2, maxSessionsPerPrincipal: 1 } }))))

  it.live("opens one GET stream per session, delivers what the session asked for, and resumes from Last-Event-ID", () =>
    Effect.gen(function*() {
      const { url, handler } = yield* sessionServer
      const { id } = yield* start(url)
      const headers = { accept: "text/event-stream", "x-principal": "alice", "mcp-session-id": id! }
      yield* send(url, { headers: { ...legacyHeaders, ...headers, accept: legacyHeaders.accept }, body: rpc(1, "resources/subscribe", { uri: "mem://a" }) })
      yield* send(url, { headers: { ...legacyHeaders, ...headers, accept: legacyHeaders.accept }, body: rpc(2, "logging/setLevel", { level: "error" }) })
      const text = yield* Effect.scoped(Effect.gen(function*() {
        const stream = yield* open(url, { method: "GET", headers })
        assert.strictEqual(stream.status, 200)
        assert.strictEqual((yield* send(url, { method: "GET", headers })).status, 409)
        handler.deliver({ _tag: "ResourceUpdated", uri: "mem://b" })
        handler.deliver({ _tag: "Log", level: "info", data: "quiet" })
        handler.deliver({ _tag: "ResourceUpdated", uri: "mem://a" })
        handler.deliver({ _tag: "Log", level: "critical", data: "loud" })
        handler.deliver({ _tag: "ListChanged", method: "notifications/tools/list_changed" })
        return yield* stream.until((t) => t.includes("list_changed"))
      }))
      assert.deepStrictEqual(sseMessages(text).map((m) => m.method === "notifications/message" ? m.params.data : m.params?.uri ?? m.method), [
        "mem://a",
        "loud",
        "notifications/tools/list_changed"
      ])
      const firstId = /^id: (.+)$/m.exec(text)![1]!
      const resumed = yield* Effect.scoped(Effect.gen(function*() {
        const stream = yield* open(url, { method: "GET", headers: { ...headers, "last-event-id": firstId } })
        return yield* stream.until((t) => t.includes("list_changed"))
      }))
      assert.deepStrictEqual(sseMessages(resumed).map((m) => m.method), ["notifications/message", "notifications/tools/list_changed"])
      const bad = yield* send(url, { method: "GET", headers: { ...headers, "last-event-id": `${id}/standalone:999` } })
      assert.strictEqual(bad.status, 400)
    }).pipe(Effect.provide(below())))

  it.live("answers in plain JSON a client that does not accept SSE", () =>
    Effect.gen(function*() {
      const { url } = yield* sessionServer
      const { id } = yield* start(url)
      const r = yield* send(url, {
        headers: { ...legacyHeaders, accept: "application/json", "x-principal": "alice", "mcp-session-id": id! },
        body: rpc(1, "tools/call", { name: "count", arguments: { to: 2 }, _meta: { progressToken: "p" } })
      })
      assert.strictEqual(r.headers["content-type"], "application/json")
      assert.deepStrictEqual(json(r.body).result.content, [{ type: "text", text: "counted to 2" }])
    }).pipe(Effect.provide(below())))

  it.live("refuses initialize whose capabilities are larger than the bound with -32602 and keeps no session", () =>
    Effect.gen(function*() {
      const { url } = yield* sessionServer
      const sessions = yield* Sessions
      const big = { ...initialize, params: { ...initialize.params, capabilities: { x: "c".repeat(2000) } } }
      const r = yield* send(url, { headers: { ...legacyHeaders, "x-principal": "alice" }, body: big })
      assert.deepStrictEqual([r.status, r.headers["mcp-session-id"], json(r.body).error?.code], [200, undefined, -32602])
      assert.strictEqual(sessions.size(), 0)
      assert.isDefined((yield* start(url)).id)
    }).pipe(Effect.provide(below())))
})
