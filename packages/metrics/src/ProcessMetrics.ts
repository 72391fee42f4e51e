/**
 * Process metrics, sampled (not pushed): CPU time, memory, heap, event-loop utilisation and
 * event-loop delay, as Effect gauges and counters under the Prometheus client's usual names.
 * `Telemetry` samples them on its `Schedule`; each sample covers the time since the previous one.
 */
import { Context, Effect, Metric } from "effect"
import { availableParallelism, totalmem } from "node:os"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"

/** Names of the process metrics. */
export const names = {
  cpuSeconds: "process_cpu_seconds_total",
  cpuUtilisation: "tenfold_process_cpu_utilization_ratio",
  residentMemory: "process_resident_memory_bytes",
  memoryUtilisation: "tenfold_process_memory_utilization_ratio",
  heapUsed: "nodejs_heap_size_used_bytes",
  eventLoopUtilisation: "nodejs_eventloop_utilization_ratio",
  eventLoopDelayP99: "nodejs_eventloop_delay_p99_seconds"
} as const

const cpuSeconds = Metric.counter(names.cpuSeconds, { description: "User and system CPU time of the process in seconds", incremental: true })
const cpuUtilisation = Metric.gauge(names.cpuUtilisation, { description: "CPU time over the last sample interval / (interval × cores), 0..1" })
const residentMemory = Metric.gauge(names.residentMemory, { description: "Resident set size in bytes" })
const memoryUtilisation = Metric.gauge(names.memoryUtilisation, { description: "Resident set size / total memory of the machine, 0..1" })
const heapUsed = Metric.gauge(names.heapUsed, { description: "V8 heap in use in bytes" })
const eventLoopUtilisation = Metric.gauge(names.eventLoopUtilisation, { description: "Event-loop utilisation over the last sample interval, 0..1" })
const eventLoopDelayP99 = Metric.gauge(names.eventLoopDelayP99, { description: "99th percentile of the event-loop delay over the last sample interval, in seconds" })

/** The process as of one sample; the cumulative fields let a window compute its own ratios. */
export interface ProcessReading {
  /** User + system CPU time since the process started, in seconds. */
  readonly cpuSeconds: number
  /** Event-loop time spent active and idle since the process started, in milliseconds. */
  readonly loopActiveMs: number
  readonly loopIdleMs: number
  readonly rssBytes: number
  readonly heapUsedBytes: number
  readonly totalMemoryBytes: number
  /** p99 of the event-loop delay since the previous sample, in milliseconds. */
  readonly loopDelayP99Ms: number
}

/** Samples the process into its metrics; `sample` returns what it read. */
export interface ProcessSampler {
  readonly sample: () => ProcessReading
  /** Cores the CPU ratio divides by. */
  readonly cores: number
}

/** A sampler writing to the registry of `context`; the event-loop delay monitor runs while the scope is open. */
export const make = Effect.gen(function*() {
  const context = yield* Effect.context<never>()
  const delay = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const histogram = monitorEventLoopDelay({ resolution: 10 })
      histogram.enable()
      return histogram
    }),
    (histogram) => Effect.sync(() => histogram.disable())
  )
  const cores = availableParallelism()
  const totalMemoryBytes = totalmem()
  let previous: ProcessReading | undefined
  let previousAt = performance.now()
  const sample = (): ProcessReading => {
    const cpu = process.cpuUsage()
    const loop = performance.eventLoopUtilization()
    const memory = process.memoryUsage()
    const reading: ProcessReading = {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      loopActiveMs: loop.active,
      loopIdleMs: loop.idle,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      totalMemoryBytes,
      loopDelayP99Ms: delay.count > 0 ? delay.percentile(99) / 1e6 : 0
    }
    delay.reset()
    const now = performance.now()
    update(reading, previous, (now - previousAt) / 1000, cores, context)
    previous = reading
    previousAt = now
    return reading
  }
  return { sample, cores } satisfies ProcessSampler
})

/** The gauges as of `now`; the ratios over the interval since `before` (none at the first sample). */
const update = (now: ProcessReading, before: ProcessReading | undefined, seconds: number, cores: number, context: Context.Context<never>) => {
  const cpu = now.cpuSeconds - (before?.cpuSeconds ?? 0)
  cpuSeconds.updateUnsafe(cpu, context)
  residentMemory.updateUnsafe(now.rssBytes, context)
  memoryUtilisation.updateUnsafe(now.rssBytes / now.totalMemoryBytes, context)
  heapUsed.updateUnsafe(now.heapUsedBytes, context)
  eventLoopDelayP99.updateUnsafe(now.loopDelayP99Ms / 1000, context)
  if (before === undefined) return
  cpuUtilisation.updateUnsafe(cpuRatio(cpu, seconds, cores), context)
  eventLoopUtilisation.updateUnsafe(utilisation(now, before), context)
}

/** CPU time `cpuSeconds` used over `seconds` of wall time on `cores` cores, 0..1 (0 for no time). */
export const cpuRatio = (cpuSeconds: number, seconds: number, cores: number): number =>
  seconds > 0 ? Math.min(1, cpuSeconds / (seconds * cores)) : 0

/** Event-loop utilisation between two readings, 0..1. */
export const utilisation = (now: ProcessReading, before: ProcessReading): number => {
  const active = now.loopActiveMs - before.loopActiveMs
  const total = active + now.loopIdleMs - before.loopIdleMs
  return total > 0 ? active / total : 0
}
