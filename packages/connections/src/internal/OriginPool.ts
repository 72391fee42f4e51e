/**
 * One origin's pool: an undici `Pool` (keep-alive sockets, at most the origin's `maxPerHost`)
 * behind a gate whose size is the pool's capacity, plus the profile's shared budget. The gate, not
 * undici, bounds the requests in flight, so resizing it resizes the pool at once: sockets beyond
 * a smaller capacity go idle and close after their keep-alive.
 */
import type { Pool } from "undici"
import type { PoolStats } from "../PoolStats.ts"
import type { Resolved } from "../Profile.ts"
import { nextCapacity } from "../Sizing.ts"
import * as Gate from "./Gate.ts"

/** What a pool is made of. */
export interface OriginPoolOptions {
  readonly origin: string
  readonly resolved: Resolved
  readonly filtered: boolean
  readonly dispatcher: Pool
  /** The profile's budget (`connections` slots), shared by every origin of the profile. */
  readonly budget: Gate.Gate
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
  /**
   * Takes a slot of the pool and one of the budget (counted as queued while waiting, then as
   * active), calling `granted` once both are held; the returned function gives up waiting. A
   * granted slot is returned with `release`.
   */
  readonly acquire: (granted: () => void) => () => void
  readonly release: () => void
  readonly stats: () => PoolStats
  /** Resizes the gate by the use since the last call (the optimise loop's step). */
  readonly optimise: () => void
}

/** The metric attribute `pool` of an origin's pools. */
const labelOf = (origin: string) => `http:${origin}`

export const make = (options: OriginPoolOptions): OriginPool => {
  const { settings } = options.resolved
  const { budget } = options
  const gate = Gate.make(settings.perHost)
  let capacity = settings.perHost
  let active = 0
  let queued = 0
  let peak = 0

  const acquire = (granted: () => void) => {
    let cancel: (() => void) | undefined
    let holdsSlot = false
    let waiting = false
    const held = () => {
      if (waiting) queued--
      waiting = false
      cancel = undefined
      active++
      if (active > peak) peak = active
      granted()
    }
    const queue = () => {
      if (!waiting) queued++
      waiting = true
    }
    const slotTaken = () => {
      holdsSlot = true
      if (budget.tryTake()) return held()
      queue()
      cancel = budget.wait(held)
    }
    if (gate.tryTake()) slotTaken()
    else {
      queue()
      cancel = gate.wait(slotTaken)
    }
    return () => {
      if (cancel === undefined) return
      cancel()
      cancel = undefined
      if (waiting) queued--
      waiting = false
      if (holdsSlot) gate.release()
    }
  }

  const pool: OriginPool = {
    origin: options.origin,
    label: labelOf(options.origin),
    resolved: options.resolved,
    dispatcher: options.dispatcher,
    users: 0,
    lastUsed: 0,
    acquire,
    release: () => {
      active--
      budget.release()
      gate.release()
    },
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
    optimise: () => {
      const next = nextCapacity({ capacity, peak, queued }, { min: settings.minPerHost, max: settings.maxPerHost })
      peak = active
      if (next === capacity) return
      capacity = next
      gate.resize(next)
    }
  }
  return pool
}
