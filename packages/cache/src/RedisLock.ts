/**
 * The cross-instance single-flight lock on Redis: SET NX PX with a random token, released by a
 * script that deletes it only if it still holds that token. When Redis is skipped or fails there
 * is nothing to coordinate with, and the caller computes.
 */
import { Effect, Layer } from "effect"
import type { Redis } from "ioredis"
import { randomUUID } from "node:crypto"
import { CacheLock } from "./CacheLock.ts"
import { RedisClient } from "./RedisClient.ts"

/** Deletes the lock only if it still holds our token. */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

/** The connection with the release script defined on it (ioredis `defineCommand`: EVALSHA, then EVAL only on NOSCRIPT). */
type WithRelease = Redis & { readonly tenfoldReleaseLock: (lockKey: string, token: string) => Promise<unknown> }

/** `CacheLock` on the shared Redis connection. */
export class RedisLock {
  /** Provides `CacheLock` on a `RedisClient` provided elsewhere. */
  static layer = Layer.effect(CacheLock, Effect.suspend(() => make))
}

export const make = Effect.gen(function*() {
  const { prefix, redis, run } = yield* RedisClient
  redis.defineCommand("tenfoldReleaseLock", { numberOfKeys: 1, lua: RELEASE_SCRIPT })
  return CacheLock.of({
    acquire: (digest, ttlMs) =>
      Effect.suspend(() => {
        const lockKey = `${prefix}l:${digest}`
        const token = randomUUID()
        return Effect.map(run((redis) => redis.set(lockKey, token, "PX", Math.max(1, Math.ceil(ttlMs)), "NX")), (taken) => {
          if (taken === null) return { held: true } as const
          // undefined: Redis skipped or failed, so there is no lock to take nor anyone to wait for
          const release = taken === "OK" ? Effect.asVoid(run((redis) => (redis as WithRelease).tenfoldReleaseLock(lockKey, token))) : Effect.void
          return { held: false, release } as const
        })
      })
  })
})
