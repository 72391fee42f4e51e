/**
 * One origin's pool: an undici `Pool` (keep-alive sockets, at most the origin's `maxPerHost`)
 * behind a permit gate whose size is the pool's capacity, plus the profile's shared budget. The
 * gate, not undici, bounds the requests in flight, so resizing it resizes the pool at once:
 * sockets beyond a smaller capacity go idle and close after their keep-alive.
 */
import { Effect, Semaphore, type Scope } from "effect"
import type { Pool } from "undici"
import type { PoolStats } from "../PoolStats.ts"
import type { Resolved } from "../Profile.ts"
import { nextCapacity } from "../Sizing.ts"

/** What a pool is made of. */
export interface OriginPoolOptions {
  readonly origin: string
  readonly resolved: Resolved
  readonly filtered: boolean
  readonly dispatcher: Pool
  /** The profile's budget (`connections` permits), shared by every origin of the profile. */
  readonly budget: Semaphore.Semaphore
  /** A network permit from the runtime's resource pools, when it has any. */
  readonly networkPermit: Effect.Effect<void, never, Scope.Scope>
}

/** One origin's pool and its counters. */
export interface OriginPool {
  readonly origin: string
  /** The metric attribute `pool`. */
  readonly label: string
  readonly resolved: Resolved
  readonly dispatcher: Pool
  /** Requests between their lookup of the pool and their end: a pool with users is never evicted. */
  users: number
  /** When a request last looked the pool up (epoch ms). */
  lastUsed: number
  /** Waits for a slot (counted as queued), then holds it (counted as active) until the scope closes. */
  readonly permit: Effect.Effect<void, never, Scope.Scope>
  readonly stats: () => PoolStats
  /** Resizes the gate by the use since the last call (the optimise loop's step). */
  readonly optimise: Effect.Effect<void>
}

/**
 * Resolves after undici has handed the finished request's socket back to its pool (one macrotask
 * after the body ends): releasing the slot earlier lets the next request find every socket busy
 * and open another, so the pool would hold more sockets than its capacity.
 */
const settled = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** The metric attribute `pool` of an origin's pools. */
export const labelOf = (origin: string) => `http:${origin}`

export const make = (options: OriginPoolOptions): OriginPool => {
  const { settings } = options.resolved
  const gate = Semaphore.makeUnsafe(settings.perHost)
  let capacity = settings.perHost
  let active = 0
  let queued = 0
  let peak = 0
  const hold = Effect.acquireRelease(
    Effect.sync(() => {
      active++
      if (active > peak) peak = active
    }),
    () => Effect.andThen(settled, Effect.sync(() => void active--))
  )
  const wait = Effect.suspend(() => {
    queued++
    return gate.takeScoped(1).pipe(
      Effect.andThen(options.budget.takeScoped(1)),
      Effect.andThen(options.networkPermit),
      Effect.ensuring(Effect.sync(() => void queued--))
    )
  })
  const pool: OriginPool = {
    origin: options.origin,
    label: labelOf(options.origin),
    resolved: options.resolved,
    dispatcher: options.dispatcher,
    users: 0,
    lastUsed: 0,
    permit: Effect.andThen(wait, hold),
    stats: () => {
      const undiciStats = options.dispatcher.stats
      return {
        pool: pool.label,
        origin: options.origin,
        profile: options.resolved.profile,
        filtered: options.filtered,
        active,
        queued,
        capacity,
        connected: undiciStats.connected,
        idle: undiciStats.free
      }
    },
    optimise: Effect.suspend(() => {
      const next = nextCapacity({ capacity, peak, queued }, { min: settings.minPerHost, max: settings.maxPerHost })
      peak = active
      if (next === capacity) return Effect.void
      capacity = next
      return gate.resize(next)
    })
  }
  return pool
}
