/**
 * One reading of the metric registry: the cumulative state of every series `Telemetry` reports,
 * found by metric name and attribute, so any package that records under the shared names
 * (cache tiers, pools) shows up without `@tenfold/metrics` knowing it.
 */
import type { Metric } from "effect"
import type { ProcessReading } from "../ProcessMetrics.ts"
import { names as requestNames } from "../RequestMetrics.ts"

/** Names other packages record under (see /metrics in the README). */
const sharedNames = {
  taskDuration: "tenfold_task_duration_seconds",
  taskFailures: "tenfold_task_failures_total",
  poolActive: "tenfold_pool_active",
  poolCapacity: "tenfold_pool_capacity",
  poolQueued: "tenfold_pool_queued",
  cacheHits: "tenfold_cache_hits_total",
  cacheMisses: "tenfold_cache_misses_total",
  cacheEvictions: "tenfold_cache_evictions_total",
  cacheEntries: "tenfold_cache_entries",
  cacheBytes: "tenfold_cache_bytes"
} as const

/** A latency histogram and its failures, cumulative. */
export interface Series {
  readonly count: number
  readonly sum: number
  /** Upper bounds of the buckets (the last is +Infinity). */
  readonly boundaries: ReadonlyArray<number>
  /** Observations at or below each bound. */
  readonly cumulative: ReadonlyArray<number>
  failures: number
}

export interface TierReading {
  hits: number
  misses: number
  evictions: number
  entries: number
  bytes: number
}

export interface PoolReading {
  active: number
  capacity: number
  queued: number
}

export interface Reading {
  /** When it was taken (epoch ms, from the Clock). */
  readonly at: number
  readonly methods: Map<string, Series>
  readonly tools: Map<string, Series>
  readonly tasks: Map<string, Series>
  readonly tiers: Map<string, TierReading>
  readonly pools: Map<string, PoolReading>
  readonly process: ProcessReading
}

const emptySeries = (): Series => ({ count: 0, sum: 0, boundaries: [], cumulative: [], failures: 0 })

const histogramSeries = (state: Metric.HistogramState, previous: Series | undefined): Series => ({
  count: state.count,
  sum: state.sum,
  boundaries: state.buckets.map(([bound]) => bound),
  cumulative: state.buckets.map(([, n]) => n),
  failures: previous?.failures ?? 0
})

const numberOf = (value: number | bigint): number => Number(value)

const entry = <A>(map: Map<string, A>, key: string, make: () => A): A => {
  let value = map.get(key)
  if (value === undefined) map.set(key, value = make())
  return value
}

/** Reads the series `Telemetry` reports from a registry snapshot. */
export const read = (snapshot: ReadonlyArray<Metric.Metric.Snapshot>, at: number, process: ProcessReading): Reading => {
  const reading: Reading = { at, methods: new Map(), tools: new Map(), tasks: new Map(), tiers: new Map(), pools: new Map(), process }
  for (const metric of snapshot) {
    const attributes = metric.attributes ?? {}
    switch (metric.id) {
      case requestNames.requestDuration:
      case requestNames.toolDuration:
      case sharedNames.taskDuration: {
        if (metric.type !== "Histogram") break
        const [map, key] = groupOf(reading, metric.id, attributes)
        map.set(key, histogramSeries(metric.state, map.get(key)))
        break
      }
      case requestNames.requestFailures:
      case requestNames.toolFailures:
      case sharedNames.taskFailures: {
        if (metric.type !== "Counter") break
        const [map, key] = groupOf(reading, metric.id, attributes)
        entry(map, key, emptySeries).failures = numberOf(metric.state.count)
        break
      }
      case sharedNames.cacheHits:
      case sharedNames.cacheMisses:
      case sharedNames.cacheEvictions:
      case sharedNames.cacheEntries:
      case sharedNames.cacheBytes: {
        const tier = attributes.tier
        if (tier === undefined) break
        const value = metric.type === "Counter" ? numberOf(metric.state.count) : metric.type === "Gauge" ? numberOf(metric.state.value) : 0
        const t = entry(reading.tiers, tier, () => ({ hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 }))
        if (metric.id === sharedNames.cacheHits) t.hits = value
        else if (metric.id === sharedNames.cacheMisses) t.misses = value
        else if (metric.id === sharedNames.cacheEvictions) t.evictions = value
        else if (metric.id === sharedNames.cacheEntries) t.entries = value
        else t.bytes = value
        break
      }
      case sharedNames.poolActive:
      case sharedNames.poolCapacity:
      case sharedNames.poolQueued: {
        const pool = attributes.pool
        if (pool === undefined || metric.type !== "Gauge") break
        const p = entry(reading.pools, pool, () => ({ active: 0, capacity: 0, queued: 0 }))
        const value = numberOf(metric.state.value)
        if (metric.id === sharedNames.poolActive) p.active = value
        else if (metric.id === sharedNames.poolCapacity) p.capacity = value
        else p.queued = value
        break
      }
    }
  }
  return reading
}

/** The map and key a request, tool or task series belongs to. */
const groupOf = (reading: Reading, id: string, attributes: Record<string, string>): readonly [Map<string, Series>, string] => {
  if (id === requestNames.requestDuration || id === requestNames.requestFailures) return [reading.methods, attributes.method ?? "other"]
  if (id === requestNames.toolDuration || id === requestNames.toolFailures) return [reading.tools, attributes.tool ?? "other"]
  return [reading.tasks, "all"]
}
