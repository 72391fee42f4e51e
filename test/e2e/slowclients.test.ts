/**
 * Slow clients cannot hold the server: 500 slowloris sockets (headers that never end), 500
 * slow-body sockets and silent sockets are closed once the (shortened) timeouts pass, a normal
 * client's calls go through meanwhile, SSE responses stay open, and connections are capped per
 * client address. Attackers connect from 127.0.0.2, the normal client from 127.0.0.1.
 */
import { connect, type Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { modernBody, modernHeaders, raw, type RunningServer, startServer } from "./support.ts"

const HEADERS_TIMEOUT_MS = 1000
const REQUEST_TIMEOUT_MS = 2000
/** Node checks request timeouts on an interval; the server sets it well below the timeouts. */
const SLACK_MS = 1500

let server: RunningServer
let port: number
beforeAll(async () => {
  server = await startServer({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxConnections: 1600, maxConnectionsPerAddress: 1550 })
  port = Number(new URL(server.url).port)
})
afterAll(() => server.close())

interface Attacker {
  readonly socket: Socket
  readonly closed: Promise<number>
}

/** Opens a socket from 127.0.0.2 that sends `first`, then `drip` every 200 ms until the server closes it. */
const attacker = (first: string, drip: string | undefined, started: number): Promise<Attacker> =>
  new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" })
    socket.on("error", () => {})
    let timer: NodeJS.Timeout | undefined
    const closed = new Promise<number>((done) =>
      socket.on("close", () => {
        clearInterval(timer)
        done(Date.now() - started)
      })
    )
    socket.once("connect", () => {
      if (first !== "") socket.write(first)
      if (drip !== undefined) timer = setInterval(() => socket.writable && socket.write(drip), 200)
      resolve({ socket, closed })
    })
    socket.once("error", reject)
  })

const normalCall = async (id: number) => {
  const r = await raw(server.url, { headers: modernHeaders("tools/call", "text_stats"), body: modernBody(id, "tools/call", { name: "text_stats", arguments: { text: "a b" } }) })
  return JSON.parse(r.body).result.structuredContent.words as number
}

describe.each([
  { kind: "slowloris (headers never end)", first: "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n", drip: "X-Slow: 1\r\n", limit: HEADERS_TIMEOUT_MS },
  { kind: "slow body", first: "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", drip: " ", limit: REQUEST_TIMEOUT_MS },
  { kind: "silent (connects, sends nothing)", first: "", drip: undefined, limit: HEADERS_TIMEOUT_MS }
])("500 $kind sockets", ({ first, drip, limit }) => {
  it("do not stop a normal client's calls and are closed within the timeout", async () => {
    const started = Date.now()
    const attackers = await Promise.all(Array.from({ length: 500 }, () => attacker(first, drip, started)))
    for (let i = 0; i < 5; i++) expect(await normalCall(i)).toBe(2)
    const closedAfter = await Promise.all(attackers.map((a) => a.closed))
    expect(Math.max(...closedAfter)).toBeLessThan(limit + SLACK_MS)
    expect(await normalCall(9)).toBe(2)
  })
})

describe("long-lived responses", () => {
  it("keeps a subscriptions/listen SSE stream open past the request timeout", async () => {
    const controller = new AbortController()
    const r = await fetch(server.url, {
      method: "POST",
      signal: controller.signal,
      headers: modernHeaders("subscriptions/listen"),
      body: modernBody(1, "subscriptions/listen", { notifications: { toolsListChanged: true } })
    })
    expect(r.status).toBe(200)
    const reader = r.body!.getReader()
    await reader.read()
    let ended = false
    void reader.read().then((chunk) => void (ended = chunk.done), () => void (ended = true))
    await new Promise((done) => setTimeout(done, REQUEST_TIMEOUT_MS + SLACK_MS))
    expect(ended).toBe(false)
    controller.abort()
  })
})

describe("connections per client address", () => {
  it("refuses connections past the per-address cap while other addresses are served", async () => {
    const capped = await startServer({ maxConnectionsPerAddress: 10 })
    try {
      const cappedPort = Number(new URL(capped.url).port)
      const sockets = await Promise.all(Array.from({ length: 15 }, () =>
        new Promise<{ socket: Socket; answer: Promise<string> }>((resolve) => {
          const socket = connect({ port: cappedPort, host: "127.0.0.1", localAddress: "127.0.0.2" })
          socket.on("error", () => {})
          let received = ""
          socket.on("data", (d: Buffer) => void (received += d))
          const answer = new Promise<string>((done) => socket.on("close", () => done(received)))
          socket.once("connect", () => resolve({ socket, answer }))
        })
      ))
      const outcomes = await Promise.all(sockets.map((s) => Promise.race([s.answer, new Promise<undefined>((done) => setTimeout(() => done(undefined), 2000))])))
      const refused = outcomes.filter((answer) => answer !== undefined)
      expect(refused.length).toBe(5)
      for (const answer of refused) expect(answer).toMatch(/^HTTP\/1\.1 503/)
      const r = await raw(capped.url, { headers: modernHeaders("tools/list"), body: modernBody(1, "tools/list") })
      expect(r.status).toBe(200)
      sockets.forEach((s) => s.socket.destroy())
    } finally {
      await capped.close()
    }
  })
})
