import { assert, describe, it } from "@effect/vitest"
import { Context, Metric } from "effect"
import { latencyBoundaries } from "../src/RequestMetrics.ts"
import { read, type Series } from "../src/internal/Reading.ts"
import { difference, latency, quantile } from "../src/internal/Window.ts"
import type { ProcessReading } from "../src/ProcessMetrics.ts"

const idle: ProcessReading = { cpuSeconds: 0, loopActiveMs: 0, loopIdleMs: 0, rssBytes: 0, heapUsedBytes: 0, totalMemoryBytes: 1, loopDelayP99Ms: 0 }

/** A histogram of `values` (seconds) as `Telemetry` reads it from a registry of its own. */
const seriesOf = (values: ReadonlyArray<number>, boundaries = latencyBoundaries): Series => {
  const context = Context.make(Metric.MetricRegistry, new Map())
  const histogram = Metric.histogram("tenfold_request_duration_seconds", { boundaries, attributes: { method: "m" } })
  for (const v of values) histogram.updateUnsafe(v, context)
  return read(Metric.snapshotUnsafe(context), 0, idle).methods.get("m")!
}

/** The exact `q` quantile of a sample (nearest rank). */
const exact = (values: ReadonlyArray<number>, q: number) => [...values].sort((a, b) => a - b)[Math.ceil(q * values.length) - 1]!

describe("percentiles from histogram buckets", () => {
  it("interpolates inside the bucket the rank falls in, as Prometheus does", () => {
    // buckets (0,1], (1,2], (2,4], (4,+Inf): 2, 4, 4, 0 observations
    const series = seriesOf([0.5, 1, 1.5, 1.5, 2, 2, 3, 3, 4, 4], [1, 2, 4])
    assert.deepStrictEqual(series.cumulative, [2, 6, 10])
    assert.strictEqual(quantile(series, 0.1), 0.5) // rank 1 of 2 in (0,1]
    assert.strictEqual(quantile(series, 0.5), 1.75) // rank 5: 3rd of 4 in (1,2]
    assert.strictEqual(quantile(series, 0.8), 3) // rank 8: 2nd of 4 in (2,4]
    assert.strictEqual(quantile(series, 1), 4)
  })

  it("stays within a bucket's width (25 %) of the exact percentiles of a known sample", () => {
    // 1000 latencies from 0.2 ms to 2 s, skewed like real traffic (most fast, a long tail)
    const values = Array.from({ length: 1000 }, (_, i) => 0.0002 * Math.pow(10_000, (i / 999) ** 3))
    const series = seriesOf(values)
    for (const q of [0.5, 0.95, 0.99]) {
      const estimate = quantile(series, q)
      const truth = exact(values, q)
      assert.isAtMost(Math.abs(estimate - truth) / truth, 0.25, `p${q * 100}: ${estimate} vs ${truth}`)
    }
    const l = latency(series)
    assert.strictEqual(l.count, 1000)
    assert.closeTo(l.avgMs, (values.reduce((a, b) => a + b, 0) / 1000) * 1000, 1e-6)
  })

  it("gives the highest finite bound for ranks past it, and 0 for no observations", () => {
    assert.strictEqual(quantile(seriesOf([10, 20], [1, 2]), 0.99), 2)
    assert.strictEqual(quantile({ count: 0, sum: 0, boundaries: [1, 2], cumulative: [0, 0], failures: 0 }, 0.5), 0)
    assert.strictEqual(quantile(seriesOf([0.5, 99]), 0.99), latencyBoundaries.at(-2)) // the +Infinity bucket of effect's boundaries
    assert.deepStrictEqual(latency(undefined), { count: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 })
  })

  it("takes a window's percentiles from the difference of two cumulative readings", () => {
    const before = seriesOf(Array.from({ length: 100 }, () => 0.001), [0.001, 0.01, 0.1])
    const now = seriesOf([...Array.from({ length: 100 }, () => 0.001), ...Array.from({ length: 10 }, () => 0.05)], [0.001, 0.01, 0.1])
    const window = difference(now, before)
    assert.strictEqual(window.count, 10)
    assert.deepStrictEqual(window.cumulative, [0, 0, 10])
    assert.isAbove(quantile(window, 0.5), 0.01) // the old fast requests are out of the window
  })
})
