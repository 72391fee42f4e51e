/**
 * CPU-bound work off the event loop: a pool of worker threads, each fronted by an actor (a fiber
 * owning the thread, its figures and a bounded mailbox). Each task goes to the worker the
 * `LoadBalancer` scores best; when every mailbox is full the task is refused at once with
 * `ServerBusy` instead of queueing without bound. A task names its implementation by module URL
 * and export, so the worker imports it by itself; arguments and results are structured-cloned.
 * Its load is reported as the "workers" pool under the shared pool gauges the dashboard reads.
 */
import { ExecutorMetrics, ServerBusy } from "@tenfold/executor"
import type { Job } from "@tenfold/executor"
import { Context, Effect, Layer } from "effect"
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import * as WorkerActor from "./internal/WorkerActor.ts"
import { workerSource } from "./internal/workerProgram.ts"
import * as LoadBalancer from "./LoadBalancer.ts"
import type { WorkerError } from "./WorkerError.ts"

/** One task for a worker: the module export to call and its (structured-clone-able) arguments. */
export interface WorkerTask {
  readonly module: Job.ModuleRef
  readonly args: unknown
  /** Named in errors (a tool's name); the module URL when absent. */
  readonly name?: string
}

/** A worker's figures, as the balancer sees them. */
export interface WorkerStats {
  readonly id: number
  readonly busy: boolean
  readonly queued: number
  /** Durations of its last tasks (ms, most recent last). */
  readonly recentMs: ReadonlyArray<number>
  readonly completed: number
  /** Threads lost while running a task (each was replaced). */
  readonly crashes: number
  /** Modules it has loaded (affinity keys). */
  readonly warm: ReadonlyArray<string>
}

export interface WorkerPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly size?: number
  /** Tasks one worker's mailbox holds (default 64); past every mailbox's bound a task gets `ServerBusy`. */
  readonly mailbox?: number
  /** The `retryAfterMs` hint of that `ServerBusy` (default 1000). */
  readonly retryAfterMs?: number
  /**
   * Keep the threads at the process's priority (default false: each lowers its own, so a
   * contended core goes to the event loop first and CPU tools cannot delay other calls).
   */
  readonly normalPriority?: boolean
}

/** Runs module exports on worker threads. */
export class WorkerPool extends Context.Service<WorkerPool, {
  /**
   * Runs the task on the best-scored worker. Fails with `WorkerTaskFailed` when the task fails,
   * `WorkerCrashed` when its thread dies, `ServerBusy` when every mailbox is full. Interrupting it
   * removes a waiting task, or terminates (and replaces) the thread running it.
   */
  readonly run: (task: WorkerTask) => Effect.Effect<unknown, WorkerError | ServerBusy>
  /** Each worker's figures now. */
  readonly stats: () => ReadonlyArray<WorkerStats>
  readonly size: number
}>()("@tenfold/scheduler/WorkerPool") {
  /** A pool of `size` actors; each starts its thread on its first task, and every thread is terminated when the layer is released. */
  static layer = (options: WorkerPoolOptions = {}) => Layer.effect(WorkerPool, make(options))
}

/** Starts a worker thread running the pool's worker program. */
const spawner = (normalPriority: boolean) => () => new Worker(workerSource, { eval: true, workerData: { normalPriority } })

const keyOf = (url: string, name: string) => `${url}#${name}`

/**
 * The pool's load as the "workers" pool under the shared pool gauges: threads running a task,
 * threads, tasks waiting in mailboxes.
 */
const reportLoad = (actors: ReadonlyArray<WorkerActor.WorkerActor>) =>
  ExecutorMetrics.reportPool("workers", {
    active: () => actors.filter((a) => a.load > 0).length,
    capacity: () => actors.length,
    queued: () => actors.reduce((n, a) => n + a.queued, 0)
  })

export const make = (options: WorkerPoolOptions = {}) =>
  Effect.gen(function*() {
    const size = Math.max(1, Math.floor(options.size ?? availableParallelism()))
    const mailbox = Math.max(1, Math.floor(options.mailbox ?? 64))
    const retryAfterMs = options.retryAfterMs ?? 1000
    const actors: Array<WorkerActor.WorkerActor> = []
    const spawn = spawner(options.normalPriority === true)
    for (let id = 0; id < size; id++) actors.push(yield* WorkerActor.make(id, mailbox, spawn))

    const run = (task: WorkerTask) =>
      Effect.callback<unknown, WorkerError | ServerBusy>((resume) => {
        const url = typeof task.module.url === "string" ? task.module.url : task.module.url.href
        const name = task.module.export ?? "handler"
        const key = keyOf(url, name)
        const chosen = actors[LoadBalancer.choose(actors, key)]
        const envelope: WorkerActor.Envelope = {
          request: { url, export: name, args: task.args },
          name: task.name ?? url,
          key,
          state: "queued",
          resume
        }
        if (chosen === undefined || !chosen.tell(envelope)) {
          return resume(Effect.fail(new ServerBusy({ job: envelope.name, retryAfterMs })))
        }
        return Effect.sync(() => chosen.cancel(envelope))
      })

    yield* reportLoad(actors)

    const stats = () =>
      actors.map((a): WorkerStats => ({
        id: a.id,
        busy: a.load > 0,
        queued: a.queued,
        recentMs: [...a.recentMs],
        completed: a.completed,
        crashes: a.crashes,
        warm: [...a.warm]
      }))

    return WorkerPool.of({ run, stats, size })
  })
