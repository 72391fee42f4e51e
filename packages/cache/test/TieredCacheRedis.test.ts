/**
 * TieredCache across instances sharing one real Redis: L2 hits promoted into L1, L1 of every
 * instance invalidated on set/delete, and one computation per key across instances.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Ref } from "effect"
import { CacheBus } from "../src/CacheBus.ts"
import { CacheTiers } from "../src/CacheTiers.ts"
import { MemoryTier } from "../src/MemoryTier.ts"
import * as Policy from "../src/Policy.ts"
import type { CachePolicy } from "../src/Policy.ts"
import { RedisTier } from "../src/RedisTier.ts"
import { TieredCache, type TieredCacheOptions } from "../src/TieredCache.ts"
import * as CacheKey from "../src/CacheKey.ts"
import { keyOf, serve } from "./support/serve.ts"
import * as RedisServer from "./support/RedisServer.ts"

const policy: CachePolicy = { ttlMs: 60_000, staleWhileRevalidateMs: 0, graceMs: 0, scope: "public", maxBytes: 1024 }

const withRedis = Effect.acquireRelease(Effect.promise(() => RedisServer.start()), (redis) => Effect.promise(() => redis.close()))

/** One Tenfold instance's cache: its own L1, the shared Redis as L2 (with its bus and lock). */
const instance = (url: string, options: TieredCacheOptions = {}) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(TieredCache.layer(options).pipe(
      Layer.provideMerge(CacheTiers.layer([RedisTier])),
      Layer.provideMerge(Layer.mergeAll(MemoryTier.layer(), RedisTier.layer({ url })))
    ))
    return { cache: Context.get(context, TieredCache), memory: Context.get(context, MemoryTier), bus: Context.get(context, CacheBus) }
  })

/** Polls (real time) until `check` holds, failing after 5 s. */
const eventually = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 250; i++) {
      if (check()) return
      yield* Effect.sleep("20 millis")
    }
    assert.fail("condition not reached within 5 s")
  })

const value = (v: string) => Effect.succeed({ value: JSON.stringify(v), cacheable: true })

describe("TieredCache over a shared Redis", () => {
  it.live("answers instance B from L2 what instance A computed, then from B's L1", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url)
      const b = yield* instance(redis.url)
      assert.strictEqual((yield* serve(a.cache, keyOf("k"), policy, value("from A"))).source, "computed")
      const fromB = yield* serve(b.cache, keyOf("k"), policy, value("from B"))
      assert.deepStrictEqual([fromB.source, fromB.value], ["redis", "\"from A\""])
      assert.strictEqual((yield* serve(b.cache, keyOf("k"), policy, value("from B"))).source, "memory")
    }).pipe(Effect.scoped))

  it.live("invalidates the other instance's L1 when a key is set or deleted", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url)
      const b = yield* instance(redis.url)
      yield* serve(a.cache, keyOf("k"), policy, value("v1"))
      yield* serve(b.cache, keyOf("k"), policy, value("unused"))
      assert.isDefined(b.memory.peek("k"))
      yield* a.cache.delete(keyOf("k"))
      yield* eventually(() => b.memory.peek("k") === undefined)
      yield* serve(b.cache, keyOf("k"), policy, value("v2"))
      yield* serve(a.cache, keyOf("other"), policy, value("x"))
      assert.isDefined(b.memory.peek("k"))
      // a later write of the same key on A (another computation) drops B's copy too
      yield* a.cache.delete(keyOf("k"))
      yield* serve(a.cache, keyOf("k"), policy, value("v3"))
      yield* eventually(() => b.memory.peek("k") === undefined)
      assert.strictEqual((yield* serve(b.cache, keyOf("k"), policy, value("unused"))).value, "\"v3\"")
    }).pipe(Effect.scoped))

  it.live("publishes invalidations that carry the key's digest, never the arguments", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url)
      const listener = redis.client()
      const messages: Array<string> = []
      listener.on("message", (_channel: string, message: string) => messages.push(message))
      yield* Effect.promise(() => listener.subscribe("tenfold:default:invalidate"))
      const key = Policy.key("search", policy, "alice", { query: "very secret words" })!
      yield* serve(a.cache, key, policy, value("result"))
      yield* a.cache.delete(key)
      yield* eventually(() => messages.filter((m) => m.includes(key.digest)).length === 2)
      assert.isFalse(messages.some((m) => m.includes("secret") || m.includes("alice") || m.includes("search")), messages.join("\n"))
    }).pipe(Effect.scoped))

  it.live("runs one computation for concurrent misses on two instances (Redis lock)", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url)
      const b = yield* instance(redis.url)
      yield* eventually(() => a.bus.instances() >= 2 && b.bus.instances() >= 2)
      const runs = yield* Ref.make(0)
      const slow = Ref.update(runs, (n) => n + 1).pipe(Effect.andThen(Effect.sleep("200 millis")), Effect.as({ value: "\"once\"", cacheable: true }))
      const served = yield* Effect.all([
        ...Array.from({ length: 10 }, () => serve(a.cache, keyOf("hot"), policy, slow)),
        ...Array.from({ length: 10 }, () => serve(b.cache, keyOf("hot"), policy, slow))
      ], { concurrency: "unbounded" })
      assert.strictEqual(yield* Ref.get(runs), 1)
      assert.isTrue(served.every((s) => s.value === "\"once\""))
    }).pipe(Effect.scoped))

  it.live("takes no cross-instance lock while it is the only instance, and does once another joins", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url, { lockAboveMs: 0 })
      const counter = redis.client()
      const locksTaken = () => Effect.promise(async () => Number(/cmdstat_set:calls=(\d+)/.exec(await counter.info("commandstats"))?.[1] ?? 0))
      yield* eventually(() => a.bus.instances() === 1)
      const setsBefore = yield* locksTaken()
      yield* serve(a.cache, keyOf("solo"), policy, value("x"))
      assert.strictEqual((yield* locksTaken()) - setsBefore, 1) // the value only, no SET NX lock
      yield* instance(redis.url)
      yield* eventually(() => a.bus.instances() >= 2) // the newcomer said hello
      const setsThen = yield* locksTaken()
      yield* serve(a.cache, keyOf("duo"), policy, value("y"))
      assert.strictEqual((yield* locksTaken()) - setsThen, 2) // the lock and the value
    }).pipe(Effect.scoped))

  it.live("takes the cross-instance lock for a tool not run yet or slow, not for one whose last run was fast", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url)
      yield* instance(redis.url)
      yield* eventually(() => a.bus.instances() >= 2)
      const counter = redis.client()
      const sets = () => Effect.promise(async () => Number(/cmdstat_set:calls=(\d+)/.exec(await counter.info("commandstats"))?.[1] ?? 0))
      const setsFor = (tool: string, id: string, compute: Effect.Effect<{ value: string; cacheable: boolean }>) =>
        Effect.gen(function*() {
          const before = yield* sets()
          yield* serve(a.cache, CacheKey.make(id, tool, "*", {}), policy, compute)
          return (yield* sets()) - before
        })
      const slow = Effect.sleep("30 millis").pipe(Effect.as({ value: "\"slow\"", cacheable: true }))
      assert.strictEqual(yield* setsFor("fast", "f1", value("x")), 2, "not run yet: lock and value")
      assert.strictEqual(yield* setsFor("fast", "f2", value("x")), 1, "ran in under 10 ms: the value only")
      assert.strictEqual(yield* setsFor("slow", "s1", slow), 2)
      assert.strictEqual(yield* setsFor("slow", "s2", slow), 2, "ran for 30 ms: lock and value")
    }).pipe(Effect.scoped))

  it.live("keeps answering while Redis is down, and uses L2 again within seconds of its return", () =>
    Effect.gen(function*() {
      const redis = yield* withRedis
      const a = yield* instance(redis.url)
      const b = yield* instance(redis.url)
      yield* Effect.promise(() => redis.stop())
      const down = yield* Effect.all(Array.from({ length: 20 }, (_, i) => serve(a.cache, keyOf(`k${i % 5}`), policy, value(`v${i % 5}`))))
      assert.deepStrictEqual(down.map((s) => s.value), Array.from({ length: 20 }, (_, i) => `"v${i % 5}"`))
      yield* Effect.promise(() => redis.restart())
      let source = ""
      for (let i = 0; i < 250 && source !== "redis"; i++) {
        yield* a.cache.delete(keyOf("after"))
        yield* serve(a.cache, keyOf("after"), policy, value("back"))
        yield* b.memory.delete(keyOf("after"))
        source = (yield* serve(b.cache, keyOf("after"), policy, value("not from redis"))).source
        if (source !== "redis") yield* Effect.sleep("20 millis")
      }
      assert.strictEqual(source, "redis")
    }).pipe(Effect.scoped))
})
