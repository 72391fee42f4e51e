/**
 * How a task sent to a worker thread can fail, shared by the pool, its placement and the
 * parallel executor. Both are `Error`s with a message a client can read as it is.
 */
import { Data } from "effect"

/** The task ran and failed (it threw, rejected or its Effect failed), or its arguments or result could not be sent between threads. */
export class WorkerTaskFailed extends Data.TaggedError("WorkerTaskFailed")<{
  /** The task's name (a tool name, or the module URL). */
  readonly task: string
  readonly detail: string
}> {
  override get message() {
    return this.detail
  }
}

/** The worker thread died while running the task (an uncaught error, `process.exit`, out of memory); the pool has replaced it. */
export class WorkerCrashed extends Data.TaggedError("WorkerCrashed")<{
  readonly task: string
  readonly workerId: number
  readonly reason: string
}> {
  override get message() {
    return `Worker thread ${this.workerId} crashed while running ${this.task}: ${this.reason} (the worker was replaced)`
  }
}

export type WorkerError = WorkerTaskFailed | WorkerCrashed
