/**
 * The one interface every cache tier below L1 implements (Redis, SQLite, later a semantic tier),
 * and that L1 implements too. A tier never fails its caller: a tier that cannot answer (Redis
 * down, a corrupt database) answers "miss" and the call goes on.
 */
import type { Effect } from "effect"
import type { CacheKey } from "./CacheKey.ts"
import type { Entry } from "./Entry.ts"
import type { CachePolicy } from "./Policy.ts"

/** A tier's name, the `tier` attribute of its metrics and the `source` of its answers: "memory", "redis", "sqlite", … (an open set). */
export type TierName = string

export interface CacheTier {
  readonly name: TierName
  /**
   * The entry for `key`, or undefined (absent, expired, or the tier is unavailable). An exact tier
   * looks up `key.id` (or `key.digest`); a semantic one may answer for a near key, using `policy`.
   */
  readonly get: (key: CacheKey, policy: CachePolicy) => Effect.Effect<Entry | undefined>
  /** Stores `entry` until its `staleUntil`; a failure is swallowed (and counted) by the tier. */
  readonly set: (key: CacheKey, entry: Entry, policy: CachePolicy) => Effect.Effect<void>
  readonly delete: (key: CacheKey) => Effect.Effect<void>
  /**
   * Whether the tier takes part for calls under `policy` (default: always). A tier that answers
   * only some tools (the semantic tier: those that opted in) says so here, so `TieredCache` neither
   * asks it nor counts a miss of it, nor hands it writes, for the others.
   */
  readonly serves?: (policy: CachePolicy) => boolean
}
