/**
 * L1: an in-process LRU (lru-cache) bounded in bytes and entries. Values are kept as they are —
 * no serialization on the hit path — and `peek` answers synchronously for the hot path. Entries
 * are also found by their key's digest, the form invalidation messages carry.
 */
import { Clock, Context, Effect, Layer } from "effect"
import { LRUCache } from "lru-cache"
import type { CacheKey } from "./CacheKey.ts"
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
   * The usable (fresh or stale) entry under the exact key `id`, synchronously; expired ones are
   * dropped. `now` (epoch ms) spares a second clock read when the caller has one.
   */
  readonly peek: (id: string, now?: number) => Entry | undefined
  /** Stores synchronously. */
  readonly put: (key: CacheKey, entry: Entry) => void
  /** Drops the entry whose key has `digest` (an invalidation from another instance). */
  readonly removeDigest: (digest: string) => void
  /** Drops everything (after a lost subscription this instance may have missed invalidations). */
  readonly clear: () => void
  readonly stats: () => { readonly entries: number; readonly bytes: number; readonly evictions: number }
}>()("@tenfold/cache/MemoryTier") {
  static layer = (options: MemoryTierOptions = {}) => Layer.effect(MemoryTier, make(options))
}

/** An entry and the digest of its key (to forget the digest with the entry). */
interface Slot {
  readonly entry: Entry
  readonly digest: string
}

/** Characters of a digest (base64url SHA-256), counted in an entry's size. */
const DIGEST_LENGTH = 43

export const make = (options: MemoryTierOptions = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const evicted = CacheMetrics.forTier(CacheMetrics.evictions, "memory")
    const bytesGauge = CacheMetrics.forTier(CacheMetrics.bytes, "memory")
    const entriesGauge = CacheMetrics.forTier(CacheMetrics.entries, "memory")
    let evictions = 0
    /** digest → exact key, for every entry held */
    const byDigest = new Map<string, string>()
    const lru = new LRUCache<string, Slot>({
      max: options.maxEntries ?? 100_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (slot, key) => sizeOf(key, slot.entry) + 2 * DIGEST_LENGTH,
      dispose: (slot, key, reason) => {
        if (byDigest.get(slot.digest) === key) byDigest.delete(slot.digest)
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
    const peek = (id: string, now?: number): Entry | undefined => {
      const slot = lru.get(id)
      if (slot === undefined) return undefined
      if ((now ?? clock.currentTimeMillisUnsafe()) < slot.entry.staleUntil) return slot.entry
      lru.delete(id)
      return undefined
    }
    const put = (key: CacheKey, entry: Entry) => {
      const digest = key.digest
      lru.set(key.id, { entry, digest })
      if (lru.has(key.id)) byDigest.set(digest, key.id)
      report()
    }
    const remove = (id: string) => {
      lru.delete(id)
      report()
    }
    return MemoryTier.of({
      name: "memory",
      get: (key) => Effect.sync(() => peek(key.id)),
      set: (key, entry) => Effect.sync(() => put(key, entry)),
      delete: (key) => Effect.sync(() => remove(key.id)),
      peek,
      put,
      removeDigest: (digest) => {
        const id = byDigest.get(digest)
        if (id !== undefined) remove(id)
      },
      clear: () => {
        lru.clear()
        byDigest.clear()
        report()
      },
      stats: () => ({ entries: lru.size, bytes: lru.calculatedSize, evictions })
    })
  })
