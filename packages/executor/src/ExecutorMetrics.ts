/**
 * The executor's Effect metrics: how many tool runs finish and fail (the seed's success rate),
 * how long they take (task completion time, timed on one run in {@link TIMED_ONE_IN}: a clock read
 * costs as much as the rest of the recording), and the "tools" pool under the shared pool gauge
 * names (`tenfold_pool_active|capacity|queued{pool}`), read from admission when metrics are read.
 */
import { Effect, Exit, Metric } from "effect"
import type { Admission } from "./Admission.ts"

/** Run-time buckets in seconds: 50 µs × 1.25ⁿ up to about a minute (the request histograms' buckets). */
const boundaries = Metric.exponentialBoundaries({ start: 0.00005, factor: 1.25, count: 64 })

/** One run in this many is timed; every run is counted. */
export const TIMED_ONE_IN = 4

export const taskDuration = Metric.histogram("tenfold_task_duration_seconds", {
  description: `Time of a tool run in the executor, from its start to its end (queueing and cache hits excluded); one run in ${TIMED_ONE_IN} is timed`,
  boundaries
})
export const tasks = Metric.counter("tenfold_tasks_total", { description: "Tool runs the executor finished, every one", incremental: true })
export const taskFailures = Metric.counter("tenfold_task_failures_total", {
  description: "Tool runs that failed or timed out (runs refused by admission never ran)",
  incremental: true
})

const poolGauge = (name: string, description: string) => Metric.gauge(name, { description, attributes: { pool: "tools" } })

/** Where a run's recording is told whether to read the clock, and records the run when it ends. */
export interface Recorder {
  /** Whether to time the run about to start: true for one in {@link TIMED_ONE_IN}. */
  readonly timed: () => boolean
  /** Records one finished run that started at `start` (`performance.now()`, or {@link UNTIMED}). */
  readonly record: (start: number, exit: Exit.Exit<unknown, unknown>) => void
}

/** The start of a run that is counted but not timed. */
export const UNTIMED = -1

/**
 * A recorder of run times and failures into the registry of the current context, and the
 * admission's load reported as the "tools" pool, read on each snapshot (nothing on the hot path)
 * until the scope closes.
 */
export const recorder = (admission: Admission["Service"]) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const read = [
      [poolGauge("tenfold_pool_active", "Runs of a pool in progress"), () => admission.load().running],
      [poolGauge("tenfold_pool_capacity", "Runs a pool admits at once"), () => admission.load().capacity],
      [poolGauge("tenfold_pool_queued", "Runs waiting for a pool's slot"), () => admission.load().queued]
    ] as const
    for (const [gauge, value] of read) {
      const registration = Metric.registerUnsafe(gauge, context, { get: () => ({ value: value() }), update: () => {}, modify: () => {} })
      yield* Effect.addFinalizer(() => Effect.sync(registration.remove))
    }
    let runs = 0
    return {
      timed: () => (++runs & (TIMED_ONE_IN - 1)) === 0,
      record: (start, exit) => {
        tasks.updateUnsafe(1, context)
        if (start !== UNTIMED) taskDuration.updateUnsafe((performance.now() - start) / 1000, context)
        if (Exit.isFailure(exit)) taskFailures.updateUnsafe(1, context)
      }
    } satisfies Recorder
  })

/** `effect` with its run time and outcome recorded (for runs without a timeout, which get no fiber of their own). */
export const timed = <A, E, R>(effect: Effect.Effect<A, E, R>, recorder: Recorder): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const start = recorder.timed() ? performance.now() : UNTIMED
    return Effect.onExit(effect, (exit) => Effect.sync(() => recorder.record(start, exit)))
  })
