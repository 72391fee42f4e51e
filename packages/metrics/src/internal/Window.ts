/**
 * Window arithmetic: a `TelemetrySnapshot` from two readings of the registry (the newest and the
 * oldest kept), and percentiles from the difference of two cumulative histograms.
 */
import { cpuRatio, utilisation } from "../ProcessMetrics.ts"
import type { Latency, PoolUse, RequestGroup, TelemetrySnapshot, TierRates } from "../Snapshot.ts"
import type { Reading, Series } from "./Reading.ts"

/** The observations of `now` that came after `before`: counts, sums and buckets subtracted. */
export const difference = (now: Series, before: Series | undefined): Series =>
  before === undefined || before.cumulative.length !== now.cumulative.length
    ? now
    : {
      count: now.count - before.count,
      sum: now.sum - before.sum,
      boundaries: now.boundaries,
      cumulative: now.cumulative.map((n, i) => n - before.cumulative[i]!),
      failures: now.failures - before.failures
    }

/**
 * The `q` quantile (0..1) of a histogram, interpolated linearly inside the bucket it falls in
 * (as Prometheus' `histogram_quantile`); the first bucket starts at 0, and a quantile past the
 * highest finite bound is that bound. 0 for an empty histogram.
 */
export const quantile = (series: Series, q: number): number => {
  const total = series.count
  if (total <= 0) return 0
  const rank = q * total
  for (let i = 0; i < series.cumulative.length; i++) {
    const upTo = series.cumulative[i]!
    if (upTo < rank) continue
    const upper = series.boundaries[i]!
    const lower = i === 0 ? 0 : series.boundaries[i - 1]!
    if (!Number.isFinite(upper)) return lower
    const below = i === 0 ? 0 : series.cumulative[i - 1]!
    return upTo === below ? upper : lower + ((upper - lower) * (rank - below)) / (upTo - below)
  }
  // past the last bound (effect lists no +Infinity bucket unless the boundaries name it)
  return series.boundaries[series.boundaries.length - 1] ?? 0
}

/** Several histograms of the same buckets as one. */
export const combine = (all: ReadonlyArray<Series>): Series | undefined => {
  const first = all[0]
  if (first === undefined) return undefined
  return all.slice(1).reduce((a, b) =>
    a.cumulative.length !== b.cumulative.length ? a : {
      count: a.count + b.count,
      sum: a.sum + b.sum,
      boundaries: a.boundaries,
      cumulative: a.cumulative.map((n, i) => n + b.cumulative[i]!),
      failures: a.failures + b.failures
    }, first)
}

const ms = (seconds: number) => seconds * 1000

/** Latency of a histogram of seconds, in milliseconds. */
export const latency = (series: Series | undefined): Latency =>
  series === undefined || series.count <= 0
    ? { count: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 }
    : {
      count: series.count,
      avgMs: ms(series.sum / series.count),
      p50Ms: ms(quantile(series, 0.5)),
      p95Ms: ms(quantile(series, 0.95)),
      p99Ms: ms(quantile(series, 0.99))
    }

/** The groups (methods or tools) that had requests in the window, busiest first. */
const groups = (now: Map<string, Series>, before: Map<string, Series>): Array<RequestGroup> => {
  const out: Array<RequestGroup> = []
  for (const [name, series] of now) {
    const window = difference(series, before.get(name))
    if (window.count <= 0) continue
    out.push({ name, ...latency(window), successes: Math.max(0, window.count - window.failures), failures: window.failures })
  }
  return out.sort((a, b) => b.count - a.count)
}

const windowOf = (now: Map<string, Series>, before: Map<string, Series>): Array<Series> =>
  [...now].map(([name, series]) => difference(series, before.get(name)))

/**
 * Lookups over every tier, and those no tier answered: a lookup that misses everywhere is missed
 * by every tier, so the fewest misses of any tier are the lookups no tier answered (0 and 0 without tiers).
 */
export const cacheLookups = (tiers: ReadonlyArray<TierRates>): { readonly lookups: number; readonly misses: number } => {
  if (tiers.length === 0) return { lookups: 0, misses: 0 }
  const misses = Math.min(...tiers.map((t) => t.misses))
  return { lookups: tiers.reduce((n, t) => n + t.hits, 0) + misses, misses }
}

/** Hits / lookups over every tier (see {@link cacheLookups}). */
const overallHitRate = (tiers: ReadonlyArray<TierRates>) => {
  const { lookups, misses } = cacheLookups(tiers)
  return lookups === 0 ? { hitRate: 0, missRate: 0 } : { hitRate: (lookups - misses) / lookups, missRate: misses / lookups }
}

/** The snapshot of the window from `before` to `now` (alerts left empty: `Alerts` fills them). */
export const between = (before: Reading, now: Reading, startedAt: number, cores: number): TelemetrySnapshot => {
  const seconds = (now.at - before.at) / 1000
  const perSecond = (n: number) => (seconds > 0 ? n / seconds : 0)
  const all = combine(windowOf(now.methods, before.methods))
  const tasks = combine(windowOf(now.tasks, before.tasks))
  const tiers: Array<TierRates> = [...now.tiers].map(([tier, t]) => {
    const b = before.tiers.get(tier) ?? { hits: 0, misses: 0, evictions: 0 }
    const hits = t.hits - b.hits
    const misses = t.misses - b.misses
    return { tier, hits, misses, hitRate: hits + misses > 0 ? hits / (hits + misses) : 0, evictionsPerSecond: perSecond(t.evictions - b.evictions), entries: t.entries, bytes: t.bytes }
  })
  const pools: Array<PoolUse> = [...now.pools].map(([name, p]) => ({ name, ...p, utilisation: p.capacity > 0 ? Math.min(1, p.active / p.capacity) : 0 }))
  const failures = all?.failures ?? 0
  const count = all?.count ?? 0
  return {
    at: now.at,
    windowSeconds: seconds,
    uptimeSeconds: (now.at - startedAt) / 1000,
    requests: { ...latency(all), perSecond: perSecond(count), successes: Math.max(0, count - failures), failures },
    methods: groups(now.methods, before.methods),
    tools: groups(now.tools, before.tools),
    process: {
      cpu: cpuRatio(now.process.cpuSeconds - before.process.cpuSeconds, seconds, cores),
      memory: now.process.rssBytes / now.process.totalMemoryBytes,
      rssBytes: now.process.rssBytes,
      heapUsedBytes: now.process.heapUsedBytes,
      eventLoop: utilisation(now.process, before.process),
      eventLoopDelayP99Ms: now.process.loopDelayP99Ms
    },
    cache: { ...overallHitRate(tiers), tiers },
    tasks: {
      concurrent: now.pools.get("tools")?.active ?? 0,
      avgCompletionMs: tasks !== undefined && tasks.count > 0 ? ms(tasks.sum / tasks.count) : 0,
      successRate: tasks !== undefined && tasks.count > 0 ? (tasks.count - tasks.failures) / tasks.count : 1
    },
    pools,
    alerts: []
  }
}
