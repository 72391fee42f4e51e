/**
 * The connection pools' Effect metrics, one series per pool (attribute `pool`, `http:<origin>`):
 * the generic pool gauges the dashboard reads (`tenfold_pool_active`, `tenfold_pool_capacity`,
 * `tenfold_pool_queued`), idle and open sockets, request errors by kind and request latency.
 * Gauges are read from the pools when metrics are exported (nothing on the request path), and
 * every series of an origin goes away with its pool, so client-chosen origins cannot grow the
 * registry past `maxOrigins` pools.
 */
import { type Context, Metric } from "effect"
import type { PoolStats } from "./PoolStats.ts"

/** Requests in flight (holding a permit) per pool. */
export const active = Metric.gauge("tenfold_pool_active", { description: "Requests or tasks holding a slot of a pool" })
/** Permits per pool: what the optimise loop resizes. */
export const capacity = Metric.gauge("tenfold_pool_capacity", { description: "Slots of a pool" })
/** Requests waiting for a permit per pool. */
export const queued = Metric.gauge("tenfold_pool_queued", { description: "Requests or tasks waiting for a slot of a pool" })
/** Open sockets with no request, per pool. */
export const idle = Metric.gauge("tenfold_connections_idle", { description: "Open outbound connections with no request in flight" })
/** Open sockets per pool. */
export const connected = Metric.gauge("tenfold_connections_open", { description: "Open outbound connections" })
/** Failed requests per pool and error kind (attribute `error`: the error's tag). */
export const errors = Metric.counter("tenfold_connections_errors_total", { description: "Outbound requests that failed, by error kind" })
/** Time from sending a request to its response headers, per pool, in milliseconds. */
export const latency = Metric.histogram("tenfold_connections_request_ms", {
  description: "Time from sending an outbound request to its response headers, in milliseconds",
  boundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]
})

const gauges = [
  [active, (s: PoolStats) => s.active],
  [capacity, (s: PoolStats) => s.capacity],
  [queued, (s: PoolStats) => s.queued],
  [idle, (s: PoolStats) => s.idle],
  [connected, (s: PoolStats) => s.connected]
] as const

/** The series of one `pool` label: gauges read on export, and the pool's latency and error series. */
export interface PoolSeries {
  readonly latency: Metric.Metric<number, unknown>
  readonly error: (tag: string) => Metric.Metric<number, unknown>
  /** Drops every series of the label. */
  readonly remove: () => void
}

/**
 * Registers the series of label `pool`, whose gauges sum `members()` when read (two pools share
 * a label when requests to one origin run with and without an address filter).
 */
export const register = (
  pool: string,
  members: () => Iterable<PoolStats>,
  context: Context.Context<never>
): PoolSeries => {
  const attributes = { pool }
  const registrations = gauges.map(([gauge, read]) =>
    Metric.registerUnsafe(Metric.withAttributes(gauge, attributes), context, {
      get: () => {
        let value = 0
        for (const stats of members()) value += read(stats)
        return { value }
      },
      update: () => {},
      modify: () => {}
    })
  )
  const poolLatency = Metric.withAttributes(latency, attributes)
  const errorSeries = new Map<string, Metric.Metric<number, unknown>>()
  return {
    latency: poolLatency,
    error: (tag) => {
      let series = errorSeries.get(tag)
      if (series === undefined) errorSeries.set(tag, series = Metric.withAttributes(errors, { pool, error: tag }))
      return series
    },
    remove: () => {
      for (const registration of registrations) registration.remove()
      Metric.removeUnsafe(poolLatency, context)
      for (const series of errorSeries.values()) Metric.removeUnsafe(series, context)
    }
  }
}
