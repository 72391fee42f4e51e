import { assert, describe, it } from "@effect/vitest"
import { Context, Metric } from "effect"
import { OwnedHistogram } from "@tenfold/executor"
import { latencyBoundaries } from "../src/RequestMetrics.ts"

describe("OwnedHistogram", () => {
  it("holds exactly the state effect's own histogram holds for the same observations, and reads as a registry series", () => {
    const owned = Context.make(Metric.MetricRegistry, new Map())
    const plain = Context.make(Metric.MetricRegistry, new Map())
    const metric = Metric.histogram("h_seconds", { boundaries: latencyBoundaries, attributes: { method: "m" } })
    const { observe, remove } = OwnedHistogram.register(metric, latencyBoundaries, owned)
    // every bound exactly, values between bounds, below the first and past the last finite one
    const values = [...latencyBoundaries.filter(Number.isFinite), 0, 0.00001, 0.0031, 0.2, 1.7, 99, 1e6]
    for (const v of values) {
      observe(v)
      metric.updateUnsafe(v, plain)
    }
    const [ownedSeries] = Metric.snapshotUnsafe(owned)
    const [plainSeries] = Metric.snapshotUnsafe(plain)
    assert.deepStrictEqual(ownedSeries, plainSeries)
    assert.strictEqual(ownedSeries?.type, "Histogram")
    remove()
    assert.deepStrictEqual(Metric.snapshotUnsafe(owned), [])
  })
})
