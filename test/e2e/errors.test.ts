/**
 * Bad input of every kind over raw HTTP: each gets the right status and JSON-RPC error, and
 * the server keeps answering afterwards. Also auth, resumption and graceful shutdown.
 */
import { request } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { modernBody, modernHeaders, modernMeta, raw, type RunningServer, startServer } from "./support.ts"

const json = (body: string) => JSON.parse(body) as { id?: unknown; error?: { code: number; message: string; data?: any }; result?: any }
const legacyHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" }
const initialize = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })

let server: RunningServer
beforeAll(async () => {
  server = await startServer({ maxBodyBytes: 4096 })
})
afterAll(() => server.close())

const stillServing = async () => {
  const r = await raw(server.url, { headers: modernHeaders("tools/list"), body: modernBody(99, "tools/list") })
  expect(r.status).toBe(200)
  expect(json(r.body).result.tools.length).toBeGreaterThan(0)
}

describe("HTTP-level errors", () => {
  it.each([
    ["invalid JSON", { headers: legacyHeaders, body: "{not json" }, 400, -32700],
    ["a non-JSON content type", { headers: { ...legacyHeaders, "content-type": "text/plain" }, body: "{}" }, 415, -32000],
    ["a body over the limit", { headers: legacyHeaders, body: JSON.stringify({ pad: "x".repeat(5000) }) }, 413, -32000],
    ["a JSON-RPC message that is not an object", { headers: legacyHeaders, body: "42" }, 400, -32600],
    ["a message without jsonrpc 2.0", { headers: legacyHeaders, body: JSON.stringify({ id: 1, method: "ping" }) }, 400, -32600],
    ["an unsupported HTTP method", { method: "PUT", headers: legacyHeaders, body: "{}" }, 405, -32000],
    ["a GET without a session", { method: "GET", headers: { accept: "text/event-stream" } }, 405, -32000],
    ["a GET that does not accept SSE", { method: "GET", headers: { accept: "application/json" } }, 406, -32000],
    ["a DNS-rebinding Host", { headers: { ...legacyHeaders, host: "evil.example.com" }, body: initialize }, 403, -32000],
    ["a foreign Origin", { headers: { ...legacyHeaders, origin: "http://evil.example.com" }, body: initialize }, 403, -32000],
    ["a request without a session", { headers: legacyHeaders, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) }, 400, -32000],
    ["an unknown session", { headers: { ...legacyHeaders, "mcp-session-id": "nope" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) }, 404, -32001]
  ] as const)("answers %s with %i / %i", async (_, options, status, code) => {
    const r = await raw(server.url, options)
    expect(r.status).toBe(status)
    expect(json(r.body).error?.code).toBe(code)
    await stillServing()
  })

  it("answers a wrong path with 404", async () => {
    const r = await raw(server.url.replace("/mcp", "/other"), { headers: legacyHeaders, body: initialize })
    expect(r.status).toBe(404)
  })

  it("names the allowed methods on 405", async () => {
    const r = await raw(server.url, { method: "PATCH", headers: legacyHeaders, body: "{}" })
    expect(r.headers.allow).toBe("GET, POST, DELETE")
  })
})

describe("2026-07-28 envelope and header checks", () => {
  const call = (headers: Record<string, string>, body: unknown) => raw(server.url, { headers, body: JSON.stringify(body) })
  const toolsCall = (meta: unknown, extra: Record<string, unknown> = {}) => ({
    jsonrpc: "2.0",
    id: 7,
    method: "tools/call",
    params: { name: "text_stats", arguments: { text: "hi" }, _meta: meta, ...extra }
  })

  it("rejects a missing _meta envelope with 400 / -32602", async () => {
    const r = await call(modernHeaders("tools/list"), { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} })
    expect(r.status).toBe(400)
    expect(json(r.body)).toMatchObject({ id: 1, error: { code: -32602 } })
  })

  it("rejects missing clientCapabilities with 400 / -32602", async () => {
    const r = await call(modernHeaders("tools/call", "text_stats"), toolsCall({ "io.modelcontextprotocol/protocolVersion": "2026-07-28" }))
    expect(r.status).toBe(400)
    expect(json(r.body).error?.message).toContain("clientCapabilities")
  })

  it("rejects a header/body version mismatch with 400 / -32020", async () => {
    const r = await call(modernHeaders("tools/call", "text_stats"), toolsCall({ ...modernMeta, "io.modelcontextprotocol/protocolVersion": "2099-01-01" }))
    expect(r.status).toBe(400)
    expect(json(r.body).error?.code).toBe(-32020)
  })

  it("rejects an unsupported version with 400 / -32022 listing the supported ones", async () => {
    const meta = { ...modernMeta, "io.modelcontextprotocol/protocolVersion": "2099-01-01" }
    const r = await call({ ...modernHeaders("tools/call", "text_stats"), "mcp-protocol-version": "2099-01-01" }, toolsCall(meta))
    expect(r.status).toBe(400)
    expect(json(r.body).error).toMatchObject({ code: -32022, data: { supported: ["2026-07-28"], requested: "2099-01-01" } })
  })

  it("rejects Mcp-Method and Mcp-Name headers that disagree with the body", async () => {
    const wrongMethod = await call(modernHeaders("tools/list", "text_stats"), toolsCall(modernMeta))
    expect([wrongMethod.status, json(wrongMethod.body).error?.code]).toEqual([400, -32020])
    const wrongName = await call(modernHeaders("tools/call", "other"), toolsCall(modernMeta))
    expect([wrongName.status, json(wrongName.body).error?.code]).toEqual([400, -32020])
    const noName = await call(modernHeaders("tools/call"), toolsCall(modernMeta))
    expect([noName.status, json(noName.body).error?.code]).toEqual([400, -32020])
  })

  it("accepts a base64-encoded Mcp-Name", async () => {
    const r = await call(modernHeaders("tools/call", `=?base64?${Buffer.from("text_stats").toString("base64")}?=`), toolsCall(modernMeta))
    expect(r.status).toBe(200)
    expect(json(r.body).result.structuredContent.words).toBe(1)
  })

  it("checks Mcp-Param-* headers against x-mcp-header arguments", async () => {
    const regional = (param?: string) =>
      raw(server.url, {
        headers: { ...modernHeaders("tools/call", "regional"), ...(param === undefined ? {} : { "mcp-param-region": param }) },
        body: modernBody(8, "tools/call", { name: "regional", arguments: { region: "eu-west" } })
      })
    const ok = await regional("eu-west")
    expect(json(ok.body).result.content).toEqual([{ type: "text", text: "region eu-west" }])
    expect(json((await regional(`=?base64?${Buffer.from("eu-west").toString("base64")}?=`)).body).result).toBeDefined()
    for (const bad of [undefined, "us-east", "=?base64?ZXUtd2VzdA?=", "=?base64?ZX!!d2Vzd?="]) {
      const r = await regional(bad)
      expect([r.status, json(r.body).error?.code]).toEqual([400, -32020])
    }
  })

  it("answers unknown and session-only methods with 404 / -32601", async () => {
    for (const method of ["no/such/method", "ping", "initialize", "logging/setLevel"]) {
      const r = await raw(server.url, { headers: modernHeaders(method), body: modernBody(3, method) })
      expect(r.status).toBe(404)
      expect(json(r.body)).toMatchObject({ id: 3, error: { code: -32601 } })
    }
  })

  it("answers an invalid cursor with -32602", async () => {
    const r = await raw(server.url, { headers: modernHeaders("tools/list"), body: modernBody(4, "tools/list", { cursor: "garbage" }) })
    expect(json(r.body).error?.code).toBe(-32602)
  })

  it("answers a tool defect with -32603 and no internal detail", async () => {
    const r = await raw(server.url, { headers: modernHeaders("tools/call", "crash"), body: modernBody(5, "tools/call", { name: "crash", arguments: {} }) })
    const error = json(r.body).error
    expect(error?.code).toBe(-32603)
    expect(r.body).not.toContain("secret internal detail")
    expect(r.body).not.toMatch(/at .*\.ts:\d+/)
    await stillServing()
  })
})

describe("2025-11-25 sessions", () => {
  const open = async () => {
    const r = await raw(server.url, { headers: legacyHeaders, body: initialize })
    expect(r.status).toBe(200)
    return r.headers["mcp-session-id"] as string
  }

  it("serves a session, then forgets it after DELETE", async () => {
    const id = await open()
    const headers = { ...legacyHeaders, "mcp-session-id": id }
    const ping = await raw(server.url, { headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) })
    expect(json(ping.body)).toEqual({ jsonrpc: "2.0", id: 1, result: {} })
    const unknown = await raw(server.url, { headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "nope" }) })
    expect(json(unknown.body).error?.code).toBe(-32601)
    expect((await raw(server.url, { method: "DELETE", headers })).status).toBe(200)
    const after = await raw(server.url, { headers, body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }) })
    expect(after.status).toBe(404)
  })

  it("starts a resumable stream with a priming event, and lets a tool end it early (polling)", async () => {
    const id = await open()
    const headers = { ...legacyHeaders, "mcp-session-id": id }
    const body = JSON.stringify({ jsonrpc: "2.0", id: 11, method: "tools/call", params: { name: "poll", arguments: {} } })
    const first = await raw(server.url, { headers, body })
    expect(first.headers["content-type"]).toBe("text/event-stream")
    const priming = /^id: (.+)\nretry: (\d+)\ndata: $/m.exec(first.body)
    expect(priming).not.toBeNull()
    expect(first.body).not.toContain("\"id\":11")
    const resumed = await raw(server.url, { method: "GET", headers: { accept: "text/event-stream", "mcp-session-id": id, "last-event-id": priming![1]! } })
    const messages = [...resumed.body.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!))
    expect(messages.at(-1)).toMatchObject({ id: 11, result: { content: [{ type: "text", text: "polled" }] } })
  })

  it("answers in plain JSON, without notifications, a client that does not accept SSE", async () => {
    const init = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { elicitation: {} }, clientInfo: { name: "raw", version: "1" } } })
    const id = (await raw(server.url, { headers: legacyHeaders, body: init })).headers["mcp-session-id"] as string
    const body = JSON.stringify({ jsonrpc: "2.0", id: 12, method: "tools/call", params: { name: "count", arguments: { to: 3 }, _meta: { progressToken: "p" } } })
    const r = await raw(server.url, { headers: { ...legacyHeaders, accept: "application/json", "mcp-session-id": id }, body })
    expect(r.headers["content-type"]).toBe("application/json")
    expect(json(r.body)).toMatchObject({ id: 12, result: { content: [{ type: "text", text: "counted to 3" }] } })
    const asking = JSON.stringify({ jsonrpc: "2.0", id: 13, method: "tools/call", params: { name: "confirm", arguments: { question: "ok?" } } })
    const refused = await raw(server.url, { headers: { ...legacyHeaders, accept: "application/json", "mcp-session-id": id }, body: asking })
    expect(json(refused.body).result).toMatchObject({ isError: true })
    expect(json(refused.body).result.content[0].text).toContain("text/event-stream")
  })

  it("resumes an interrupted SSE stream from Last-Event-ID", async () => {
    const id = await open()
    const body = JSON.stringify({ jsonrpc: "2.0", id: 10, method: "tools/call", params: { name: "tick", arguments: { n: 4, ms: 150 }, _meta: { progressToken: "t" } } })
    const firstEventId = await new Promise<string>((resolve, reject) => {
      const req = request(server.url, { method: "POST", headers: { ...legacyHeaders, "mcp-session-id": id } }, (res) => {
        let received = ""
        res.on("data", (chunk: Buffer) => {
          received += chunk.toString()
          // the first event after the priming one (which has an id and empty data)
          const m = /^id: (.+)\ndata: \{.*"notifications\/progress"/m.exec(received)
          if (m !== null) {
            resolve(m[1]!)
            req.destroy()
          }
        })
      })
      req.on("error", (e) => (e.message.includes("socket hang up") ? undefined : reject(e)))
      req.end(body)
    })
    const resumed = await raw(server.url, { method: "GET", headers: { accept: "text/event-stream", "mcp-session-id": id, "last-event-id": firstEventId } })
    expect(resumed.status).toBe(200)
    const messages = [...resumed.body.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!))
    expect(messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress)).toEqual([2, 3, 4])
    expect(messages.at(-1)).toMatchObject({ id: 10, result: { content: [{ type: "text", text: "ticked 4" }] } })
  })
})

describe("bearer auth", () => {
  it("requires a token and passes the principal to tools", async () => {
    const secured = await startServer({ tokens: "s3cret=alice" })
    try {
      const denied = await raw(secured.url, { headers: modernHeaders("tools/list"), body: modernBody(1, "tools/list") })
      expect(denied.status).toBe(401)
      expect(denied.headers["www-authenticate"]).toContain("Bearer")
      const wrong = await raw(secured.url, { headers: { ...modernHeaders("tools/list"), authorization: "Bearer nope" }, body: modernBody(1, "tools/list") })
      expect(wrong.status).toBe(401)
      const ok = await raw(secured.url, {
        headers: { ...modernHeaders("tools/call", "whoami"), authorization: "Bearer s3cret" },
        body: modernBody(2, "tools/call", { name: "whoami", arguments: {} })
      })
      expect(json(ok.body).result.content).toEqual([{ type: "text", text: "alice" }])
    } finally {
      await secured.close()
    }
  })
})

describe("graceful shutdown", () => {
  const slowCall = (url: string) =>
    raw(url, { headers: modernHeaders("tools/call", "slow"), body: modernBody(1, "tools/call", { name: "slow", arguments: { ms: 300 } }) })

  it("lets calls in flight finish within the grace period", async () => {
    const s = await startServer({ shutdownGraceMs: 5000 })
    const pending = slowCall(s.url)
    await new Promise((r) => setTimeout(r, 100))
    await s.close()
    const r = await pending
    expect(json(r.body).result.content).toEqual([{ type: "text", text: "slept 300" }])
  })

  it("cancels calls still running after the grace period, with an answer", async () => {
    const s = await startServer({ shutdownGraceMs: 0 })
    const pending = slowCall(s.url)
    await new Promise((r) => setTimeout(r, 100))
    await s.close()
    const r = await pending
    expect(r.status).toBe(503)
    expect(json(r.body).error?.message).toContain("shutting down")
  })
})
