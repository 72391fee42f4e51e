/**
 * The cache's Effect metrics, one series per tier (attribute `tier`): hits, misses, evictions,
 * bytes held and access time. The telemetry layer exports them (Prometheus, OpenTelemetry).
 */
import { Metric } from "effect"
import type { TierName } from "./CacheTier.ts"

export const hits = Metric.counter("tenfold_cache_hits_total", { description: "Cache lookups answered by a tier" })
export const misses = Metric.counter("tenfold_cache_misses_total", { description: "Cache lookups a tier could not answer" })
export const evictions = Metric.counter("tenfold_cache_evictions_total", { description: "Entries a tier dropped to stay within its bounds" })
export const errors = Metric.counter("tenfold_cache_errors_total", { description: "Tier operations that failed and were skipped (fail-open)" })
export const refreshFailures = Metric.counter("tenfold_cache_refresh_failures_total", {
  description: "Background refreshes (stale-while-revalidate) whose computation failed; the stale value stayed"
})
export const bytes = Metric.gauge("tenfold_cache_bytes", { description: "Bytes a tier holds" })
export const entries = Metric.gauge("tenfold_cache_entries", { description: "Entries a tier holds" })
export const accessTime = Metric.histogram("tenfold_cache_access_ms", {
  description: "Time of one tier lookup in milliseconds",
  boundaries: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250]
})

export const redisStateChanges = Metric.counter("tenfold_cache_redis_state_changes_total", {
  description: "Changes of the Redis connection's state (attribute state: lost, unreachable at start, back)"
})
export const redisUp = Metric.gauge("tenfold_cache_redis_up", { description: "1 while the Redis connection is up, 0 while it is lost" })
export const busSubscribeFailures = Metric.counter("tenfold_cache_bus_subscribe_failures_total", {
  description: "Failed SUBSCRIBEs of the Redis invalidation bus (each is retried)"
})

/** The series of `metric` for one tier. */
export const forTier = <Input, State>(metric: Metric.Metric<Input, State>, tier: TierName) => Metric.withAttributes(metric, { tier })
