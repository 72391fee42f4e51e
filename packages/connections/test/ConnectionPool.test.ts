import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { ServerResponse } from "node:http"
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net"
import * as AddressPolicy from "../src/AddressPolicy.ts"
import { ConnectionPool, type ConnectionPoolOptions } from "../src/index.ts"
import * as TestServer from "./support/TestServer.ts"
import { until } from "./support/wait.ts"

/** Runs `f` with a pool set up by `options` (closed afterwards). */
const usingPool = <A, E, R>(options: ConnectionPoolOptions, f: (pool: ConnectionPool["Service"]) => Effect.Effect<A, E, R>) =>
  ConnectionPool.use(f).pipe(Effect.provide(ConnectionPool.layer(options)))

/** A handler that keeps every response open until `release()`, and answers at once afterwards. */
const holding = () => {
  const held: Array<ServerResponse> = []
  let released = false
  const answer = (res: ServerResponse) => res.end("done")
  return {
    handler: ((_req, res) => (released ? answer(res) : void held.push(res))) satisfies TestServer.Handler,
    release: () => {
      released = true
      for (const res of held.splice(0)) answer(res)
    }
  }
}

describe("ConnectionPool", () => {
  it.live("reuses one kept-alive connection for sequential requests", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.start(TestServer.text("hello"))
      yield* usingPool({}, (pool) =>
        Effect.gen(function*() {
          for (let i = 0; i < 20; i++) {
            const response = yield* pool.request({ url: `${server.url}/item/${i}` })
            assert.strictEqual(response.status, 200)
            assert.strictEqual(response.text(), "hello")
          }
        }))
      assert.strictEqual(server.requests(), 20)
      assert.strictEqual(server.connections(), 1)
    }))

  it.live("bounds the requests in flight per origin and queues the rest", () =>
    Effect.gen(function*() {
      const hold = holding()
      const server = yield* TestServer.start(hold.handler)
      yield* usingPool({ origins: { [server.url]: { perHost: 2 } } }, (pool) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(
            Effect.forEach([1, 2, 3, 4, 5], (i) => pool.request({ url: `${server.url}/${i}` }), { concurrency: "unbounded" })
          )
          yield* until(() => server.open() === 2, "two requests at the server")
          yield* until(() => Effect.runSync(pool.stats)[0]?.queued === 3, "three requests queued")
          const [stats] = yield* pool.stats
          assert.deepStrictEqual([stats?.active, stats?.queued, stats?.capacity], [2, 3, 2])
          hold.release()
          const responses = yield* Fiber.join(fiber)
          assert.deepStrictEqual(responses.map((r) => r.text()), ["done", "done", "done", "done", "done"])
        }))
      assert.deepStrictEqual([server.requests(), server.maxOpen(), server.connections()], [5, 2, 2])
    }))

  it.live("fails with ConnectTimeout when the TLS handshake never completes", () =>
    Effect.gen(function*() {
      // a TCP server that accepts and never answers: the https connection never becomes ready
      const sockets = new Set<Socket>()
      const silent = createTcpServer((socket) => void sockets.add(socket))
      yield* Effect.acquireRelease(
        Effect.callback<void>((resume) => void silent.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => { for (const s of sockets) s.destroy(); silent.close() })
      )
      const origin = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`
      const error = yield* usingPool({ origins: { [origin]: { connectTimeoutMs: 100 } } }, (pool) => Effect.flip(pool.request({ url: origin, retries: 0 })))
      assert.strictEqual(error._tag, "ConnectTimeout")
    }))

  it.live("fails with RequestTimeout when the response does not come in time", () =>
    Effect.gen(function*() {
      const hold = holding()
      const server = yield* TestServer.start(hold.handler)
      const error = yield* usingPool({}, (pool) => Effect.flip(pool.request({ url: server.url, timeoutMs: 100, retries: 0 })))
      assert.strictEqual(error._tag, "RequestTimeout")
      hold.release()
    }))

  describe("retries", () => {
    /** Answers 503 to the first `failures` requests, then 200. */
    const flaky = (failures: number): TestServer.Handler => {
      let seen = 0
      return (_req, res) => {
        seen++
        res.statusCode = seen <= failures ? 503 : 200
        res.end(seen <= failures ? "busy" : "ok")
      }
    }

    it.live("retries an idempotent request after 5xx answers, a bounded number of times", () =>
      Effect.gen(function*() {
        const server = yield* TestServer.start(flaky(2))
        const ok = yield* usingPool({}, (pool) => pool.request({ url: server.url }))
        assert.deepStrictEqual([ok.status, server.requests()], [200, 3])
        const again = yield* TestServer.start(flaky(5))
        const last = yield* usingPool({}, (pool) => pool.request({ url: again.url, retries: 1 }))
        assert.deepStrictEqual([last.status, last.text(), again.requests()], [503, "busy", 2])
      }))

    it.live("never retries a POST unless declared idempotent", () =>
      Effect.gen(function*() {
        const server = yield* TestServer.start(flaky(2))
        const once = yield* usingPool({}, (pool) => pool.request({ url: server.url, method: "POST", body: "x" }))
        assert.deepStrictEqual([once.status, server.requests()], [503, 1])
        const declared = yield* TestServer.start(flaky(2))
        const retried = yield* usingPool({}, (pool) => pool.request({ url: declared.url, method: "POST", body: "x", idempotent: true }))
        assert.deepStrictEqual([retried.status, declared.requests()], [200, 3])
      }))

    it.live("retries a GET whose connection broke, not a POST", () =>
      Effect.gen(function*() {
        let seen = 0
        const server = yield* TestServer.start((req, res) => {
          seen++
          if (seen === 1) req.socket.destroy()
          else res.end("ok")
        })
        const ok = yield* usingPool({}, (pool) => pool.request({ url: server.url }))
        assert.deepStrictEqual([ok.text(), seen], ["ok", 2])
        seen = 0
        const error = yield* usingPool({}, (pool) => Effect.flip(pool.request({ url: server.url, method: "POST", body: "x" })))
        assert.deepStrictEqual([error._tag, seen], ["ConnectionFailed", 1])
      }))
  })

  describe("byte limits", () => {
    const big = Buffer.alloc(64 * 1024, 97)

    it.live("refuses a body over maxBytes, declared or chunked, and accepts one at the limit", () =>
      Effect.gen(function*() {
        const server = yield* TestServer.start((req, res) => {
          if (req.url === "/chunked") {
            res.write(big.subarray(0, 32 * 1024))
            res.end(big.subarray(32 * 1024))
          } else res.end(big)
        })
        yield* usingPool({}, (pool) =>
          Effect.gen(function*() {
            const declared = yield* Effect.flip(pool.request({ url: `${server.url}/declared`, maxBytes: 1000 }))
            const chunked = yield* Effect.flip(pool.request({ url: `${server.url}/chunked`, maxBytes: 1000 }))
            const exact = yield* pool.request({ url: `${server.url}/chunked`, maxBytes: big.length })
            assert.deepStrictEqual([declared._tag, chunked._tag, exact.body.length], ["TooLarge", "TooLarge", big.length])
            const streamed = yield* Effect.scoped(Effect.gen(function*() {
              const response = yield* pool.stream({ url: `${server.url}/chunked`, maxBytes: 1000 })
              return yield* Effect.flip(Stream.runDrain(response.body))
            }))
            assert.strictEqual(streamed._tag, "TooLarge")
          }))
      }))
  })

  it.live("streams a large body with backpressure: the server stalls while nothing reads", () =>
    Effect.gen(function*() {
      const total = 64 * 1024 * 1024
      const chunk = Buffer.alloc(64 * 1024, 120)
      let written = 0
      let writtenAtStall = -1
      const server = yield* TestServer.start((_req, res) => {
        res.writeHead(200, { "content-length": total })
        const pump = () => {
          while (written < total) {
            written += chunk.length
            if (!res.write(chunk)) {
              // stalled: no drain for 200 ms means the reader stopped pulling
              const stall = setTimeout(() => void (writtenAtStall = written), 200)
              res.once("drain", () => {
                clearTimeout(stall)
                pump()
              })
              return
            }
          }
          res.end()
        }
        pump()
      })
      const received = yield* usingPool({}, (pool) =>
        Effect.scoped(Effect.gen(function*() {
          const response = yield* pool.stream({ url: server.url })
          assert.strictEqual(response.contentLength, total)
          let bytes = 0
          yield* Stream.runForEach(response.body, (c) =>
            Effect.gen(function*() {
              if (bytes === 0) yield* until(() => writtenAtStall >= 0, "the server to stall")
              bytes += c.byteLength
            }))
          return bytes
        })))
      assert.isBelow(writtenAtStall, total / 4)
      assert.strictEqual(received, total)
    }))

  it.effect("grows a busy pool and shrinks an idle one every optimise period (TestClock)", () =>
    Effect.gen(function*() {
      const hold = holding()
      const server = yield* TestServer.start(hold.handler)
      const settings = { perHost: 4, minPerHost: 1, maxPerHost: 8, timeoutMs: 86_400_000 }
      yield* usingPool({ origins: { [server.url]: settings }, optimiseEvery: "60 seconds", idleOriginMs: 600_000 }, (pool) =>
        Effect.gen(function*() {
          const capacity = Effect.map(pool.stats, (stats) => stats[0]?.capacity)
          const capacities: Array<number | undefined> = []
          const period = Effect.gen(function*() {
            yield* TestClock.adjust("60 seconds")
            capacities.push(yield* capacity)
          })
          const fiber = yield* Effect.forkChild(
            Effect.forEach([1, 2, 3, 4], (i) => pool.request({ url: `${server.url}/${i}` }), { concurrency: "unbounded" })
          )
          yield* until(() => server.open() === 4, "four requests at the server")
          yield* period // 4 of 4 in use: grow to 6
          yield* period // still 4 of 6 (67 %): keep
          hold.release()
          yield* Fiber.join(fiber)
          yield* period // the period's peak was 4 of 6: keep
          yield* period // idle: halve to 3
          yield* period // idle: 1, the floor
          yield* period
          assert.deepStrictEqual(capacities, [6, 6, 6, 3, 1, 1])
          yield* TestClock.adjust("10 minutes") // unused for longer than idleOriginMs: closed
          assert.deepStrictEqual(yield* pool.stats, [])
        }))
    }))

  describe("origins", () => {
    it.live("closes the least recently used idle origin past maxOrigins, and refuses a new one when all are busy", () =>
      Effect.gen(function*() {
        const [a, b, c] = yield* Effect.all([1, 2, 3].map(() => TestServer.start(TestServer.text("ok"))))
        const hold = holding()
        const busy1 = yield* TestServer.start(hold.handler)
        const busy2 = yield* TestServer.start(hold.handler)
        yield* usingPool({ maxOrigins: 2 }, (pool) =>
          Effect.gen(function*() {
            for (const server of [a!, b!, c!]) yield* pool.request({ url: server.url })
            assert.deepStrictEqual((yield* pool.stats).map((s) => s.origin).sort(), [b!.url, c!.url].sort())
            const fiber = yield* Effect.forkChild(Effect.all([pool.request({ url: busy1.url }), pool.request({ url: busy2.url })], { concurrency: 2 }))
            yield* until(() => busy1.open() === 1 && busy2.open() === 1, "a request at each busy server")
            const refused = yield* Effect.flip(pool.request({ url: a!.url }))
            assert.deepStrictEqual([refused._tag, refused.message], ["TooManyOrigins", `no pool for ${a!.url}: 2 origins are already in use`])
            hold.release()
            yield* Fiber.join(fiber)
            assert.strictEqual((yield* pool.request({ url: a!.url })).text(), "ok")
          }))
      }))
  })
})
