/**
 * Where a run executes: the hook where CPU-bound tools are sent to worker threads. The default
 * runs everything in-process, on the caller's fiber; a worker pool replaces it and sends jobs
 * that name their implementation by module URL (`Job.module`) to a worker with their arguments.
 */
import { Context, type Effect, Layer } from "effect"
import type { Job } from "./Job.ts"

/** Chooses the thread a run executes on. */
export class Placement extends Context.Service<Placement, {
  /**
   * Runs the job: `inProcess` is the run on this thread (the tool's handler with its context);
   * a worker placement may instead import `job.module` in a worker and call it with `args`.
   * Interrupting the returned Effect must stop the run wherever it executes.
   */
  readonly place: <A, E, R>(job: Job, args: unknown, inProcess: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>()("@tenfold/executor/Placement") {
  /** Every run on the event loop's thread, as given. */
  static layerInProcess = Layer.succeed(Placement, Placement.of({ place: (_job, _args, inProcess) => inProcess }))
}
