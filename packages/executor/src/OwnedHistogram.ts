/**
 * A histogram series whose state lives with its recorder, registered in the metric registry with
 * `Metric.registerUnsafe` so exporters read it like any series, while an observation costs a
 * binary search and a few additions instead of `Metric.update`'s registry lookup on every call
 * (the executor's run times here; `@tenfold/metrics`' request and tool histograms use it too).
 */
import { type Context, Metric } from "effect"

/** Records observations into one registered series. */
export type Observe = (value: number) => void

/** Registers the series of `metric` in the registry of `context`; `observe` records a value, `remove` unregisters it. */
export const register = (metric: Metric.Histogram<number>, boundaries: ReadonlyArray<number>, context: Context.Context<never>) => {
  const bounds = Float64Array.from([...boundaries].sort((a, b) => a - b))
  const counts = new Float64Array(bounds.length + 1)
  let count = 0
  let sum = 0
  let min = Number.MAX_VALUE
  let max = -Number.MAX_VALUE
  const observe: Observe = (value) => {
    // the first bound at or above the value (past every bound: the extra last slot)
    let low = 0
    let high = bounds.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (value <= bounds[mid]!) high = mid
      else low = mid + 1
    }
    counts[low]!++
    count++
    sum += value
    if (value < min) min = value
    if (value > max) max = value
  }
  const get = (): Metric.HistogramState => {
    const buckets: Array<[number, number]> = []
    let cumulative = 0
    for (let i = 0; i < bounds.length; i++) buckets.push([bounds[i]!, cumulative += counts[i]!])
    return { buckets, count, sum, min, max }
  }
  const registration = Metric.registerUnsafe(metric, context, { get, update: () => {}, modify: () => {} })
  return { observe, remove: registration.remove }
}
