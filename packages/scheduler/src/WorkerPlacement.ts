/**
 * The executor's `Placement` on the worker pool: a job declared `cpuBound` that names its
 * implementation by module (`Job.module`) runs on a worker thread with its arguments, so it
 * never blocks the event loop; every other job runs in-process as given. The executor's
 * timeout interrupts the placed run, which terminates the worker running it.
 */
import { type Job, Placement } from "@tenfold/executor"
import { Effect, Layer } from "effect"
import { WorkerPool, type WorkerPoolOptions } from "./WorkerPool.ts"

/** Whether a job goes to a worker thread. */
export const placesOnWorker = (job: Job.Job): job is Job.Job & { readonly module: Job.ModuleRef } =>
  job.cpuBound === true && job.module !== undefined

/** Placement over the provided `WorkerPool`. */
export const layer: Layer.Layer<Placement, never, WorkerPool> = Layer.effect(
  Placement,
  Effect.map(WorkerPool, (pool) =>
    Placement.of({
      place: <A, E, R>(job: Job.Job, args: unknown, inProcess: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        placesOnWorker(job)
          // the worker answers with the export's value; its failures are Errors carrying the tool's
          // message (answered as a tool's own are) or the executor's ServerBusy, not the caller's E
          ? (pool.run({ module: job.module, args, name: job.name }) as unknown as Effect.Effect<A, E, R>)
          : inProcess
    })
  )
)

/** Placement with a pool of its own (see `WorkerPool.layer`). */
export const layerPool = (options: WorkerPoolOptions = {}): Layer.Layer<Placement | WorkerPool> =>
  Layer.provideMerge(layer, WorkerPool.layer(options))
