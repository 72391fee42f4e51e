import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Ref, Scope } from "effect"
import { TestClock } from "effect/testing"
import { createHash } from "node:crypto"
import { createServer, get, type IncomingMessage, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { type DashboardRoute, make } from "../src/Dashboard.ts"
import { event, EventClients } from "../src/internal/EventClients.ts"
import type { TelemetrySnapshot } from "../src/Snapshot.ts"
import { snapshot } from "./support/snapshot.ts"

/** A snapshot whose request rate is `n` (the n-th one taken), stamped with the test clock. */
const snapshotAt = (at: number, n: number): TelemetrySnapshot =>
  snapshot({ at, requests: { count: n * 10, avgMs: 2, p50Ms: 1, p95Ms: 5, p99Ms: 9, perSecond: n, successes: n * 10, failures: n } })

/** A snapshot source counting how often it is read. */
const counting = Effect.gen(function*() {
  const taken = yield* Ref.make(0)
  const snapshot = Effect.gen(function*() {
    const n = yield* Ref.updateAndGet(taken, (k) => k + 1)
    return snapshotAt(yield* Clock.currentTimeMillis, n)
  })
  return { taken, snapshot }
})

/** A real HTTP server on a free loopback port answering the dashboard's routes. */
const serve = (routes: ReadonlyArray<DashboardRoute>) =>
  Effect.acquireRelease(
    Effect.callback<Server>((resume) => {
      const server = createServer((req, res) => {
        const route = routes.find((r) => r.path === new URL(req.url ?? "/", "http://x").pathname)
        if (route === undefined) res.writeHead(404).end()
        else route.handle(req, res)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

interface SseEvent {
  readonly event: string
  readonly data: any // any: the test reads the frames' fields by name
}

/** An SSE client over node:http: its status, and its events in order. */
const open = (url: string) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly res: IncomingMessage; readonly next: () => Promise<SseEvent> }>((resume) => {
      const req = get(url, (res) => {
        const events: Array<SseEvent> = []
        const waiting: Array<(e: SseEvent) => void> = []
        let buffer = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const name = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (name === undefined || data === undefined) continue
            const e = { event: name, data: JSON.parse(data) }
            const waiter = waiting.shift()
            if (waiter === undefined) events.push(e)
            else waiter(e)
          }
        })
        resume(Effect.succeed({
          res,
          next: () => {
            const e = events.shift()
            return e === undefined ? new Promise<SseEvent>((r) => waiting.push(r)) : Promise.resolve(e)
          }
        }))
      })
      req.on("error", () => {})
    }),
    ({ res }) => Effect.sync(() => res.destroy())
  )

/** Waits (on real time: the server sees a closed socket only once Node reports it) until `check` holds. */
const eventually = (check: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
  })

const fetchText = (url: string, method = "GET") =>
  Effect.promise(() =>
    new Promise<{ status: number; headers: IncomingMessage["headers"]; body: string }>((resolve, reject) => {
      const req = request(url, { method }, (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => void (body += c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on("error", reject)
      req.end()
    })
  )

describe("Dashboard", () => {
  it.effect("samples a point every second into a history bounded to its size, oldest first", () =>
    Effect.gen(function*() {
      const { snapshot, taken } = yield* counting
      const dashboard = yield* make(snapshot, { historySize: 5 })
      yield* TestClock.adjust("3 seconds")
      assert.deepStrictEqual((yield* dashboard.history).map((p) => p.rps), [1, 2, 3, 4])
      yield* TestClock.adjust("10 seconds")
      const history = yield* dashboard.history
      assert.strictEqual(yield* Ref.get(taken), 14)
      assert.deepStrictEqual(history.map((p) => p.rps), [10, 11, 12, 13, 14])
      assert.deepStrictEqual(history.map((p) => p.t), [9, 10, 11, 12, 13])
      assert.strictEqual(history[4]!.errors, 14 / 10)
      assert.deepStrictEqual(history[4]!.tiers, { memory: 0.75 })
      assert.deepStrictEqual(history[4]!.pools, { tools: 0.25 })
    }))

  it.effect("keeps and sends each telemetry reading once, when a frame finds the same reading as the one before", () =>
    Effect.gen(function*() {
      // telemetry read every 2 s under a dashboard ticking every second: every other frame finds no new reading
      const snapshot = Effect.map(Clock.currentTimeMillis, (now) => snapshotAt(Math.floor(now / 2000) * 2000, Math.floor(now / 2000)))
      const dashboard = yield* make(snapshot, { historySize: 10 })
      yield* TestClock.adjust("6 seconds")
      const history = yield* dashboard.history
      assert.deepStrictEqual(history.map((p) => p.t), [0, 2, 4, 6])
    }))

  it.effect("sends a new stream the history at once, then one tick per interval", () =>
    Effect.gen(function*() {
      const { snapshot } = yield* counting
      const dashboard = yield* make(snapshot)
      yield* TestClock.adjust("2 seconds")
      const url = yield* serve(dashboard.routes)
      const stream = yield* open(`${url}/dashboard/events`)
      assert.strictEqual(stream.res.statusCode, 200)
      assert.strictEqual(stream.res.headers["content-type"], "text/event-stream")
      const first = yield* Effect.promise(stream.next)
      assert.strictEqual(first.event, "history")
      assert.deepStrictEqual(first.data.points.map((p: { rps: number }) => p.rps), [1, 2, 3])
      assert.strictEqual(first.data.snapshot.requests.perSecond, 3)
      yield* TestClock.adjust("1 second")
      const tick = yield* Effect.promise(stream.next)
      assert.strictEqual(tick.event, "tick")
      assert.strictEqual(tick.data.point.rps, 4)
      assert.strictEqual(tick.data.point.t, 3)
      assert.strictEqual(tick.data.snapshot.requests.perSecond, 4)
      assert.strictEqual(yield* dashboard.clients, 1)
    }))

  it.effect("answers 503 with Retry-After past its stream bound, and frees a slot when a page goes away", () =>
    Effect.gen(function*() {
      const { snapshot } = yield* counting
      const dashboard = yield* make(snapshot, { maxClients: 2 })
      const url = yield* serve(dashboard.routes)
      const a = yield* open(`${url}/dashboard/events`)
      yield* open(`${url}/dashboard/events`)
      const refused = yield* fetchText(`${url}/dashboard/events`)
      assert.strictEqual(refused.status, 503)
      assert.strictEqual(refused.headers["retry-after"], "5")
      assert.strictEqual(yield* dashboard.clients, 2)
      a.res.destroy()
      yield* eventually(Effect.map(dashboard.clients, (n) => n === 1))
      const again = yield* open(`${url}/dashboard/events`)
      assert.strictEqual(again.res.statusCode, 200)
      assert.strictEqual(yield* dashboard.clients, 2)
    }))

  it.effect("ends every stream when its scope closes", () =>
    Effect.gen(function*() {
      const { snapshot } = yield* counting
      const scope = yield* Scope.make()
      const dashboard = yield* make(snapshot).pipe(Scope.provide(scope))
      const url = yield* serve(dashboard.routes)
      const stream = yield* open(`${url}/dashboard/events`)
      const ended = new Promise<void>((resolve) => stream.res.once("end", resolve))
      yield* Effect.promise(stream.next)
      yield* Scope.close(scope, Exit.void)
      yield* Effect.promise(() => ended)
      assert.strictEqual(yield* dashboard.clients, 0)
    }))

  it.effect("drops the stream of a page that stops reading instead of buffering for it", () =>
    Effect.gen(function*() {
      const clients = new EventClients({ maxClients: 4, maxBufferedBytes: 64 * 1024 })
      const url = yield* serve([{ path: "/events", handle: (req, res) => void clients.attach(req, res, event("history", "{}")) }])
      const stalled = yield* open(`${url}/events`)
      stalled.res.pause()
      const reading = yield* open(`${url}/events`)
      let received = 0
      reading.res.on("data", (chunk: string) => void (received += chunk.length))
      const frame = event("tick", JSON.stringify("x".repeat(64 * 1024)))
      let sent = 0
      // far more than the socket buffers hold: the paused page's bytes pile up on the server until it is dropped
      while (clients.size === 2 && sent < 2000) {
        clients.broadcast(frame)
        sent++
        yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      }
      assert.strictEqual(clients.size, 1)
      assert.isBelow(sent, 2000)
      yield* eventually(Effect.sync(() => received >= frame.length))
    }))

  it.effect("answers any method, query and headers a client sends with 200, 405 or 503, and holds no stream once its clients are gone", () =>
    Effect.gen(function*() {
      const { snapshot } = yield* counting
      const dashboard = yield* make(snapshot, { maxClients: 3 })
      const url = yield* serve(dashboard.routes)
      const methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "GET"]
      const junk = ["", "?token=x", "?a=%00%ff", `?${"q".repeat(4000)}`, "?x=<script>", "?last-event-id=-1"]
      let seed = 7
      const pick = <A>(items: ReadonlyArray<A>) => items[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % items.length]!
      const statuses = new Set<number>()
      for (let i = 0; i < 150; i++) {
        const path = pick(["/dashboard", "/dashboard/events"])
        const answer = yield* Effect.promise(() =>
          new Promise<number>((resolve, reject) => {
            const req = request(`${url}${path}${pick(junk)}`, {
              method: pick(methods),
              headers: { "last-event-id": pick(["", "999999999999", "x".repeat(1000)]), accept: pick(["text/event-stream", "*/*", "text/html;q=0, */*;q=0.1"]) }
            }, (res) => {
              resolve(res.statusCode ?? 0)
              res.destroy()
            })
            req.on("error", reject)
            req.end()
          })
        )
        statuses.add(answer)
      }
      assert.includeMembers([200, 405, 503], [...statuses])
      yield* eventually(Effect.map(dashboard.clients, (n) => n === 0))
      assert.strictEqual((yield* fetchText(`${url}/dashboard`)).status, 200)
    }))

  it.effect("serves one self-contained page: uPlot inline, scripts allowed by hash only, no other origin", () =>
    Effect.gen(function*() {
      const { snapshot } = yield* counting
      const dashboard = yield* make(snapshot)
      const url = yield* serve(dashboard.routes)
      const page = yield* fetchText(`${url}/dashboard`)
      assert.strictEqual(page.status, 200)
      assert.strictEqual(page.headers["content-type"], "text/html; charset=utf-8")
      assert.include(page.body, `data-events="/dashboard/events"`)
      const scripts = [...page.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!)
      assert.strictEqual(scripts.length, 2)
      assert.include(scripts[0]!, "uPlot")
      const csp = String(page.headers["content-security-policy"])
      for (const script of scripts) assert.include(csp, `'sha256-${createHash("sha256").update(script).digest("base64")}'`)
      assert.include(csp, "default-src 'none'")
      assert.include(csp, "connect-src 'self'")
      assert.notMatch(page.body, /(src|href)="https?:/)
      const head = yield* fetchText(`${url}/dashboard`, "HEAD")
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.body, "")
      assert.strictEqual((yield* fetchText(`${url}/dashboard`, "POST")).status, 405)
      assert.strictEqual((yield* fetchText(`${url}/dashboard/events`, "POST")).status, 405)
    }))
})
