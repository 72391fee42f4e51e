/** Helpers for tests that call the cache the way the dispatcher does. */
import { Effect } from "effect"
import * as CacheKey from "../../src/CacheKey.ts"
import type { CachePolicy } from "../../src/Policy.ts"
import type { Computed, Served, TieredCache } from "../../src/TieredCache.ts"

/** A policy for tests that call a tier directly (exact tiers ignore it). */
export const anyPolicy: CachePolicy = { ttlMs: 60_000, staleWhileRevalidateMs: 0, graceMs: 0, scope: "public", maxBytes: 1024 * 1024 }

/** A key whose exact id is `id` (so `MemoryTier.peek(id)` finds it). */
export const keyOf = (id: string): CacheKey.CacheKey => CacheKey.make(id, "tool", "*", { id })

/** `cache.serve` as one Effect: a synchronous answer (an L1 hit) succeeds at once. */
export const serve = <E>(cache: TieredCache["Service"], key: CacheKey.CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>): Effect.Effect<Served, E> =>
  Effect.suspend(() => {
    const served = cache.serve(key, policy, compute)
    return Effect.isEffect(served) ? served : Effect.succeed(served)
  })
