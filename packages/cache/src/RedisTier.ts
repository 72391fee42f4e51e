/**
 * L2: entries in a Redis shared by every Tenfold instance, keyed by the key's digest under the
 * deployment's namespace. It never fails its caller: a skipped or failed command is a miss.
 * `RedisTier.layer(options)` also provides the Redis invalidation bus and lock.
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { CacheTier } from "./CacheTier.ts"
import { decode, encode } from "./Entry.ts"
import { RedisBus } from "./RedisBus.ts"
import { RedisClient, type RedisTierOptions } from "./RedisClient.ts"
import { RedisLock } from "./RedisLock.ts"

/** L2, shared by the instances: a fail-open cache tier on the shared Redis connection. */
export class RedisTier extends Context.Service<RedisTier, CacheTier>()("@tenfold/cache/RedisTier") {
  /** The tier alone, on a `RedisClient` provided elsewhere. */
  static layerTier = Layer.effect(RedisTier, Effect.suspend(() => make))
  /**
   * Everything Redis gives the cache, on one connection: the tier, the invalidation bus
   * (`CacheBus`) and the cross-instance lock (`CacheLock`), plus the `RedisClient` itself.
   */
  static layer = (options: RedisTierOptions) =>
    Layer.mergeAll(RedisTier.layerTier, RedisBus.layer, RedisLock.layer).pipe(Layer.provideMerge(RedisClient.layer(options)))
}

export const make = Effect.gen(function*() {
  const clock = yield* Clock.Clock
  const { prefix, run } = yield* RedisClient
  const entryKey = (digest: string) => `${prefix}c:${digest}`
  return RedisTier.of({
    name: "redis",
    get: (key) =>
      Effect.map(run((redis) => redis.getBuffer(entryKey(key.digest))), (bytes) => (bytes === undefined || bytes === null ? undefined : decode(bytes))),
    set: (key, entry) =>
      Effect.asVoid(run((redis) => redis.set(entryKey(key.digest), encode(entry), "PX", Math.max(1, Math.ceil(entry.staleUntil - clock.currentTimeMillisUnsafe()))))),
    delete: (key) => Effect.asVoid(run((redis) => redis.del(entryKey(key.digest))))
  })
})
