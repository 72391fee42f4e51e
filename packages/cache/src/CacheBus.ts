/**
 * The invalidation bus between instances: when one instance sets or deletes an entry, every other
 * instance drops it from its L1. Messages carry the key's digest, never arguments. Implemented on
 * Redis pub/sub (`RedisBus`).
 */
import { Context, type Effect } from "effect"

/** Someone who hears the bus: a digest another instance changed, or undefined to drop all of L1 (messages may have been missed). */
export type BusListener = (digest: string | undefined) => void

/** The cluster's L1 invalidation channel, and a count of the instances on it. */
export class CacheBus extends Context.Service<CacheBus, {
  /** Tells the other instances (not this one) that the entry under `digest` changed. */
  readonly publish: (digest: string) => Effect.Effect<void>
  /** Calls `listener` for every message from another instance; returns the unsubscribe function. */
  readonly subscribe: (listener: BusListener) => () => void
  /**
   * How many instances (this one included) are on the bus, as last counted; infinite until first
   * counted. With one, a cross-instance lock has nothing to coordinate.
   */
  readonly instances: () => number
}>()("@tenfold/cache/CacheBus") {}
