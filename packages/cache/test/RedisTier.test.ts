import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Metric } from "effect"
import { TestClock } from "effect/testing"
import type { Redis } from "ioredis"
import { createHash } from "node:crypto"
import { setTimeout as delay } from "node:timers/promises"
import * as CacheMetrics from "../src/CacheMetrics.ts"
import type { Entry } from "../src/Entry.ts"
import { make } from "../src/RedisTier.ts"
import * as RedisServer from "./support/RedisServer.ts"

/** An entry fresh for `freshMs` and usable for `staleMs` from the (test) clock's now. */
const entryFor = (value: string, freshMs = 30_000, staleMs = 60_000) =>
  Effect.map(Clock.currentTimeMillis, (now): Entry => ({ value, freshUntil: now + freshMs, staleUntil: now + staleMs }))

const redisKey = (key: string) => `tenfold:c:${createHash("sha256").update(key).digest("base64url")}`

/** Waits in real time (the server's own pace, not the TestClock's) until `check` holds, up to `timeoutMs`. */
const eventually = (check: Effect.Effect<boolean>, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not met in time"))
      yield* Effect.promise(() => delay(25))
    }
  })

const redisErrors = Effect.map(
  Metric.value(CacheMetrics.forTier(CacheMetrics.errors, "redis")),
  (state) => Number(state.count)
)

/** How many GET commands the server has executed (INFO commandstats), asked on `client`'s own connection. */
const getCalls = (client: Redis) =>
  Effect.promise(async () => Number(/cmdstat_get:calls=(\d+)/.exec(await client.info("commandstats"))?.[1] ?? 0))

describe("RedisTier", () => {
  it.effect("stores binary-unsafe values until their stale time, and deletes them", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const tier = yield* make({ url: server.url })
      const key = "tool\u0000*\u0000{\"q\":\"é\"}"
      const entry = yield* entryFor("nul \u0000, emoji 🎉, RESP-ish \r\n$3\r\nend, astral \u{1F600}", 30_000, 60_000)
      assert.isTrue(tier.available())
      assert.isUndefined(yield* tier.get(key))
      yield* tier.set(key, entry)
      assert.deepStrictEqual(yield* tier.get(key), entry)
      const pttl = yield* Effect.promise(() => server.client().pttl(redisKey(key)))
      assert.isAtMost(pttl, 60_000)
      assert.isAbove(pttl, 55_000)
      yield* tier.delete(key)
      assert.isUndefined(yield* tier.get(key))
    }))

  it.effect("tells the other instances, not itself, which key changed", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const a = yield* make({ url: server.url })
      const b = yield* make({ url: server.url })
      const seenByA: Array<string | undefined> = []
      const seenByB: Array<string | undefined> = []
      a.onInvalidate((key) => seenByA.push(key))
      const stopB = b.onInvalidate((key) => seenByB.push(key))
      yield* a.set("k", yield* entryFor("v"))
      yield* eventually(Effect.sync(() => seenByB.length === 1))
      assert.deepStrictEqual(seenByB, ["k"])
      // Redis delivers one channel's messages in order: once A sees B's later message, it has had its own
      yield* b.delete("other")
      yield* eventually(Effect.sync(() => seenByA.length === 1))
      assert.deepStrictEqual(seenByA, ["other"])
      stopB()
      yield* a.delete("k")
      yield* b.set("last", yield* entryFor("v"))
      yield* eventually(Effect.sync(() => seenByA.length === 2))
      assert.deepStrictEqual(seenByB, ["k"])
    }))

  it.effect("answers misses while Redis is down, and comes back on its own with a clear-L1 signal", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const tier = yield* make({ url: server.url })
      const signals: Array<string | undefined> = []
      tier.onInvalidate((key) => signals.push(key))
      const entry = yield* entryFor("v")
      yield* tier.set("k", entry)
      const errorsBefore = yield* redisErrors

      yield* Effect.promise(server.stop)
      yield* eventually(Effect.sync(() => !tier.available()))
      assert.isUndefined(yield* tier.get("k"))
      yield* tier.set("k", entry)
      yield* tier.delete("k")
      assert.isUndefined(yield* tier.lock("k", 1000))
      assert.isAtLeast((yield* redisErrors) - errorsBefore, 4)
      assert.deepStrictEqual(signals, [])

      yield* Effect.promise(server.restart)
      yield* eventually(Effect.sync(() => tier.available() && signals.length > 0))
      assert.deepStrictEqual(signals, [undefined])
      yield* tier.set("k", entry)
      assert.deepStrictEqual(yield* tier.get("k"), entry)
    }))

  it.effect("starts without Redis and picks it up once it is there", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      yield* Effect.promise(server.stop)
      const tier = yield* make({ url: server.url })
      assert.isFalse(tier.available())
      assert.isUndefined(yield* tier.get("k"))
      yield* Effect.promise(server.restart)
      yield* eventually(Effect.sync(tier.available))
      const entry = yield* entryFor("v")
      yield* tier.set("k", entry)
      assert.deepStrictEqual(yield* tier.get("k"), entry)
    }))

  it.effect("skips a slow Redis instead of waiting for it", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const tier = yield* make({ url: server.url, failuresToOpen: 100 })
      const entry = yield* entryFor("v")
      yield* tier.set("k", entry)
      const { ended } = yield* Effect.promise(() => server.sleep(1000))
      let sleepEnded = false
      void ended.then(() => (sleepEnded = true))
      assert.isUndefined(yield* tier.get("k"))
      assert.isFalse(sleepEnded, "the get answered before the server woke up")
      yield* Effect.promise(() => ended)
      assert.deepStrictEqual(yield* tier.get("k"), entry)
    }))

  it.effect("opens the breaker after consecutive failures, then lets one probe through after openMs", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const tier = yield* make({ url: server.url, failuresToOpen: 3, openMs: 2000 })
      const admin = server.client()
      const entry = yield* entryFor("v")
      yield* tier.set("k", entry)
      const { ended } = yield* Effect.promise(() => server.sleep(1000))
      for (let i = 0; i < 3; i++) assert.isUndefined(yield* tier.get("k"))
      assert.isFalse(tier.available())
      yield* Effect.promise(() => ended)
      // the three timed-out GETs still reach the server once it wakes up
      yield* eventually(Effect.map(getCalls(admin), (n) => n === 3))

      for (let i = 0; i < 5; i++) assert.isUndefined(yield* tier.get("k"))
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(yield* tier.get("k"))
      assert.strictEqual(yield* getCalls(admin), 3, "an open breaker sends nothing to Redis")

      yield* TestClock.adjust("1 millis")
      assert.isTrue(tier.available())
      assert.deepStrictEqual(yield* tier.get("k"), entry)
      assert.strictEqual(yield* getCalls(admin), 4, "one probe")
      assert.deepStrictEqual(yield* tier.get("k"), entry)
      assert.strictEqual(yield* getCalls(admin), 5, "closed again")
    }))

  it.effect("lets one instance at a time hold a key's lock", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const a = yield* make({ url: server.url })
      const b = yield* make({ url: server.url })
      const first = yield* a.lock("k", 10_000)
      assert.isDefined(first)
      assert.isUndefined(yield* b.lock("k", 10_000))
      assert.isUndefined(yield* a.lock("k", 10_000))
      assert.isDefined(yield* b.lock("other", 10_000))
      yield* first!.release
      const second = yield* b.lock("k", 10_000)
      assert.isDefined(second)
      // a holder whose lock was taken over cannot release the new holder's
      yield* first!.release
      assert.isUndefined(yield* a.lock("k", 10_000))
      yield* second!.release
      assert.isDefined(yield* a.lock("k", 10_000))
    }))
})
