/**
 * The one service every tool run goes through — foreground calls, cache refreshes, batch members,
 * workflow steps, gateway calls — so timeouts, cancellation, admission and placement are decided
 * in one place: admission first (bounded running + bounded queue, else `ServerBusy`), then the
 * run, placed in-process or on a worker, interrupted at its timeout (`ToolTimeout`).
 * Interrupting a run (client cancel, disconnect, shutdown) reaches the tool wherever it runs.
 */
import { Context, Effect, Fiber, Layer } from "effect"
import { Admission, type AdmissionOptions } from "./Admission.ts"
import * as ExecutorMetrics from "./ExecutorMetrics.ts"
import { type Job, type ServerBusy, ToolTimeout } from "./Job.ts"
import { Placement } from "./Placement.ts"

export interface ToolExecutorOptions {
  /** Timeout of a tool that declares none (default 300000 ms; 0 = none). */
  readonly defaultTimeoutMs?: number
  /** Record run times, failures and the "tools" pool's load as metrics (default false). */
  readonly metrics?: boolean
}

const DEFAULT_TIMEOUT_MS = 300_000

/** Runs tools: admission, placement, timeout and cancellation for every run. */
export class ToolExecutor extends Context.Service<ToolExecutor, {
  /** Runs `effect` (the job's in-process run with `args`) under admission, placement and timeout. */
  readonly run: <A, E, R>(job: Job, args: unknown, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | ServerBusy | ToolTimeout, R>
  /** How long a run of `job` may take (its own timeout, else the executor's default); 0 = no limit. Work a run hands back for later (a streamed result) gets the same limit. */
  readonly timeoutMs: (job: Job) => number
}>()("@tenfold/executor/ToolExecutor") {
  /** The executor over whichever `Admission` and `Placement` are provided. */
  static layer = (options: ToolExecutorOptions = {}) => Layer.effect(ToolExecutor, make(options))
  /** The executor with the counting admission and in-process placement. */
  static layerDefault = (options: ToolExecutorOptions & AdmissionOptions = {}) =>
    ToolExecutor.layer(options).pipe(Layer.provide(Layer.merge(Admission.layer(options), Placement.layerInProcess)))
}

/** The run's fiber starts on the caller's stack (one options object for all runs). */
const startNow = { startImmediately: true } as const

export const make = (options: ToolExecutorOptions = {}) =>
  Effect.gen(function*() {
    const admission = yield* Admission
    const placement = yield* Placement
    const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS
    const record = options.metrics === true ? yield* ExecutorMetrics.recorder(admission) : undefined
    const timeoutOf = (job: Job): number => {
      const timeoutMs = job.timeoutMs ?? defaultTimeoutMs
      return timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : 0
    }
    /**
     * The run, failed with `ToolTimeout` past its timeout. The run starts at once in a child fiber;
     * only a run that did not finish synchronously gets a timer (most tools answer at once, and a
     * race of two fibers per call cost 1 µs of a call's 2.5 in the dispatcher). With metrics on,
     * the run's fiber reports its time and outcome when it ends (no Effect added around it).
     */
    const limited = <A, E, R>(job: Job, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | ToolTimeout, R> => {
      const timeoutMs = timeoutOf(job)
      if (timeoutMs === 0) return record === undefined ? effect : ExecutorMetrics.timed(effect, record)
      const run = (start: number) =>
        Effect.flatMap(Effect.forkChild(effect, startNow), (fiber) => {
          const done = fiber.pollUnsafe()
          if (done !== undefined) {
            record?.(start, done)
            return done
          }
          if (record !== undefined) fiber.addObserver((exit) => record(start, exit))
          return Effect.timeoutOrElse(Fiber.join(fiber), {
            duration: timeoutMs,
            orElse: () => Effect.andThen(Fiber.interrupt(fiber), Effect.fail(new ToolTimeout({ job: job.name, timeoutMs })))
          })
        })
      return record === undefined ? run(0) : Effect.suspend(() => run(performance.now()))
    }
    return ToolExecutor.of({
      run: (job, args, effect) => admission.admit(job, limited(job, placement.place(job, args, effect)), args),
      timeoutMs: timeoutOf
    })
  })
