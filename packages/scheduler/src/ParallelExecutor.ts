/**
 * The seed's parallel execution engine as a DAG scheduler on fibers: every task starts as soon
 * as its own dependencies have succeeded (not level by level), I/O work runs as fibers, CPU work
 * named by module goes to the `WorkerPool` when one is provided. A failed or timed-out task
 * reports its error and its dependants are skipped with the reason, while its siblings go on
 * (unless `failFast`); interrupting the run interrupts every task. `stream` emits each result
 * (and each item of a streaming task) as it happens.
 */
import { Job } from "@tenfold/executor"
import { Cause, Context, Effect, Exit, FiberSet, Layer, Option, Queue, Semaphore, Stream } from "effect"
import * as Dag from "./internal/Dag.ts"
import {
  type Inputs,
  InvalidWorkflow,
  type RunOptions,
  type Strategy,
  type Task,
  TaskDied,
  type TaskError,
  type TaskEvent,
  TaskFailed,
  type TaskResult,
  TaskTimeout
} from "./Task.ts"
import { WorkerPool } from "./WorkerPool.ts"

export { validate } from "./internal/Dag.ts"

/**
 * The seed's `auto` rule: any streaming task makes it `streaming`; more CPU than I/O tasks
 * `cpu_bound`; more I/O than CPU `io_bound`; a tie `mixed`.
 */
export const strategyOf = (tasks: ReadonlyArray<Task<any, any, any>>): Exclude<Strategy, "auto"> => {
  let cpu = 0
  let io = 0
  for (const task of tasks) {
    if (task.streaming === true) return "streaming"
    const type = task.type ?? "io"
    if (type === "cpu") cpu++
    else if (type === "io") io++
  }
  return cpu > io ? "cpu_bound" : io > cpu ? "io_bound" : "mixed"
}

/** Runs DAGs of tasks in parallel. */
export class ParallelExecutor extends Context.Service<ParallelExecutor, {
  /**
   * Runs the DAG and answers every task's result in completion order. Fails with
   * `InvalidWorkflow` before running anything when the DAG is malformed, and with `TaskFailed`
   * on the first failure when `failFast` is set.
   */
  readonly run: <A, E, R>(tasks: ReadonlyArray<Task<A, E, R>>, options?: RunOptions) => Effect.Effect<ReadonlyArray<TaskResult<A, E>>, InvalidWorkflow | TaskFailed<E>, R>
  /** The same run as a stream of results (and streaming tasks' items), each emitted when it happens. */
  readonly stream: <A, E, R>(tasks: ReadonlyArray<Task<A, E, R>>, options?: RunOptions) => Stream.Stream<TaskEvent<A, E>, InvalidWorkflow | TaskFailed<E>, R>
}>()("@tenfold/scheduler/ParallelExecutor") {
  /** The executor over the `WorkerPool` of the context, if any (without one, module tasks are imported in-process). */
  static layer: Layer.Layer<ParallelExecutor> = Layer.effect(
    ParallelExecutor,
    Effect.map(Effect.serviceOption(WorkerPool), (pool) => make(Option.getOrUndefined(pool)))
  )
}

/** How many events a stream holds for a slow consumer before the tasks producing them wait. */
const STREAM_BUFFER = 64

/** An executor over `pool` (undefined: no worker threads). */
export const make = (pool: WorkerPool["Service"] | undefined): ParallelExecutor["Service"] => {
  const run = <A, E, R>(tasks: ReadonlyArray<Task<A, E, R>>, options: RunOptions = {}) =>
    Effect.suspend(() => {
      const results: Array<TaskResult<A, E>> = []
      const emit = (event: TaskEvent<A, E>) => Effect.sync(() => void (event._tag === "Item" || results.push(event)))
      return Effect.as(execute(pool, tasks, options, emit), results as ReadonlyArray<TaskResult<A, E>>)
    })
  const stream = <A, E, R>(tasks: ReadonlyArray<Task<A, E, R>>, options: RunOptions = {}) =>
    Stream.callback<TaskEvent<A, E>, InvalidWorkflow | TaskFailed<E>, R>(
      (queue) => Effect.andThen(execute(pool, tasks, options, (event) => Effect.asVoid(Queue.offer(queue, event))), Queue.end(queue)),
      { bufferSize: STREAM_BUFFER, strategy: "suspend" }
    )
  return ParallelExecutor.of({ run, stream })
}

/** The Effect that runs one task's work where its type and the strategy say: its `run` as a fiber, its module on the pool or in-process. */
const work = <A, E, R>(
  task: Task<A, E, R>,
  inputs: Inputs,
  strategy: Exclude<Strategy, "auto">,
  pool: WorkerPool["Service"] | undefined,
  cpuSlots: Semaphore.Semaphore | undefined
): Effect.Effect<unknown, TaskError<E>, R> => {
  if (task.run !== undefined) return task.run(inputs)
  const module = task.module!
  const args = typeof task.args === "function" ? (task.args as (inputs: Inputs) => unknown)(inputs) : task.args
  const type = task.type ?? "io"
  const onPool = pool !== undefined && strategy !== "io_bound" && (type === "cpu" || type === "mixed")
  if (onPool) {
    const sent = pool.run({ module, args, name: task.id })
    return cpuSlots === undefined ? sent : cpuSlots.withPermits(1)(sent)
  }
  return Effect.flatMap(
    Effect.tryPromise({ try: () => Job.importModule(module), catch: (e) => new TaskDied({ id: task.id, detail: e instanceof Error ? e.message : String(e) }) }),
    (exported) => {
      if (typeof exported !== "function") return Effect.fail(new TaskDied({ id: task.id, detail: `export of ${String(module.url)} is not a function` }))
      return Effect.suspend((): Effect.Effect<unknown, TaskError<E>, R> => {
        const value: unknown = exported(args)
        return Effect.isEffect(value)
          ? (value as Effect.Effect<unknown, E, R>)
          : Effect.tryPromise({ try: async () => await value, catch: (e) => new TaskDied({ id: task.id, detail: e instanceof Error ? e.message : String(e) }) })
      })
    }
  )
}

/** The first failure of a cause as a task error: its own error, else the defect or interruption, described. */
const errorOf = <E>(id: string, cause: Cause.Cause<TaskError<E>>): TaskError<E> => {
  const failure = cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined) return failure.error
  const defect = cause.reasons.find(Cause.isDieReason)
  if (defect !== undefined) return new TaskDied({ id, detail: defect.defect instanceof Error ? defect.defect.message : String(defect.defect) })
  return new TaskDied({ id, detail: "interrupted" })
}

/** Runs the DAG, emitting each task's result (and streaming items) as it happens. */
const execute = <A, E, R>(
  pool: WorkerPool["Service"] | undefined,
  tasks: ReadonlyArray<Task<A, E, R>>,
  options: RunOptions,
  emit: (event: TaskEvent<A, E>) => Effect.Effect<void>
): Effect.Effect<void, InvalidWorkflow | TaskFailed<E>, R> =>
  Effect.gen(function*() {
    const checked = Dag.plan(tasks, options.maxTasks ?? Dag.MAX_TASKS)
    if (checked instanceof InvalidWorkflow) return yield* Effect.fail(checked)
    const { dependencies, dependants } = checked
    const strategy = options.strategy === undefined || options.strategy === "auto" ? strategyOf(tasks) : options.strategy
    const limit = options.concurrency === undefined ? Infinity : Math.max(1, Math.floor(options.concurrency))
    // CPU tasks wait here rather than overflow the pool's bounded mailboxes
    const cpuSlots = pool === undefined ? undefined : yield* Semaphore.make(pool.size * 2)
    const values: Array<unknown> = new Array(tasks.length)
    const waitingOn = dependencies.map((d) => d.length)
    const settled = new Array<boolean>(tasks.length).fill(false)
    const finished = yield* Queue.unbounded<TaskResult<A, E>>()
    const fibers = yield* FiberSet.make<void, never>()
    const ready: Array<number> = []
    const indexOf = new Map(tasks.map((task, i) => [task.id, i]))
    let running = 0
    let left = tasks.length

    const priorityOf = (i: number) => tasks[i]!.priority ?? 0
    /** Ready tasks in start order: higher priority first, then the order given. */
    const enqueue = (i: number) => {
      let at = ready.length
      while (at > 0 && (priorityOf(ready[at - 1]!) < priorityOf(i) || (priorityOf(ready[at - 1]!) === priorityOf(i) && ready[at - 1]! > i))) at--
      ready.splice(at, 0, i)
    }

    const runTask = (i: number): Effect.Effect<TaskResult<A, E>, never, R> => {
      const task = tasks[i]!
      const inputs: Record<string, unknown> = {}
      for (const j of dependencies[i]!) inputs[tasks[j]!.id] = values[j]
      // a `run` or `args` that throws fails its task (as a defect), not the whole run
      const produced = Effect.suspend(() => work(task, inputs, strategy, pool, cpuSlots))
      const itemized = task.streaming === true ? withItems(task.id, produced, emit) : produced
      const timeoutMs = task.timeoutMs
      const limited = timeoutMs === undefined || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)
        ? itemized
        : Effect.timeoutOrElse(itemized, { duration: timeoutMs, orElse: () => Effect.fail(new TaskTimeout({ id: task.id, timeoutMs })) })
      return Effect.suspend(() => {
        const start = performance.now()
        return Effect.map(Effect.exit(limited), (exit): TaskResult<A, E> => {
          const durationMs = performance.now() - start
          return Exit.isSuccess(exit)
            ? { _tag: "Success", id: task.id, value: exit.value as A, durationMs }
            : { _tag: "Failure", id: task.id, error: errorOf(task.id, exit.cause), durationMs }
        })
      })
    }

    const startReady = Effect.gen(function*() {
      while (ready.length > 0 && running < limit) {
        const i = ready.shift()!
        running++
        yield* FiberSet.run(fibers, Effect.flatMap(runTask(i), (result) => Queue.offer(finished, result)), { startImmediately: true })
      }
    })

    /** Skips the dependants of a failed or skipped task, and theirs, emitting why. */
    const skipDependants = (failed: number, how: "failed" | "was skipped"): Effect.Effect<void> =>
      Effect.gen(function*() {
        const stack: Array<[number, number, "failed" | "was skipped"]> = dependants[failed]!.map((j) => [j, failed, how])
        while (stack.length > 0) {
          const [j, cause, why] = stack.pop()!
          if (settled[j]) continue
          settled[j] = true
          left--
          const dependency = tasks[cause]!.id
          yield* emit({ _tag: "Skipped", id: tasks[j]!.id, dependency, reason: `dependency ${Dag.shown(dependency)} ${why}` })
          for (const k of dependants[j]!) stack.push([k, j, "was skipped"])
        }
      })

    for (let i = 0; i < tasks.length; i++) if (waitingOn[i] === 0) enqueue(i)
    yield* startReady
    while (left > 0) {
      const result = yield* Queue.take(finished)
      running--
      left--
      const i = indexOf.get(result.id)!
      settled[i] = true
      yield* emit(result)
      if (result._tag === "Success") {
        values[i] = result.value
        for (const j of dependants[i]!) if (--waitingOn[j]! === 0 && !settled[j]) enqueue(j)
      } else if (result._tag === "Failure") {
        if (options.failFast === true) return yield* Effect.fail(new TaskFailed<E>({ id: result.id, error: result.error }))
        yield* skipDependants(i, "failed")
      }
      yield* startReady
    }
  }).pipe(Effect.scoped)

/** A streaming task: each item of its Stream value is emitted as it comes; its value is the array of items. */
const withItems = <A, E, R>(id: string, produced: Effect.Effect<unknown, TaskError<E>, R>, emit: (event: TaskEvent<A, E>) => Effect.Effect<void>) =>
  Effect.flatMap(produced, (value) =>
    Stream.isStream(value)
      ? Stream.runFold(
        Stream.tap(value as Stream.Stream<unknown, TaskError<E>, R>, (item) => emit({ _tag: "Item", id, value: item })),
        () => [] as Array<unknown>,
        (items, item) => (items.push(item), items)
      )
      : Effect.succeed(value))
