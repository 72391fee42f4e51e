/**
 * The bounded table of origin pools. Origins come from tool arguments, that is from clients, so
 * the table holds at most `maxOrigins` pools: a new origin past the bound closes the least
 * recently used pool with no request, or is refused when every pool is busy. Pools unused for
 * `idleOriginMs` are closed by `sweep`. Each pool's metric series live exactly as long as a pool
 * with its label does.
 */
import type { Context } from "effect"
import { TooManyOrigins } from "../ConnectionError.ts"
import * as ConnectionMetrics from "../ConnectionMetrics.ts"
import type { OriginPool } from "./OriginPool.ts"

interface Label {
  readonly members: Set<OriginPool>
  readonly series: ConnectionMetrics.PoolSeries
}

/** The table, keyed by origin and address filter. */
export interface Origins {
  /** The pool of `key` (made by `create` when absent), counted as used until `checkin`. */
  readonly checkout: (key: string, origin: string, now: number, create: () => OriginPool) => OriginPool | TooManyOrigins
  readonly checkin: (pool: OriginPool) => void
  /** The series of a pool label (`http:<origin>`); undefined while no pool has it. */
  readonly series: (label: string) => ConnectionMetrics.PoolSeries | undefined
  /** Closes the pools unused since `now - idleOriginMs`. */
  readonly sweep: (now: number) => void
  readonly pools: () => IterableIterator<OriginPool>
  /** Destroys every pool (the layer's scope is closing). */
  readonly destroyAll: () => Promise<void>
}

export const make = (options: {
  readonly maxOrigins: number
  readonly idleOriginMs: number
  readonly context: Context.Context<never>
}): Origins => {
  /** In least-recently-used order: a checkout moves its pool to the end. */
  const table = new Map<string, OriginPool>()
  const keys = new Map<OriginPool, string>()
  const labels = new Map<string, Label>()

  const add = (key: string, pool: OriginPool) => {
    table.set(key, pool)
    keys.set(pool, key)
    let label = labels.get(pool.label)
    if (label === undefined) {
      const members = new Set<OriginPool>()
      label = { members, series: ConnectionMetrics.register(pool.label, () => Array.from(members, (m) => m.stats()), options.context) }
      labels.set(pool.label, label)
    }
    label.members.add(pool)
  }

  const close = (pool: OriginPool) => {
    table.delete(keys.get(pool)!)
    keys.delete(pool)
    const label = labels.get(pool.label)!
    label.members.delete(pool)
    if (label.members.size === 0) {
      label.series.remove()
      labels.delete(pool.label)
    }
    void pool.dispatcher.close().catch(() => undefined)
  }

  return {
    checkout: (key, origin, now, create) => {
      let pool = table.get(key)
      if (pool !== undefined) {
        table.delete(key)
        table.set(key, pool)
      } else {
        if (table.size >= options.maxOrigins) {
          const idle = Array.from(table.values()).find((p) => p.users === 0)
          if (idle === undefined) return new TooManyOrigins({ origin, maxOrigins: options.maxOrigins })
          close(idle)
        }
        pool = create()
        add(key, pool)
      }
      pool.users++
      pool.lastUsed = now
      return pool
    },
    checkin: (pool) => {
      pool.users--
    },
    series: (label) => labels.get(label)?.series,
    sweep: (now) => {
      for (const pool of Array.from(table.values())) {
        if (pool.users === 0 && now - pool.lastUsed >= options.idleOriginMs) close(pool)
      }
    },
    pools: () => table.values(),
    destroyAll: async () => {
      const pools = Array.from(table.values())
      for (const pool of pools) close(pool)
      await Promise.all(pools.map((pool) => pool.dispatcher.destroy().catch(() => undefined)))
    }
  }
}
