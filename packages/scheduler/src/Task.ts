/**
 * What the parallel executor runs and answers: a task of a DAG (its id, dependencies, type,
 * priority, timeout, streaming flag and its work), each task's result, and the ways a workflow or
 * a task can fail. Shared by the executor and its DAG checks, so neither imports the other.
 */
import type { Job, ServerBusy } from "@tenfold/executor"
import { Data, type Effect } from "effect"
import type { WorkerError } from "./WorkerError.ts"

/** The seed's task types: I/O-bound work runs as a fiber, CPU-bound on the worker pool, mixed either way. */
export type TaskType = "io" | "cpu" | "mixed"

/** The seed's strategies; `auto` picks one from the tasks (see `strategyOf`). */
export type Strategy = "auto" | "io_bound" | "cpu_bound" | "mixed" | "streaming"

/** The values of a task's dependencies, by their ids. */
export type Inputs = Readonly<Record<string, unknown>>

/** One task of a DAG: exactly one of `run` (in-process) or `module` (a module export, for a worker). */
export interface Task<A = unknown, E = unknown, R = never> {
  /** Unique in its DAG, 1 to 256 characters. */
  readonly id: string
  /** Ids of the tasks whose values it needs; it starts as soon as all of them succeeded. */
  readonly dependencies?: ReadonlyArray<string> | undefined
  /** Default `io`. */
  readonly type?: TaskType | undefined
  /** Among tasks ready at once, higher starts first (matters when `concurrency` or the pool holds tasks back). */
  readonly priority?: number | undefined
  /** Past it the task fails with `TaskTimeout` and is interrupted; its siblings go on. */
  readonly timeoutMs?: number | undefined
  /** Its value may be a `Stream`: each item is emitted as a `TaskItem` as it comes, and the task's value is the array of items. */
  readonly streaming?: boolean | undefined
  /** In-process work, run as a fiber with its dependencies' values. */
  readonly run?: ((inputs: Inputs) => Effect.Effect<A, E, R>) | undefined
  /** CPU work named by module: run on the `WorkerPool` (imported in-process when there is none or the strategy is `io_bound`). */
  readonly module?: Job.ModuleRef | undefined
  /** The module export's argument (structured-clone-able), or a function of the dependencies' values giving it. */
  readonly args?: unknown
}

/** Why a task failed: its own error, its timeout, its worker, a full pool, or a defect. */
export type TaskError<E> = E | TaskTimeout | TaskDied | WorkerError | ServerBusy

/** A task finished with a value. */
export interface TaskSuccess<A> {
  readonly _tag: "Success"
  readonly id: string
  readonly value: A
  readonly durationMs: number
}

/** A task failed or timed out; its dependants are skipped, its siblings go on. */
export interface TaskFailure<E> {
  readonly _tag: "Failure"
  readonly id: string
  readonly error: TaskError<E>
  readonly durationMs: number
}

/** A task never ran because a dependency failed or was skipped. */
export interface TaskSkipped {
  readonly _tag: "Skipped"
  readonly id: string
  /** The dependency that failed or was skipped. */
  readonly dependency: string
  readonly reason: string
}

/** One item of a streaming task, as it is produced. */
export interface TaskItem {
  readonly _tag: "Item"
  readonly id: string
  readonly value: unknown
}

/** How each task ended: one per task of the DAG. */
export type TaskResult<A, E> = TaskSuccess<A> | TaskFailure<E> | TaskSkipped

/** What `ParallelExecutor.stream` emits, in completion order. */
export type TaskEvent<A, E> = TaskResult<A, E> | TaskItem

export interface RunOptions {
  /** Default `auto`. */
  readonly strategy?: Strategy | undefined
  /** Tasks running at once (default: no limit; CPU tasks are also held to twice the pool's size). */
  readonly concurrency?: number | undefined
  /** The first failure interrupts every other task and fails the run with `TaskFailed` (default false). */
  readonly failFast?: boolean | undefined
  /** The most tasks a DAG may have (default 1000). */
  readonly maxTasks?: number | undefined
}

/** Why a DAG was refused before any task ran. */
export type InvalidReason = "not-a-list" | "empty" | "too-many-tasks" | "bad-task" | "bad-id" | "duplicate-id" | "unknown-dependency" | "cycle"

/** The DAG is malformed: refused before any task runs, with what is wrong in `detail`. */
export class InvalidWorkflow extends Data.TaggedError("InvalidWorkflow")<{
  readonly reason: InvalidReason
  readonly detail: string
}> {
  override get message() {
    return `Invalid workflow: ${this.detail}`
  }
}

/** A task ran past its `timeoutMs`. */
export class TaskTimeout extends Data.TaggedError("TaskTimeout")<{
  readonly id: string
  readonly timeoutMs: number
}> {
  override get message() {
    return `Task ${this.id} timed out after ${this.timeoutMs} ms`
  }
}

/** A task died of a defect (a thrown exception, an interruption of its own). */
export class TaskDied extends Data.TaggedError("TaskDied")<{
  readonly id: string
  readonly detail: string
}> {
  override get message() {
    return `Task ${this.id} died: ${this.detail}`
  }
}

/** With `failFast`: the first task that failed, which ended the run. */
export class TaskFailed<E> extends Data.TaggedError("TaskFailed")<{
  readonly id: string
  readonly error: TaskError<E>
}> {
  override get message() {
    const error = this.error
    const text = error instanceof Error ? error.message : "failed"
    return `Task ${this.id} failed: ${text}`
  }
}
