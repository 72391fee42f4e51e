/**
 * The cross-instance single-flight lock on Redis: SET NX PX with a random token, released by a
 * script that deletes it only if it still holds that token. When Redis is skipped or fails there
 * is nothing to coordinate with, and the caller computes.
 */
import { Effect, Layer } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { CacheLock } from "./CacheLock.ts"
import { RedisClient } from "./RedisClient.ts"

/** Deletes the lock only if it still holds our token. */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const RELEASE_SHA = createHash("sha1").update(RELEASE_SCRIPT).digest("hex")

/** `CacheLock` on the shared Redis connection. */
export class RedisLock {
  /** Provides `CacheLock` on a `RedisClient` provided elsewhere. */
  static layer = Layer.effect(CacheLock, Effect.suspend(() => make))
}

export const make = Effect.gen(function*() {
  const { prefix, run } = yield* RedisClient
  return CacheLock.of({
    acquire: (digest, ttlMs) =>
      Effect.suspend(() => {
        const lockKey = `${prefix}l:${digest}`
        const token = randomUUID()
        return Effect.map(run((redis) => redis.set(lockKey, token, "PX", Math.max(1, Math.ceil(ttlMs)), "NX")), (taken) => {
          if (taken === null) return { held: true } as const
          // undefined: Redis skipped or failed, so there is no lock to take nor anyone to wait for
          const release = taken === "OK"
            ? Effect.asVoid(run((redis) =>
              redis.evalsha(RELEASE_SHA, 1, lockKey, token).catch(() => redis.eval(RELEASE_SCRIPT, 1, lockKey, token))
            ))
            : Effect.void
          return { held: false, release } as const
        })
      })
  })
})
