/**
 * @tenfold/scheduler — Tenfold's parallel DAG executor, worker-thread actors and load balancer.
 */
export * as LoadBalancer from "./LoadBalancer.ts"
export { WorkerCrashed, WorkerTaskFailed } from "./WorkerError.ts"
export type { WorkerError } from "./WorkerError.ts"
export * as WorkerPlacement from "./WorkerPlacement.ts"
export { WorkerPool } from "./WorkerPool.ts"
export type { WorkerPoolOptions, WorkerStats, WorkerTask } from "./WorkerPool.ts"
export { ParallelExecutor, strategyOf, validate } from "./ParallelExecutor.ts"
export { InvalidWorkflow, TaskDied, TaskFailed, TaskTimeout } from "./Task.ts"
export type {
  Inputs,
  InvalidReason,
  RunOptions,
  Strategy,
  Task,
  TaskError,
  TaskEvent,
  TaskFailure,
  TaskItem,
  TaskResult,
  TaskSkipped,
  TaskSuccess,
  TaskType
} from "./Task.ts"
