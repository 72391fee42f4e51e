/**
 * What the dashboard sends over SSE: one compact {@link Point} per second for the charts (kept in
 * the server-side history), and the latest snapshot for the tables, trimmed so a frame stays small
 * however many tools a gateway serves.
 */
import type { TelemetrySnapshot } from "../Snapshot.ts"

/** The charted numbers of one snapshot. */
export interface Point {
  /** Epoch seconds. */
  readonly t: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  /** Requests per second. */
  readonly rps: number
  /** Failed requests per second. */
  readonly errors: number
  /** Cache hit rate (0..1) over every tier, and per tier by name. */
  readonly hitRate: number
  readonly tiers: Readonly<Record<string, number>>
  /** Utilisation (0..1) per pool by name. */
  readonly pools: Readonly<Record<string, number>>
  readonly cpu: number
  readonly memory: number
  readonly eventLoop: number
}

/** Most rows of the per-tool and per-method tables, and most alerts, one frame carries. */
export const MAX_ROWS = 50

/** The charted numbers of `snapshot`. */
export const pointOf = (snapshot: TelemetrySnapshot): Point => ({
  t: Math.round(snapshot.at / 1000),
  p50: snapshot.requests.p50Ms,
  p95: snapshot.requests.p95Ms,
  p99: snapshot.requests.p99Ms,
  rps: snapshot.requests.perSecond,
  errors: snapshot.windowSeconds > 0 ? snapshot.requests.failures / snapshot.windowSeconds : 0,
  hitRate: snapshot.cache.hitRate,
  tiers: Object.fromEntries(snapshot.cache.tiers.slice(0, MAX_ROWS).map((tier) => [tier.tier, tier.hitRate])),
  pools: Object.fromEntries(snapshot.pools.slice(0, MAX_ROWS).map((pool) => [pool.name, pool.utilisation])),
  cpu: snapshot.process.cpu,
  memory: snapshot.process.memory,
  eventLoop: snapshot.process.eventLoop
})

/** `snapshot` with at most {@link MAX_ROWS} tools and methods (the busiest) and alerts (the newest). */
export const trimmed = (snapshot: TelemetrySnapshot): TelemetrySnapshot => ({
  ...snapshot,
  tools: busiest(snapshot.tools),
  methods: busiest(snapshot.methods),
  pools: snapshot.pools.slice(0, MAX_ROWS),
  cache: { ...snapshot.cache, tiers: snapshot.cache.tiers.slice(0, MAX_ROWS) },
  alerts: snapshot.alerts.length <= MAX_ROWS ? snapshot.alerts : [...snapshot.alerts].sort((a, b) => b.since - a.since).slice(0, MAX_ROWS)
})

const busiest = <A extends { readonly count: number }>(rows: ReadonlyArray<A>): ReadonlyArray<A> =>
  rows.length <= MAX_ROWS ? rows : [...rows].sort((a, b) => b.count - a.count).slice(0, MAX_ROWS)
