/**
 * The cross-instance single-flight lock: one instance computes a missing key while the others wait
 * for its result in the shared tiers. Implemented on Redis (`RedisLock`, SET NX PX).
 */
import { Context, type Effect } from "effect"

/** The outcome of trying to take a key's lock. */
export type Acquired =
  /** Ours (or there is no lock to take, the store being down): compute, then `release`. */
  | { readonly held: false; readonly release: Effect.Effect<void> }
  /** Another instance holds it: wait for its result. */
  | { readonly held: true }

/** Locks keyed by a cache key's digest, held for at most a TTL. */
export class CacheLock extends Context.Service<CacheLock, {
  /** Tries to take the lock on `digest` for `ttlMs`; `release` frees it only if it is still ours. */
  readonly acquire: (digest: string, ttlMs: number) => Effect.Effect<Acquired>
}>()("@tenfold/cache/CacheLock") {}
