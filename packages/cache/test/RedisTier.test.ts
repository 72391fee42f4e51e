import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Metric } from "effect"
import { TestClock } from "effect/testing"
import type { Redis } from "ioredis"
import * as CacheMetrics from "../src/CacheMetrics.ts"
import type { Entry } from "../src/Entry.ts"
import { redisServices } from "./support/redisCache.ts"
import * as RedisServer from "./support/RedisServer.ts"
import { anyPolicy, keyOf } from "./support/serve.ts"

/** An entry fresh for `freshMs` and usable for `staleMs` from the (test) clock's now. */
const entryFor = (value: string, freshMs = 30_000, staleMs = 60_000) =>
  Effect.map(Clock.currentTimeMillis, (now): Entry => ({ value, freshUntil: now + freshMs, staleUntil: now + staleMs }))

const redisKey = (id: string, namespace = "default") => `tenfold:${namespace}:c:${keyOf(id).digest}`

/** Waits in real time (the server's own pace, not the TestClock's) until `check` holds, up to `timeoutMs`. */
const eventually = (check: Effect.Effect<boolean>, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not met in time"))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 25)))
    }
  })

const redisErrors = Effect.map(Metric.value(CacheMetrics.forTier(CacheMetrics.errors, "redis")), (state) => Number(state.count))

/** How many GET commands the server has executed (INFO commandstats), asked on `client`'s own connection. */
const getCalls = (client: Redis) =>
  Effect.promise(async () => Number(/cmdstat_get:calls=(\d+)/.exec(await client.info("commandstats"))?.[1] ?? 0))

describe("RedisTier", () => {
  it.effect("stores binary-unsafe values until their stale time under the key's digest, and deletes them", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const { client, tier } = yield* redisServices({ url: server.url })
      const key = keyOf("tool\u0000*\u0000{\"q\":\"é\"}")
      const entry = yield* entryFor("nul \u0000, emoji 🎉, RESP-ish \r\n$3\r\nend, astral \u{1F600}", 30_000, 60_000)
      assert.isTrue(client.available())
      assert.isUndefined(yield* tier.get(key, anyPolicy))
      yield* tier.set(key, entry, anyPolicy)
      assert.deepStrictEqual(yield* tier.get(key, anyPolicy), entry)
      const pttl = yield* Effect.promise(() => server.client().pttl(redisKey(key.id)))
      assert.isAtMost(pttl, 60_000)
      assert.isAbove(pttl, 55_000)
      yield* tier.delete(key)
      assert.isUndefined(yield* tier.get(key, anyPolicy))
    }))

  it.effect("keeps two namespaces on one Redis apart: entries and invalidations", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const blue = yield* redisServices({ url: server.url, namespace: "blue" })
      const blueToo = yield* redisServices({ url: server.url, namespace: "blue" })
      const green = yield* redisServices({ url: server.url, namespace: "green" })
      const greenToo = yield* redisServices({ url: server.url, namespace: "green" })
      const heard = { blueToo: [] as Array<string | undefined>, green: [] as Array<string | undefined> }
      blueToo.bus.subscribe((digest) => heard.blueToo.push(digest))
      green.bus.subscribe((digest) => heard.green.push(digest))
      const key = keyOf("k")
      yield* blue.tier.set(key, yield* entryFor("blue's"), anyPolicy)
      yield* blue.bus.publish(key.digest)
      assert.strictEqual((yield* blueToo.tier.get(key, anyPolicy))?.value, "blue's")
      assert.isUndefined(yield* green.tier.get(key, anyPolicy))
      yield* eventually(Effect.sync(() => heard.blueToo.length === 1))
      assert.deepStrictEqual(heard.blueToo, [key.digest])
      // Redis delivers messages in publish order: had green heard blue's channel, blue's message would come first
      yield* greenToo.bus.publish("marker")
      yield* eventually(Effect.sync(() => heard.green.length > 0))
      assert.deepStrictEqual(heard.green, ["marker"])
      assert.deepStrictEqual(yield* Effect.promise(() => server.client().keys("tenfold:*:c:*")), [redisKey("k", "blue")])
    }))

  it.effect("answers misses while Redis is down, and comes back on its own with a clear-L1 signal", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const { bus, client, lock, tier } = yield* redisServices({ url: server.url })
      const signals: Array<string | undefined> = []
      bus.subscribe((digest) => signals.push(digest))
      const key = keyOf("k")
      const entry = yield* entryFor("v")
      yield* tier.set(key, entry, anyPolicy)
      const errorsBefore = yield* redisErrors

      yield* Effect.promise(server.stop)
      yield* eventually(Effect.sync(() => !client.available()))
      assert.isUndefined(yield* tier.get(key, anyPolicy))
      yield* tier.set(key, entry, anyPolicy)
      yield* tier.delete(key)
      assert.strictEqual((yield* lock.acquire(key.digest, 1000)).held, false, "no lock to wait for: compute")
      assert.isAtLeast((yield* redisErrors) - errorsBefore, 4)
      assert.deepStrictEqual(signals, [])

      yield* Effect.promise(server.restart)
      yield* eventually(Effect.sync(() => client.available() && signals.length > 0))
      assert.deepStrictEqual(signals, [undefined])
      yield* tier.set(key, entry, anyPolicy)
      assert.deepStrictEqual(yield* tier.get(key, anyPolicy), entry)
    }))

  it.effect("starts without Redis and picks it up once it is there", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      yield* Effect.promise(server.stop)
      const { client, tier } = yield* redisServices({ url: server.url })
      assert.isFalse(client.available())
      assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
      yield* Effect.promise(server.restart)
      yield* eventually(Effect.sync(client.available))
      const entry = yield* entryFor("v")
      yield* tier.set(keyOf("k"), entry, anyPolicy)
      assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry)
    }))

  it.effect("logs each change of Redis's state once and counts it: unreachable at start, back, lost, back", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const changes = (state: string) =>
        Effect.map(Metric.value(CacheMetrics.redisStateChanges.pipe(Metric.withAttributes({ state }))), (s) => Number(s.count))
      const counts = Effect.all({ unreachable: changes("unreachable"), lost: changes("lost"), back: changes("back") })
      const before = yield* counts
      const logs: Array<string> = []
      const lines = (level: string, text: string) => logs.filter((line) => line.startsWith(level) && line.includes(text)).length
      yield* Effect.promise(server.stop)
      yield* Effect.scoped(Effect.gen(function*() {
        const { client } = yield* redisServices({ url: server.url }, logs)
        yield* eventually(Effect.sync(() => lines("Warn", "unreachable at start") === 1))
        yield* Effect.promise(server.restart)
        yield* eventually(Effect.sync(() => lines("Info", "is back") === 1))
        yield* Effect.promise(server.stop)
        yield* eventually(Effect.sync(() => lines("Warn", "Lost the connection") === 1))
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300))) // reconnect attempts fail meanwhile
        yield* Effect.promise(server.restart)
        yield* eventually(Effect.sync(() => lines("Info", "is back") === 2 && client.available()))
      }))
      // closing the layer closes the connection: no "lost" line for a close we asked for
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      const after = yield* counts
      assert.deepStrictEqual(
        { unreachable: after.unreachable - before.unreachable, lost: after.lost - before.lost, back: after.back - before.back },
        { unreachable: 1, lost: 1, back: 2 }
      )
      assert.strictEqual(lines("Warn", ""), 2, logs.join("\n"))
      assert.isFalse(logs.some((line) => line.includes("redis://")), "the URL (and any password in it) is not logged")
    }))

  it.effect("skips a slow Redis instead of waiting for it", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const { tier } = yield* redisServices({ url: server.url, failuresToOpen: 100 })
      const entry = yield* entryFor("v")
      yield* tier.set(keyOf("k"), entry, anyPolicy)
      const { ended } = yield* Effect.promise(() => server.sleep(1000))
      let sleepEnded = false
      void ended.then(() => (sleepEnded = true))
      assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
      assert.isFalse(sleepEnded, "the get answered before the server woke up")
      yield* Effect.promise(() => ended)
      assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry)
    }))

  it.effect("opens the breaker after consecutive failures, then lets one probe through after openMs", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const { client, tier } = yield* redisServices({ url: server.url, failuresToOpen: 3, openMs: 2000 })
      const admin = server.client()
      const entry = yield* entryFor("v")
      yield* tier.set(keyOf("k"), entry, anyPolicy)
      const { ended } = yield* Effect.promise(() => server.sleep(1000))
      for (let i = 0; i < 3; i++) assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
      assert.isFalse(client.available())
      yield* Effect.promise(() => ended)
      // the three timed-out GETs still reach the server once it wakes up
      yield* eventually(Effect.map(getCalls(admin), (n) => n === 3))

      for (let i = 0; i < 5; i++) assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
      assert.strictEqual(yield* getCalls(admin), 3, "an open breaker sends nothing to Redis")

      yield* TestClock.adjust("1 millis")
      assert.isTrue(client.available())
      assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry)
      assert.strictEqual(yield* getCalls(admin), 4, "one probe")
      assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry)
      assert.strictEqual(yield* getCalls(admin), 5, "closed again")
    }))
})

describe("RedisLock", () => {
  it.effect("lets one instance at a time hold a key's lock", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const a = (yield* redisServices({ url: server.url })).lock
      const b = (yield* redisServices({ url: server.url })).lock
      const first = yield* a.acquire("k", 10_000)
      assert.isFalse(first.held)
      assert.isTrue((yield* b.acquire("k", 10_000)).held)
      assert.isTrue((yield* a.acquire("k", 10_000)).held)
      assert.isFalse((yield* b.acquire("other", 10_000)).held)
      if (first.held) return assert.fail("first must be ours")
      yield* first.release
      const second = yield* b.acquire("k", 10_000)
      assert.isFalse(second.held)
      // a holder whose lock was taken over cannot release the new holder's
      yield* first.release
      assert.isTrue((yield* a.acquire("k", 10_000)).held)
      if (second.held) return assert.fail("second must be ours")
      yield* second.release
      assert.isFalse((yield* a.acquire("k", 10_000)).held)
    }))

  it.effect("sends a release that times out once: one script command, not an EVAL after the timed-out EVALSHA", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const { lock } = yield* redisServices({ url: server.url, failuresToOpen: 100 })
      const admin = server.client()
      const acquired = yield* lock.acquire("k", 10_000)
      if (acquired.held) return assert.fail("the lock must be ours")
      const { ended } = yield* Effect.promise(() => server.sleep(500))
      yield* acquired.release
      yield* Effect.promise(() => ended)
      const calls = (command: string) =>
        Effect.promise(async () => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.info("commandstats"))?.[1] ?? 0))
      const scripts = Effect.zipWith(calls("eval"), calls("evalsha"), (evals, evalshas) => evals + evalshas)
      yield* eventually(Effect.map(scripts, (n) => n >= 1))
      // the server has executed what the client sent while it slept: anything more would show by now
      yield* Effect.promise(() => admin.ping())
      assert.strictEqual(yield* scripts, 1)
    }))
})

describe("RedisBus", () => {
  it.effect("tells the other instances, not itself, which digest changed", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const a = (yield* redisServices({ url: server.url })).bus
      const b = (yield* redisServices({ url: server.url })).bus
      const seenByA: Array<string | undefined> = []
      const seenByB: Array<string | undefined> = []
      a.subscribe((digest) => seenByA.push(digest))
      const stopB = b.subscribe((digest) => seenByB.push(digest))
      yield* a.publish("d1")
      yield* eventually(Effect.sync(() => seenByB.length === 1))
      assert.deepStrictEqual(seenByB, ["d1"])
      // Redis delivers one channel's messages in order: once A sees B's later message, it has had its own
      yield* b.publish("d2")
      yield* eventually(Effect.sync(() => seenByA.length === 1))
      assert.deepStrictEqual(seenByA, ["d2"])
      stopB()
      yield* a.publish("d3")
      yield* b.publish("d4")
      yield* eventually(Effect.sync(() => seenByA.length === 2))
      assert.deepStrictEqual(seenByB, ["d1"])
    }))

  it.effect("logs, counts and retries a failed SUBSCRIBE until invalidations flow again", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped
      const admin = server.client()
      const failures = Effect.map(Metric.value(CacheMetrics.busSubscribeFailures), (s) => Number(s.count))
      const before = yield* failures
      yield* Effect.promise(() => admin.call("ACL", "SETUSER", "default", "-subscribe"))
      const logs: Array<string> = []
      const listener = yield* redisServices({ url: server.url }, logs)
      const heard: Array<string | undefined> = []
      listener.bus.subscribe((digest) => heard.push(digest))
      yield* eventually(Effect.map(failures, (n) => n > before))
      assert.isTrue(logs.some((line) => line.startsWith("Warn") && line.includes("SUBSCRIBE")), logs.join("\n"))
      yield* Effect.promise(() => admin.call("ACL", "SETUSER", "default", "+subscribe"))
      const publisher = (yield* redisServices({ url: server.url })).bus
      // the retry waits on the schedule (TestClock): move it on until the subscription is back
      yield* eventually(Effect.gen(function*() {
        yield* TestClock.adjust("5 seconds")
        yield* publisher.publish("after")
        return heard.includes("after")
      }))
      assert.isTrue(logs.some((line) => line.startsWith("Info") && line.includes("SUBSCRIBE") && line.includes("succeeded")), logs.join("\n"))
    }))
})
