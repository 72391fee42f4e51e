/**
 * Admission control: how many tool runs may run at once and how many may wait. Past both bounds
 * a run is refused at once with `ServerBusy`, never queued without limit. A service of its own so
 * a resource manager (predicted CPU/memory permits) can replace the default counting one.
 */
import { Context, Effect, Layer, Semaphore } from "effect"
import { type Job, ServerBusy } from "./Job.ts"

/** Decides whether, and when, a run may start. */
export class Admission extends Context.Service<Admission, {
  /** Runs `effect` once admitted (possibly after queueing); fails with `ServerBusy` when full. */
  readonly admit: <A, E, R>(job: Job, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | ServerBusy, R>
  /** Runs admitted and running now, and runs waiting in the queue. */
  readonly load: () => { readonly running: number; readonly queued: number }
}>()("@tenfold/executor/Admission") {
  /** At most `maxRunning` runs at once and `maxQueued` waiting; the rest get `ServerBusy`. */
  static layer = (options: AdmissionOptions = {}) => Layer.sync(Admission, () => make(options))
  /** Admits everything at once (for tests and embedding apps that bound load elsewhere). */
  static layerUnbounded = Layer.succeed(Admission, Admission.of({ admit: (_, effect) => effect, load: () => ({ running: 0, queued: 0 }) }))
}

export interface AdmissionOptions {
  /** Runs at once (default 256). */
  readonly maxRunning?: number
  /** Runs waiting for a slot (default 1024). */
  readonly maxQueued?: number
  /** The `retryAfterMs` hint of a `ServerBusy` (default 1000). */
  readonly retryAfterMs?: number
}

/** The counting admission: a semaphore of `maxRunning` permits and a bounded count of waiters. */
export const make = (options: AdmissionOptions = {}) => {
  const maxRunning = options.maxRunning ?? 256
  const limit = maxRunning + (options.maxQueued ?? 1024)
  const retryAfterMs = options.retryAfterMs ?? 1000
  const permits = Semaphore.makeUnsafe(maxRunning)
  let pending = 0
  let running = 0
  const release = Effect.sync(() => void pending--)
  return Admission.of({
    admit: <A, E, R>(job: Job, effect: Effect.Effect<A, E, R>) =>
      Effect.suspend((): Effect.Effect<A, E | ServerBusy, R> => {
        if (pending >= limit) return Effect.fail(new ServerBusy({ job: job.name, retryAfterMs }))
        pending++
        const counted = Effect.suspend(() => {
          running++
          return Effect.ensuring(effect, Effect.sync(() => void running--))
        })
        return Effect.ensuring(permits.withPermits(1)(counted), release)
      }),
    load: () => ({ running, queued: pending - running })
  })
}
