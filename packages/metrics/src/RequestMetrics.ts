/**
 * The request metrics of the hot path: latency (a histogram in seconds) and failures, per
 * JSON-RPC method and per tool. The dispatcher asks for one `Recorder` per method and tool once
 * and records through it with no allocation and no registry lookup: each recorder owns its
 * histogram's state, registered in the registry of the context the layer was built in (see
 * `OwnedHistogram` of `@tenfold/executor`). Without this service (telemetry off) the dispatcher records nothing.
 */
import { Context, Effect, Layer, Metric } from "effect"
import { OwnedHistogram } from "@tenfold/executor"

/** Latency buckets in seconds: 50 µs × 1.25ⁿ up to about a minute, fine enough for p50/p95/p99 within a bucket's 25 %. */
export const latencyBoundaries = Metric.exponentialBoundaries({ start: 0.00005, factor: 1.25, count: 64 })

/** Names of the request metrics (Prometheus conventions: `_seconds` histograms, `_total` counters). */
export const names = {
  requestDuration: "tenfold_request_duration_seconds",
  requestFailures: "tenfold_request_failures_total",
  toolDuration: "tenfold_tool_duration_seconds",
  toolFailures: "tenfold_tool_failures_total"
} as const

/** Records one finished request of one method or tool. */
export interface Recorder {
  /** One request that took `seconds`; `failed` when it answered an error (or an `isError` result). */
  readonly record: (seconds: number, failed: boolean) => void
}

/** Most tools that get series of their own; calls of later ones are recorded under `other`. */
export const MAX_TOOL_SERIES = 1000

const durationOf = (id: string, attributes: Metric.Metric.Attributes, description: string) =>
  Metric.histogram(id, { description, boundaries: latencyBoundaries, attributes })

const failuresOf = (id: string, attributes: Metric.Metric.Attributes, description: string) =>
  Metric.counter(id, { description, attributes, incremental: true })

/** Recorders of request latency and failures, by method and by tool. */
export class RequestMetrics extends Context.Service<RequestMetrics, {
  /** The recorder of one JSON-RPC method; the caller bounds the names (a known set plus "other"). */
  readonly method: (name: string) => Recorder
  /** The recorder of one registered tool (at most {@link MAX_TOOL_SERIES} names, then "other"). */
  readonly tool: (name: string) => Recorder
}>()("@tenfold/metrics/RequestMetrics") {
  /** Recorders writing to the metric registry of the context the layer is built in; their series leave it with the layer. */
  static layer = Layer.effect(
    RequestMetrics,
    Effect.gen(function*() {
      const made = make(yield* Effect.context<never>())
      yield* Effect.addFinalizer(() => Effect.sync(made.remove))
      return made.metrics
    })
  )
}

/** The recorders over the registry of `context`, each made once per name and kept; `remove` unregisters their series. */
export const make = (context: Context.Context<never>) => {
  const registered: Array<() => void> = []
  const recorder = (duration: Metric.Histogram<number>, failures: Metric.Metric<number, unknown>): Recorder => {
    const { observe, remove } = OwnedHistogram.register(duration, latencyBoundaries, context)
    registered.push(remove)
    return {
      record: (seconds, failed) => {
        observe(seconds)
        if (failed) failures.updateUnsafe(1, context)
      }
    }
  }
  const methodRecorder = (name: string) => {
    const attributes = { method: name }
    return recorder(
      durationOf(names.requestDuration, attributes, "Time to answer one JSON-RPC request, by method"),
      failuresOf(names.requestFailures, attributes, "Requests answered with a JSON-RPC error or an isError result, by method")
    )
  }
  const toolRecorder = (name: string) => {
    const attributes = { tool: name }
    return recorder(
      durationOf(names.toolDuration, attributes, "Time to answer one tools/call (cache hits included), by tool"),
      failuresOf(names.toolFailures, attributes, "tools/call answered with an error or an isError result, by tool")
    )
  }
  const methods = new Map<string, Recorder>()
  const tools = new Map<string, Recorder>()
  const otherTool = toolRecorder("other")
  const method = (name: string): Recorder => {
    let r = methods.get(name)
    if (r === undefined) methods.set(name, r = methodRecorder(name))
    return r
  }
  const tool = (name: string): Recorder => {
    let r = tools.get(name)
    if (r === undefined) {
      if (tools.size >= MAX_TOOL_SERIES) return otherTool
      tools.set(name, r = toolRecorder(name))
    }
    return r
  }
  return { metrics: RequestMetrics.of({ method, tool }), remove: () => registered.forEach((remove) => remove()) }
}
