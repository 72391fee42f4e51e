/**
 * What a hostile or careless client can do over HTTP, answered without harm: a handler that
 * throws, media types that only look like JSON, origins, every client-controlled bound (sessions,
 * listen streams, calls in flight) and the health routes behind the same gate.
 */
import { ResourceRegistry } from "@tenfold/mcp"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startStdio } from "../support/TenfoldProcess.ts"
import { modernBody, modernHeaders, raw, type RunningServer, startServer } from "./support.ts"

const json = (body: string) => JSON.parse(body) as { id?: unknown; error?: { code: number; message: string; data?: any }; result?: any }
const legacyHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" }
const initialize = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })
const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id, method, params })

let server: RunningServer
beforeAll(async () => {
  server = await startServer()
  await server.runtime.runPromise(ResourceRegistry.use((r) =>
    r.register({
      uri: "mem://throws",
      name: "throws",
      read: () => {
        throw new Error("a bug in a resource handler")
      }
    })
  ))
})
afterAll(() => server.close())

const openSession = async (url: string, headers: Record<string, string> = {}) => {
  const r = await raw(url, { headers: { ...legacyHeaders, ...headers }, body: initialize })
  return { status: r.status, id: r.headers["mcp-session-id"] as string | undefined, body: r.body, headers: r.headers }
}

const stillServing = async () => {
  const r = await raw(server.url, { headers: modernHeaders("tools/list"), body: modernBody(99, "tools/list") })
  expect(r.status).toBe(200)
  expect(json(r.body).result.tools.length).toBeGreaterThan(0)
}

describe("a handler that throws synchronously", () => {
  it("answers -32603 to a 2026-07-28 request and keeps serving", async () => {
    const r = await raw(server.url, { headers: modernHeaders("resources/read", "mem://throws"), body: modernBody(1, "resources/read", { uri: "mem://throws" }) })
    expect(json(r.body)).toMatchObject({ id: 1, error: { code: -32603 } })
    expect(r.body).not.toContain("a bug in a resource handler")
    await stillServing()
  })

  it("answers -32603 to a 2025-11-25 request, and to that batch member alone", async () => {
    const { id } = await openSession(server.url)
    const headers = { ...legacyHeaders, "mcp-session-id": id! }
    const single = await raw(server.url, { headers, body: JSON.stringify(rpc(2, "resources/read", { uri: "mem://throws" })) })
    expect(json(single.body)).toMatchObject({ id: 2, error: { code: -32603 } })
    const batch = await raw(server.url, {
      headers,
      body: JSON.stringify([rpc(3, "resources/read", { uri: "mem://throws" }), rpc(4, "ping"), rpc(5, "logging/setLevel", { level: { toString: 1 } })])
    })
    expect(batch.status).toBe(200)
    const answers = JSON.parse(batch.body) as Array<{ id: number; error?: { code: number }; result?: unknown }>
    expect(answers.find((a) => a.id === 3)?.error?.code).toBe(-32603)
    expect(answers.find((a) => a.id === 4)?.result).toEqual({})
    expect(answers.find((a) => a.id === 5)?.error).toBeDefined()
    await stillServing()
  })
})

describe("Content-Type", () => {
  const post = (contentType: string) =>
    raw(server.url, { headers: { ...modernHeaders("tools/list"), "content-type": contentType }, body: modernBody(1, "tools/list") })

  it.each(["application/jsonp", "multipart/form-data; x=application/json", "text/plain; charset=application/json", "application/json-seq"])(
    "refuses %s with 415",
    async (contentType) => {
      const r = await post(contentType)
      expect(r.status).toBe(415)
      expect(json(r.body).error?.code).toBe(-32000)
    }
  )

  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"])("accepts %s", async (contentType) => {
    expect((await post(contentType)).status).toBe(200)
  })
})

describe("bearer challenge (RFC 6750)", () => {
  let secured: RunningServer
  beforeAll(async () => {
    secured = await startServer({ tokens: "alice-token=alice" })
  })
  afterAll(() => secured.close())

  it("omits the error attribute when no token was sent", async () => {
    const r = await raw(secured.url, { headers: modernHeaders("tools/list"), body: modernBody(1, "tools/list") })
    expect(r.status).toBe(401)
    expect(r.headers["www-authenticate"]).toBe(`Bearer realm="tenfold"`)
  })

  it("says invalid_token when a wrong token was sent", async () => {
    const r = await raw(secured.url, { headers: { ...modernHeaders("tools/list"), authorization: "Bearer wrong" }, body: modernBody(1, "tools/list") })
    expect(r.status).toBe(401)
    expect(r.headers["www-authenticate"]).toBe(`Bearer realm="tenfold", error="invalid_token"`)
  })
})

describe("Host and Origin", () => {
  it("keeps Host checks on when bound to a wildcard address", async () => {
    const wildcard = await startServer({ host: "0.0.0.0" })
    try {
      const url = wildcard.url.replace("0.0.0.0", "127.0.0.1")
      const evil = await raw(url, { headers: { ...modernHeaders("tools/list"), host: "evil.example.com" }, body: modernBody(1, "tools/list") })
      expect(evil.status).toBe(403)
      const local = await raw(url, { headers: modernHeaders("tools/list"), body: modernBody(1, "tools/list") })
      expect(local.status).toBe(200)
    } finally {
      await wildcard.close()
    }
  })

  it("compares allowedOrigins as full origins: scheme, host and port", async () => {
    const s = await startServer({ allowedOrigins: ["https://app.example.com"] })
    try {
      const withOrigin = (origin: string) => raw(s.url, { headers: { ...modernHeaders("tools/list"), origin }, body: modernBody(1, "tools/list") })
      expect((await withOrigin("https://app.example.com")).status).toBe(200)
      expect((await withOrigin("http://app.example.com")).status).toBe(403)
      expect((await withOrigin("https://app.example.com:8443")).status).toBe(403)
      expect((await withOrigin("https://evil.example.com")).status).toBe(403)
      expect((await withOrigin("http://localhost:5173")).status).toBe(200)
    } finally {
      await s.close()
    }
  })
})

describe("bounds", () => {
  it("caps sessions per principal below the global cap, so one token cannot block another", async () => {
    const s = await startServer({ tokens: "a=alice,b=bob", maxSessions: 3, maxSessionsPerPrincipal: 2 })
    try {
      const alice = { authorization: "Bearer a" }
      expect((await openSession(s.url, alice)).status).toBe(200)
      expect((await openSession(s.url, alice)).status).toBe(200)
      const third = await openSession(s.url, alice)
      expect(third.status).toBe(429)
      expect(third.headers["retry-after"]).toBeDefined()
      expect(json(third.body).error).toMatchObject({ code: -32000, data: { retryAfterMs: expect.any(Number) } })
      expect((await openSession(s.url, { authorization: "Bearer b" })).status).toBe(200)
      const full = await openSession(s.url, { authorization: "Bearer b" })
      expect(full.status).toBe(503)
      expect(full.headers["retry-after"]).toBeDefined()
    } finally {
      await s.close()
    }
  })

  it("caps subscriptions/listen streams per principal and in total", async () => {
    const s = await startServer({ maxListenStreams: 3, maxListenStreamsPerPrincipal: 2, tokens: "a=alice,b=bob" })
    const open: Array<AbortController> = []
    const listen = async (token: string) => {
      const controller = new AbortController()
      open.push(controller)
      const r = await fetch(s.url, {
        method: "POST",
        signal: controller.signal,
        headers: { ...modernHeaders("subscriptions/listen"), authorization: `Bearer ${token}` },
        body: modernBody(1, "subscriptions/listen", { notifications: { toolsListChanged: true } })
      })
      return { status: r.status, retryAfter: r.headers.get("retry-after"), body: r.status === 200 ? undefined : json(await r.text()) }
    }
    try {
      expect((await listen("a")).status).toBe(200)
      expect((await listen("a")).status).toBe(200)
      const third = await listen("a")
      expect(third.status).toBe(429)
      expect(third.retryAfter).not.toBeNull()
      expect(third.body?.error).toMatchObject({ code: -32000, data: { retryAfterMs: expect.any(Number) } })
      expect((await listen("b")).status).toBe(200)
      expect((await listen("b")).status).toBe(503)
    } finally {
      open.forEach((c) => c.abort())
      await s.close()
    }
  })

  it("answers ServerBusy with a retry hint past the calls-in-flight bound", async () => {
    const s = await startServer({ maxInflightCalls: 1 })
    try {
      const slow = raw(s.url, { headers: modernHeaders("tools/call", "slow"), body: modernBody(1, "tools/call", { name: "slow", arguments: { ms: 500 } }) })
      await new Promise((r) => setTimeout(r, 100))
      const refused = await raw(s.url, { headers: modernHeaders("tools/call", "slow"), body: modernBody(2, "tools/call", { name: "slow", arguments: { ms: 1 } }) })
      expect(refused.status).toBe(503)
      expect(refused.headers["retry-after"]).toBeDefined()
      expect(json(refused.body).error).toMatchObject({ code: -32000, data: { retryAfterMs: expect.any(Number) } })
      expect(json((await slow).body).result.content).toEqual([{ type: "text", text: "slept 500" }])
    } finally {
      await s.close()
    }
  })
})

describe("routes", () => {
  const base = () => server.url.replace(/\/mcp$/, "")

  it("answers /healthz and /readyz", async () => {
    const health = await raw(`${base()}/healthz`, { method: "GET" })
    expect(health.status).toBe(200)
    const ready = await raw(`${base()}/readyz`, { method: "GET" })
    expect(ready.status).toBe(200)
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true })
  })

  it("puts them behind the same Host/Origin and auth gate", async () => {
    expect((await raw(`${base()}/readyz`, { method: "GET", headers: { host: "evil.example.com" } })).status).toBe(403)
    const secured = await startServer({ tokens: "t=alice" })
    try {
      const root = secured.url.replace(/\/mcp$/, "")
      expect((await raw(`${root}/healthz`, { method: "GET" })).status).toBe(401)
      expect((await raw(`${root}/healthz`, { method: "GET", headers: { authorization: "Bearer t" } })).status).toBe(200)
    } finally {
      await secured.close()
    }
  })

  it("answers 404 for a path no route serves", async () => {
    expect((await raw(`${base()}/nope`, { method: "GET" })).status).toBe(404)
  })
})

describe("what one message may make the server walk or keep", () => {
  it("refuses over HTTP a body nested deeper than maxJsonDepth (400), and initialize capabilities and listen filters past their bounds (-32602)", async () => {
    const s = await startServer({ maxJsonDepth: 16, maxClientCapabilitiesBytes: 500, maxListenFilterBytes: 100 })
    try {
      const nested = `${"[".repeat(20)}${"]".repeat(20)}`
      const deep = await raw(s.url, { headers: modernHeaders("tools/call", "text_stats"), body: modernBody(1, "tools/call", { name: "text_stats", arguments: { text: "x" } }).replace(`"x"`, `"x","ignored":${nested}`) })
      expect(deep.status).toBe(400)
      expect(json(deep.body)).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: the message nests deeper than 16 levels" } })
      const capabilities = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { x: "c".repeat(600) }, clientInfo: { name: "raw", version: "1" } } })
      const init = await raw(s.url, { headers: legacyHeaders, body: capabilities })
      expect([init.status, init.headers["mcp-session-id"], json(init.body).error?.code]).toEqual([200, undefined, -32602])
      const uris = Array.from({ length: 10 }, (_, i) => `mem://${i}/${"u".repeat(10)}`)
      const listen = await raw(s.url, { headers: modernHeaders("subscriptions/listen"), body: modernBody(3, "subscriptions/listen", { notifications: { resourceSubscriptions: uris } }) })
      expect([listen.status, json(listen.body).error?.code]).toEqual([200, -32602])
      await stillServing()
    } finally {
      await s.close()
    }
  })

  it("bounds stdio lines by --max-body-bytes and depth by --max-json-depth, and caps listen streams per connection", async () => {
    const proc = startStdio({ args: ["--max-body-bytes", "1000", "--max-json-depth", "16", "--max-listen-streams-per-principal", "2"] })
    const answers: Array<any> = []
    let buffer = ""
    proc.child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString()
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
        answers.push(JSON.parse(buffer.slice(0, nl)))
        buffer = buffer.slice(nl + 1)
      }
    })
    const until = async (n: number) => {
      for (let i = 0; i < 500 && answers.length < n; i++) await new Promise((r) => setTimeout(r, 10))
      return answers
    }
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }
    const listen = (id: string) => JSON.stringify({ jsonrpc: "2.0", id, method: "subscriptions/listen", params: { notifications: { toolsListChanged: true }, _meta: meta } })
    try {
      proc.child.stdin.write(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${"a".repeat(5000)}`)
      expect((await until(1))[0]).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: the line is longer than 1000 bytes" } })
      proc.child.stdin.write(`"}}\n{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":${"[".repeat(20)}${"]".repeat(20)}}}\n`)
      expect((await until(2))[1]).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: the message nests deeper than 16 levels" } })
      proc.child.stdin.write(`${listen("a")}\n${listen("b")}\n${listen("c")}\n{"jsonrpc":"2.0","id":3,"method":"ping"}\n`)
      const all = await until(6)
      expect(all.slice(2, 4).map((a) => a.method)).toEqual(["notifications/subscriptions/acknowledged", "notifications/subscriptions/acknowledged"])
      expect(all[4]).toMatchObject({ id: "c", error: { code: -32000, data: { limit: "maxListenStreamsPerPrincipal" } } })
      expect(all[5]).toEqual({ jsonrpc: "2.0", id: 3, result: {} })
      expect(proc.dead()).toBe(false)
    } finally {
      await proc.stop()
    }
  })
})
