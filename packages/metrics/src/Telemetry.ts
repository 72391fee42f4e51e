/**
 * `Telemetry`: the seed's `PerformanceMetrics`, computed from the Effect `Metric`s every part of
 * Tenfold records (requests, tools, executor runs, cache tiers, pools, process). A `Schedule`
 * loop reads the metric registry once per sample interval (default 1 s) and keeps the readings
 * of the last window (default 10 s); a snapshot is the difference between the newest reading and
 * the oldest one kept, so rates and percentiles cover the last `windowSeconds`.
 */
import { Clock, Context, Effect, Layer, Metric, Option, Schedule } from "effect"
import { Alerts } from "./Alerts.ts"
import * as ProcessMetrics from "./ProcessMetrics.ts"
import { read, type Reading } from "./internal/Reading.ts"
import { between } from "./internal/Window.ts"
import type { TelemetrySnapshot } from "./Snapshot.ts"

export interface TelemetryOptions {
  /** How far back rates and percentiles look, in seconds (default 10). */
  readonly windowSeconds?: number
  /** How often the registry and the process are sampled, in milliseconds (default 1000). */
  readonly sampleIntervalMs?: number
  /** How often the alert rules are evaluated against a snapshot, in milliseconds (default 5000). */
  readonly alertIntervalMs?: number
}

/** The live performance figures of this instance, as one snapshot. */
export class Telemetry extends Context.Service<Telemetry, {
  /**
   * The figures of the last window, as of the newest sample (at most one sample interval old),
   * with the alerts active now. The dashboard, `tenfold_stats` and the alert rules read this.
   */
  readonly snapshot: Effect.Effect<TelemetrySnapshot>
  /** The window the snapshot covers, in seconds. */
  readonly windowSeconds: number
  /** The sample interval, in milliseconds: a snapshot changes at most this often. */
  readonly sampleIntervalMs: number
}>()("@tenfold/metrics/Telemetry") {
  /**
   * Samples the process and the metric registry on a `Schedule` while the layer lives, and
   * evaluates the `Alerts` rules when an `Alerts` service is provided.
   */
  static layer = (options: TelemetryOptions = {}) => Layer.effect(Telemetry, make(options))
}

export const make = (options: TelemetryOptions = {}) =>
  Effect.gen(function*() {
    const windowSeconds = options.windowSeconds ?? 10
    const sampleIntervalMs = options.sampleIntervalMs ?? 1000
    const alertIntervalMs = options.alertIntervalMs ?? 5000
    const alerts = Option.getOrUndefined(yield* Effect.serviceOption(Alerts))
    const context = yield* Effect.context<never>()
    const process = yield* ProcessMetrics.make
    const startedAt = yield* Clock.currentTimeMillis
    const kept = Math.max(1, Math.round((windowSeconds * 1000) / sampleIntervalMs)) + 1
    const readings: Array<Reading> = []

    const sample = Effect.map(Clock.currentTimeMillis, (at) => {
      const sampled = process.sample()
      readings.push(read(Metric.snapshotUnsafe(context), at, sampled))
      if (readings.length > kept) readings.shift()
    })
    yield* sample

    /** The snapshot without alerts, from the readings kept. */
    const measure = Effect.sync(() => between(readings[0]!, readings[readings.length - 1]!, startedAt, process.cores))
    const snapshot = alerts === undefined
      ? measure
      : Effect.map(measure, (s): TelemetrySnapshot => ({ ...s, alerts: alerts.active() }))

    // a sample that fails (a bug) is logged and the next one taken: the loop never dies with a snapshot frozen
    const tick = sample.pipe(Effect.catchCause((cause) => Effect.logWarning("telemetry: sampling failed", cause)))
    yield* Effect.forkScoped(Effect.repeat(tick, Schedule.spaced(sampleIntervalMs)))
    if (alerts !== undefined) yield* Effect.forkScoped(alerts.monitor(measure, alertIntervalMs))
    return Telemetry.of({ snapshot, windowSeconds, sampleIntervalMs })
  })
