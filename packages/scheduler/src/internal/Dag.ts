/**
 * The checks a DAG passes before any task runs, bounded so a client-built DAG cannot cost more
 * than its size: a list of at most `maxTasks` tasks, ids of 1 to 256 characters and unique,
 * dependencies that name tasks of the DAG, no cycle (named in the error). No recursion.
 */
import { Effect } from "effect"
import { InvalidWorkflow, type Task } from "../Task.ts"

/** The default bound on tasks per DAG. */
export const MAX_TASKS = 1000
/** The longest id. */
export const MAX_ID_LENGTH = 256

/** A checked DAG: each task's distinct dependencies and its dependants, by index. */
export interface Plan {
  readonly dependencies: ReadonlyArray<ReadonlyArray<number>>
  readonly dependants: ReadonlyArray<ReadonlyArray<number>>
}

const invalid = (reason: InvalidWorkflow["reason"], detail: string) => new InvalidWorkflow({ reason, detail })

/** A shortened, printable id for messages (ids are client input). */
export const shown = (id: unknown): string => {
  const text = typeof id === "string" ? id : String(typeof id)
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)
}

/** Checks the DAG and returns its plan, or the first thing wrong with it. */
export const plan = (tasks: ReadonlyArray<Task<any, any, any>>, maxTasks = MAX_TASKS): InvalidWorkflow | Plan => {
  if (!Array.isArray(tasks)) return invalid("not-a-list", "the tasks must be a list")
  if (tasks.length === 0) return invalid("empty", "a workflow needs at least one task")
  if (tasks.length > maxTasks) return invalid("too-many-tasks", `${tasks.length} tasks; at most ${maxTasks} are allowed`)
  const index = new Map<string, number>()
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as Task<unknown, unknown, unknown> | undefined
    if (task === null || typeof task !== "object") return invalid("bad-task", `task ${i} is not an object`)
    const id = task.id
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
      return invalid("bad-id", `task ${i} needs an id of 1 to ${MAX_ID_LENGTH} characters`)
    }
    if (index.has(id)) return invalid("duplicate-id", `two tasks have the id ${shown(id)}`)
    if ((task.run === undefined) === (task.module === undefined)) {
      return invalid("bad-task", `task ${shown(id)} needs exactly one of run or module`)
    }
    if (task.dependencies !== undefined && (!Array.isArray(task.dependencies) || task.dependencies.length > maxTasks)) {
      return invalid("bad-task", `task ${shown(id)}: dependencies must be a list of at most ${maxTasks} ids`)
    }
    index.set(id, i)
  }
  const dependencies: Array<Array<number>> = []
  const dependants: Array<Array<number>> = tasks.map(() => [])
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!
    const own = new Set<number>()
    for (const dependency of task.dependencies ?? []) {
      const j = typeof dependency === "string" ? index.get(dependency) : undefined
      if (j === undefined) return invalid("unknown-dependency", `task ${shown(task.id)} depends on unknown task ${shown(dependency)}`)
      own.add(j)
    }
    dependencies.push([...own])
    for (const j of own) dependants[j]!.push(i)
  }
  const cycle = findCycle(dependencies, dependants)
  if (cycle !== undefined) {
    return invalid("cycle", `dependency cycle: ${cycle.map((i) => shown(tasks[i]!.id)).join(" → ")} (each depends on the next)`)
  }
  return { dependencies, dependants }
}

/** Checks the DAG: fails with `InvalidWorkflow` saying what is wrong, before anything runs. */
export const validate = (tasks: ReadonlyArray<Task<any, any, any>>, maxTasks = MAX_TASKS): Effect.Effect<void, InvalidWorkflow> =>
  Effect.suspend(() => {
    const checked = plan(tasks, maxTasks)
    return checked instanceof InvalidWorkflow ? Effect.fail(checked) : Effect.void
  })

/**
 * Kahn's algorithm; when tasks are left over, every one of them waits on another left-over task,
 * so walking from one along its dependencies must come back to a task already seen: that loop is
 * the cycle reported.
 */
const findCycle = (dependencies: ReadonlyArray<ReadonlyArray<number>>, dependants: ReadonlyArray<ReadonlyArray<number>>) => {
  const waiting = dependencies.map((d) => d.length)
  const ready = waiting.flatMap((n, i) => (n === 0 ? [i] : []))
  let done = 0
  while (ready.length > 0) {
    const i = ready.pop()!
    done++
    for (const j of dependants[i]!) if (--waiting[j]! === 0) ready.push(j)
  }
  if (done === dependencies.length) return undefined
  const seen = new Map<number, number>()
  const path: Array<number> = []
  let at = waiting.findIndex((n) => n > 0)
  while (!seen.has(at)) {
    seen.set(at, path.length)
    path.push(at)
    at = dependencies[at]!.find((j) => waiting[j]! > 0)!
  }
  return [...path.slice(seen.get(at)!), at]
}
