/**
 * The cache's Effect metrics, one series per tier (attribute `tier`): hits, misses, evictions,
 * bytes held and access time. The telemetry layer exports them (Prometheus, OpenTelemetry).
 */
import { Metric } from "effect"
import type { TierName } from "./CacheTier.ts"

/** Each metric made by `tiered`, and how to make its series for one tier. */
const makers = new Map<unknown, (attributes: Metric.Metric.Attributes) => unknown>()

/** A metric with one series per tier: `make(undefined)`, remembered so `forTier` can make a tier's own series. */
const tiered = <M>(make: (attributes: Metric.Metric.Attributes | undefined) => M): M => {
  const metric = make(undefined)
  makers.set(metric, make)
  return metric
}

export const hits = tiered((attributes) => Metric.counter("tenfold_cache_hits_total", { description: "Cache lookups answered by a tier", attributes }))
export const misses = tiered((attributes) => Metric.counter("tenfold_cache_misses_total", { description: "Cache lookups a tier could not answer", attributes }))
export const evictions = tiered((attributes) =>
  Metric.counter("tenfold_cache_evictions_total", { description: "Entries a tier dropped to stay within its bounds", attributes })
)
export const errors = tiered((attributes) =>
  Metric.counter("tenfold_cache_errors_total", { description: "Tier operations that failed and were skipped (fail-open)", attributes })
)
export const refreshFailures = Metric.counter("tenfold_cache_refresh_failures_total", {
  description: "Background refreshes (stale-while-revalidate) whose computation failed; the stale value stayed"
})
export const bytes = tiered((attributes) => Metric.gauge("tenfold_cache_bytes", { description: "Bytes a tier holds", attributes }))
export const entries = tiered((attributes) => Metric.gauge("tenfold_cache_entries", { description: "Entries a tier holds", attributes }))
export const accessTime = tiered((attributes) =>
  Metric.histogram("tenfold_cache_access_ms", {
    description: "Time of one tier lookup in milliseconds",
    boundaries: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250],
    attributes
  })
)

export const redisStateChanges = Metric.counter("tenfold_cache_redis_state_changes_total", {
  description: "Changes of the Redis connection's state (attribute state: lost, unreachable at start, back)"
})
export const redisUp = Metric.gauge("tenfold_cache_redis_up", { description: "1 while the Redis connection is up, 0 while it is lost" })
export const busSubscribeFailures = Metric.counter("tenfold_cache_bus_subscribe_failures_total", {
  description: "Failed SUBSCRIBEs of the Redis invalidation bus (each is retried)"
})

/**
 * The series of `metric` for one tier, as a metric of its own with the attribute built in: an
 * update does no per-call work, where a `Metric.withAttributes` wrapper allocates a context on each
 * (the L1 hit path updates one). Same series, so either reads it.
 */
export const forTier = <Input, State>(metric: Metric.Metric<Input, State>, tier: TierName): Metric.Metric<Input, State> => {
  const make = makers.get(metric)
  return make === undefined ? Metric.withAttributes(metric, { tier }) : (make({ tier }) as Metric.Metric<Input, State>)
}
