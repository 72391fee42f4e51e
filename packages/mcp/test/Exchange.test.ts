import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { ServerResponse } from "node:http"
import { type Calls, Exchange, makeCalls } from "../src/internal/Exchange.ts"
import { errorBytes, notification, resultBytes } from "../src/JsonRpc.ts"
import type { Answer } from "../src/Peer.ts"
import { send, serve, sseMessages } from "./support/Http.ts"

const support = { record: () => Promise.resolve("unused"), onError: () => {} }
const answer = (id: number, text: string): Answer => ({ body: resultBytes(id, JSON.stringify({ text })), status: 200 })

/** Serves each request with `respond(exchange)` over a real connection, and returns what the client got. */
const exchanged = (respond: (exchange: Exchange, res: ServerResponse) => void) =>
  Effect.gen(function*() {
    const { url } = yield* serve((req, res) => {
      req.resume()
      respond(new Exchange(res, undefined, support), res)
    })
    return yield* send(url, { body: {} })
  })

describe("Exchange", () => {
  it.live("answers plain JSON when the call sends nothing before its result", () =>
    Effect.gen(function*() {
      const r = yield* exchanged((exchange) => exchange.finish(answer(1, "done")))
      assert.deepStrictEqual([r.status, r.headers["content-type"], JSON.parse(r.body).result], [200, "application/json", { text: "done" }])
    }))

  it.live("upgrades to SSE at the first notification; the answer is the last event", () =>
    Effect.gen(function*() {
      const r = yield* exchanged((exchange) => {
        exchange.send(notification("notifications/progress", { progress: 1 }))
        exchange.finish(answer(1, "done"))
        exchange.send(notification("notifications/progress", { progress: 2 }))
      })
      assert.strictEqual(r.headers["content-type"], "text/event-stream")
      assert.deepStrictEqual(sseMessages(r.body).map((m) => m.method ?? m.result.text), ["notifications/progress", "done"])
    }))

  it.live("answers 202 without a body when the call was cancelled, and 503 with a retry hint when refused", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* exchanged((exchange) => exchange.abort())).status, 202)
      const busy = yield* exchanged((exchange) => exchange.busy(4, 10))
      assert.deepStrictEqual([busy.status, busy.headers["retry-after"], JSON.parse(busy.body).error.code], [503, "1", -32000])
    }))
})

describe("makeCalls", () => {
  /** Runs `effect` as call 1 through `calls`, answered on a real connection. */
  const call = (calls: Calls, effect: Effect.Effect<Answer>) =>
    Effect.gen(function*() {
      const { url } = yield* serve((req, res) => {
        req.resume()
        calls.run(effect, new Exchange(res, undefined, support), 1)
      })
      return yield* Effect.forkChild(send(url, { body: {} }))
    })

  it.live("answers at once what completes synchronously, without counting it in flight", () =>
    Effect.gen(function*() {
      const calls = yield* makeCalls(1, () => {})
      const fiber = yield* call(calls, Effect.succeed(answer(1, "cached")))
      assert.strictEqual(JSON.parse((yield* Fiber.join(fiber)).body).result.text, "cached")
      assert.strictEqual(calls.size(), 0)
    }))

  it.live("answers -32603 and reports the defect when a call dies", () =>
    Effect.gen(function*() {
      const defects: Array<unknown> = []
      const calls = yield* makeCalls(1, (e) => void defects.push(e))
      const fiber = yield* call(calls, Effect.sleep(1).pipe(Effect.andThen(Effect.die(new Error("bug")))))
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual([r.status, JSON.parse(r.body).error.code], [500, -32603])
      assert.match(String(defects[0]), /bug/)
    }))

  it.effect("drain waits for calls up to the grace period, then cancels them with a 503 answer", () =>
    Effect.gen(function*() {
      const calls = yield* makeCalls(10, () => {})
      const started = yield* Deferred.make<void>()
      const fiber = yield* call(calls, Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never)))
      yield* Deferred.await(started)
      yield* Effect.yieldNow
      assert.strictEqual(calls.size(), 1)
      const draining = yield* Effect.forkChild(calls.drain(5_000))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(draining)
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual([r.status, JSON.parse(r.body)], [503, JSON.parse(errorBytes(1, -32603, "The server is shutting down; the call was cancelled"))])
      assert.isTrue(calls.shuttingDown())
    }))
})
