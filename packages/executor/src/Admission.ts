/**
 * Admission control: how many tool runs may run at once and how many may wait. Past both bounds
 * a run is refused at once with `ServerBusy`, never queued without limit. A service of its own so
 * a resource manager (predicted CPU/memory permits) can replace the default counting one.
 */
import { Context, Effect, Layer } from "effect"
import { type Job, ServerBusy } from "./Job.ts"
import { WeightedPool } from "./WeightedPool.ts"

/** Decides whether, and when, a run may start. */
export class Admission extends Context.Service<Admission, {
  /**
   * Runs `effect` once admitted (possibly after queueing); fails with `ServerBusy` when full.
   * `args` are the run's (untrusted) arguments, for an admission that predicts a run's needs from them.
   */
  readonly admit: <A, E, R>(job: Job, effect: Effect.Effect<A, E, R>, args?: unknown) => Effect.Effect<A, E | ServerBusy, R>
  /** Runs admitted and running now, runs waiting in the queue, and how many may run at once. */
  readonly load: () => { readonly running: number; readonly queued: number; readonly capacity: number }
}>()("@tenfold/executor/Admission") {
  /** At most `maxRunning` runs at once and `maxQueued` waiting; the rest get `ServerBusy`. */
  static layer = (options: AdmissionOptions = {}) => Layer.sync(Admission, () => make(options))
  /** Admits everything at once (for tests and embedding apps that bound load elsewhere). */
  static layerUnbounded = Layer.succeed(Admission, Admission.of({ admit: (_, effect) => effect, load: () => ({ running: 0, queued: 0, capacity: Infinity }) }))
}

export interface AdmissionOptions {
  /** Runs at once (default 256). */
  readonly maxRunning?: number
  /** Runs waiting for a slot (default 1024). */
  readonly maxQueued?: number
  /** The `retryAfterMs` hint of a `ServerBusy` (default 1000). */
  readonly retryAfterMs?: number
}

/**
 * The counting admission: a `WeightedPool` of `maxRunning` slots, one per run. A run starts at once
 * while a slot is free (the hot path: a counter update, no semaphore), else waits in its FIFO of at
 * most `maxQueued` (a nested run does not wait: `NestedRun`); a finishing run hands its slot to the
 * oldest waiter. (Effect's `Semaphore` measured 1.8 µs per run here, this 0.3 µs.)
 */
export const make = (options: AdmissionOptions = {}) => {
  const retryAfterMs = options.retryAfterMs ?? 1000
  const slots = new WeightedPool({ name: "tools", capacity: Math.max(1, options.maxRunning ?? 256), maxQueued: options.maxQueued ?? 1024 })
  const released = Effect.sync(() => slots.release(1))
  const busy = (job: Job) => new ServerBusy({ job: job.name, retryAfterMs })

  return Admission.of({
    // uninterruptible from taking the slot until `ensuring` holds its release: the scheduler may
    // yield between the two, and an interruption there would keep the slot for good
    admit: <A, E, R>(job: Job, effect: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore): Effect.Effect<A, E | ServerBusy, R> => {
        if (slots.tryTake(1)) return Effect.ensuring(restore(effect), released)
        // queue full, or a nested run (which never waits): ServerBusy; a slot handed over and then
        // interrupted before `ensuring` is given back by the pool's wait
        return Effect.flatMap(Effect.mapError(restore(slots.take(1)), () => busy(job)), () => Effect.ensuring(restore(effect), released))
      }),
    load: () => {
      const load = slots.load()
      return { running: load.active, queued: load.queued, capacity: load.capacity }
    }
  })
}
