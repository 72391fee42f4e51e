/**
 * L1: an in-process LRU (lru-cache) bounded in bytes and entries. Values are kept as they are —
 * no serialization on the hit path — and `peek` answers synchronously for the hot path.
 */
import { Clock, Context, Effect, Layer, type Metric } from "effect"
import { LRUCache } from "lru-cache"
import * as CacheMetrics from "./CacheMetrics.ts"
import type { CacheTier } from "./CacheTier.ts"
import { type Entry, sizeOf } from "./Entry.ts"

export interface MemoryTierOptions {
  /** Most bytes held (approximate, UTF-16 of keys and values); default 64 MiB. */
  readonly maxBytes?: number
  /** Most entries held; default 100000. */
  readonly maxEntries?: number
}

export class MemoryTier extends Context.Service<MemoryTier, CacheTier & {
  /**
   * The usable (fresh or stale) entry under `key`, synchronously; expired ones are dropped.
   * `now` (epoch ms) spares a second clock read when the caller has one.
   */
  readonly peek: (key: string, now?: number) => Entry | undefined
  /** Stores synchronously. */
  readonly put: (key: string, entry: Entry) => void
  readonly remove: (key: string) => void
  /** Drops everything (after a Redis reconnect this instance may have missed invalidations). */
  readonly clear: () => void
  readonly stats: () => { readonly entries: number; readonly bytes: number; readonly evictions: number }
}>()("@tenfold/cache/MemoryTier") {
  static layer = (options: MemoryTierOptions = {}) => Layer.effect(MemoryTier, make(options))
}

export const make = (options: MemoryTierOptions = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const evicted = CacheMetrics.forTier(CacheMetrics.evictions, "memory") as Metric.Metric<number, unknown>
    const bytesGauge = CacheMetrics.forTier(CacheMetrics.bytes, "memory") as Metric.Metric<number, unknown>
    const entriesGauge = CacheMetrics.forTier(CacheMetrics.entries, "memory") as Metric.Metric<number, unknown>
    let evictions = 0
    const lru = new LRUCache<string, Entry>({
      max: options.maxEntries ?? 100_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry, key) => sizeOf(key, entry),
      dispose: (_entry, _key, reason) => {
        if (reason === "evict") {
          evictions++
          evicted.updateUnsafe(1, context)
        }
      }
    })
    const report = () => {
      bytesGauge.updateUnsafe(lru.calculatedSize, context)
      entriesGauge.updateUnsafe(lru.size, context)
    }
    const peek = (key: string, now?: number): Entry | undefined => {
      const entry = lru.get(key)
      if (entry === undefined || (now ?? clock.currentTimeMillisUnsafe()) < entry.staleUntil) return entry
      lru.delete(key)
      return undefined
    }
    const put = (key: string, entry: Entry) => {
      lru.set(key, entry)
      report()
    }
    const remove = (key: string) => {
      lru.delete(key)
      report()
    }
    return MemoryTier.of({
      name: "memory",
      get: (key) => Effect.sync(() => peek(key)),
      set: (key, entry) => Effect.sync(() => put(key, entry)),
      delete: (key) => Effect.sync(() => remove(key)),
      peek,
      put,
      remove,
      clear: () => {
        lru.clear()
        report()
      },
      stats: () => ({ entries: lru.size, bytes: lru.calculatedSize, evictions })
    })
  })
