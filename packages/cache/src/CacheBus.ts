/**
 * The invalidation bus between instances: when one instance sets or deletes an entry, every other
 * instance drops it from its L1. Messages carry the key's digest, never arguments. Implemented on
 * Redis pub/sub (`RedisBus`) and in process (`CacheBus.layerLocal`, for several caches in one process).
 */
import { Context, Effect, Layer } from "effect"

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
}>()("@tenfold/cache/CacheBus") {
  /** An in-process bus joining every cache built with the same `hub` (see `makeLocalHub`). */
  static layerLocal = (hub: LocalHub) => Layer.effect(CacheBus, makeLocal(hub))
}

/** The members of one in-process bus. */
export type LocalHub = Set<BusListener>

/** A new, empty in-process bus to pass to `CacheBus.layerLocal`. */
export const makeLocalHub = (): LocalHub => new Set()

/** Joins `hub` for the current scope. */
export const makeLocal = (hub: LocalHub) =>
  Effect.gen(function*() {
    const listeners = new Set<BusListener>()
    const member: BusListener = (digest) => listeners.forEach((listener) => listener(digest))
    hub.add(member)
    yield* Effect.addFinalizer(() => Effect.sync(() => hub.delete(member)))
    return CacheBus.of({
      publish: (digest) =>
        Effect.sync(() => {
          for (const other of hub) if (other !== member) other(digest)
        }),
      subscribe: (listener) => {
        listeners.add(listener)
        return () => void listeners.delete(listener)
      },
      instances: () => hub.size
    })
  })
