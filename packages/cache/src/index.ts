/**
 * @tenfold/cache — the tiered result cache: L1 memory, L2 Redis, L4 SQLite behind one interface,
 * composed by TieredCache; cache policy and keys.
 */
export * as CacheMetrics from "./CacheMetrics.ts"
export type { CacheTier, TierName } from "./CacheTier.ts"
export * as Entry from "./Entry.ts"
export { MemoryTier } from "./MemoryTier.ts"
export type { MemoryTierOptions } from "./MemoryTier.ts"
export { PersistentTier } from "./PersistentTier.ts"
export type { PersistentTierOptions } from "./PersistentTier.ts"
export * as Policy from "./Policy.ts"
export { RedisTier } from "./RedisTier.ts"
export type { RedisTierOptions } from "./RedisTier.ts"
export * as CacheKey from "./CacheKey.ts"
export { TieredCache } from "./TieredCache.ts"
export type { Computed, Peeked, Served, Source, TieredCacheOptions } from "./TieredCache.ts"
