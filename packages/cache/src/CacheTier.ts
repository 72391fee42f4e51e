/**
 * The one interface every cache tier implements. A tier never fails its caller: a tier that
 * cannot answer (Redis down, a corrupt database) answers "miss" and the call goes on.
 */
import type { Effect } from "effect"
import type { Entry } from "./Entry.ts"

/** The tiers, fastest first: L1 memory, L2 Redis, L4 SQLite. */
export type TierName = "memory" | "redis" | "sqlite"

export interface CacheTier {
  readonly name: TierName
  /** The entry under `key`, or undefined (absent, expired, or the tier is unavailable). */
  readonly get: (key: string) => Effect.Effect<Entry | undefined>
  /** Stores `entry` until its `staleUntil`; a failure is swallowed (and counted) by the tier. */
  readonly set: (key: string, entry: Entry) => Effect.Effect<void>
  readonly delete: (key: string) => Effect.Effect<void>
}
