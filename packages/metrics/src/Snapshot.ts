/**
 * The shape of one telemetry snapshot: the seed's `PerformanceMetrics` fields as Tenfold computes
 * them from its Effect `Metric`s. `Telemetry` produces it; the dashboard (over SSE), the
 * `tenfold_stats` tool and the alert rules read it, so all three always agree.
 */

/** Latency of one group of requests over the snapshot's window, in milliseconds. */
export interface Latency {
  readonly count: number
  readonly avgMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
}

/** Requests of one method or one tool over the window. */
export interface RequestGroup extends Latency {
  readonly name: string
  readonly successes: number
  readonly failures: number
}

/** One cache tier (`memory`, `redis`, `semantic`, `persistent`, …) over the window. */
export interface TierRates {
  readonly tier: string
  readonly hits: number
  readonly misses: number
  /** hits / (hits + misses) over the window; 0 when there were no lookups. */
  readonly hitRate: number
  /** Evictions per second over the window. */
  readonly evictionsPerSecond: number
  readonly entries: number
  readonly bytes: number
}

/** A pool (tool executor, connection pool, worker pool, …) and how full it is. */
export interface PoolUse {
  readonly name: string
  readonly active: number
  readonly capacity: number
  readonly queued: number
  /** active / capacity, 0..1. */
  readonly utilisation: number
}

/** An alert rule that is breaking now. */
export interface ActiveAlert {
  readonly rule: string
  readonly severity: "info" | "warning" | "critical"
  readonly message: string
  /** When it fired (epoch ms). */
  readonly since: number
}

/** Everything the dashboard shows at one instant. */
export interface TelemetrySnapshot {
  /** When it was taken (epoch ms). */
  readonly at: number
  /** Length of the window the rates and percentiles cover, in seconds. */
  readonly windowSeconds: number
  readonly uptimeSeconds: number
  /** All requests together. */
  readonly requests: Latency & {
    readonly perSecond: number
    readonly successes: number
    readonly failures: number
  }
  readonly methods: ReadonlyArray<RequestGroup>
  readonly tools: ReadonlyArray<RequestGroup>
  readonly process: {
    /** CPU time used over the window / (wall time × cores), 0..1. */
    readonly cpu: number
    /** Resident set size / total memory of the machine, 0..1. */
    readonly memory: number
    readonly rssBytes: number
    readonly heapUsedBytes: number
    /** Event-loop utilisation over the window, 0..1. */
    readonly eventLoop: number
    readonly eventLoopDelayP99Ms: number
  }
  readonly cache: {
    /** Over every tier: answered by any tier / all lookups. */
    readonly hitRate: number
    readonly missRate: number
    readonly tiers: ReadonlyArray<TierRates>
  }
  /** Tool runs (the executor): running now, their completion time and success rate. */
  readonly tasks: {
    readonly concurrent: number
    readonly avgCompletionMs: number
    readonly successRate: number
  }
  readonly pools: ReadonlyArray<PoolUse>
  readonly alerts: ReadonlyArray<ActiveAlert>
}
