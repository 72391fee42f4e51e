/**
 * MCP tasks on the wire, per revision. 2025-11-25 sessions: the client asks for a task with
 * `params.task`, tools declare `execution.taskSupport`, and a task is the `Task` object of
 * `tasks/get`, `tasks/list`, `tasks/cancel` and `notifications/tasks/status`, its result fetched
 * with `tasks/result`. 2026-07-28 (the `io.modelcontextprotocol/tasks` extension, SEP-2663): the
 * server decides, for clients that declare the extension, and answers a flat
 * `CreateTaskResult`; `tasks/get` inlines the result, error or input requests; input answers
 * come back with `tasks/update`; `tasks/result` and `tasks/list` do not exist.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server"
import { ErrorCode, invalidParams, isObject, ProtocolError } from "../JsonRpc.ts"
import type { Peer } from "../Peer.ts"
import { McpErrorCode, TASKS_EXTENSION } from "../Protocol.ts"
import type { Task } from "../Tasks.ts"
import type { TaskSupport } from "../Tool.ts"

/** How a call runs as a task: the TTL the client asked for (2025-11-25 `params.task.ttl`). */
export interface TaskMode {
  readonly ttlMs: number | undefined
}

const SERVER_DIRECTED: TaskMode = { ttlMs: undefined }

/** The capabilities a 2026-07-28 client needs for a task-only call or the `tasks/*` methods. */
export const REQUIRED_EXTENSION = { extensions: { [TASKS_EXTENSION]: {} } } as const

/** True when a 2026-07-28 request's client capabilities declare the tasks extension. */
export const declaresExtension = (capabilities: ClientCapabilities): boolean => {
  const extensions = (capabilities as { readonly extensions?: unknown }).extensions
  return isObject(extensions) && extensions[TASKS_EXTENSION] !== undefined
}

/** The -32021 of a 2026-07-28 request that needs the tasks extension its client did not declare. */
export const missingExtension = (what: string) =>
  new ProtocolError({
    code: McpErrorCode.MissingRequiredClientCapability,
    message: `${what} needs the ${TASKS_EXTENSION} extension: declare it in the request's client capabilities`,
    data: { requiredCapabilities: REQUIRED_EXTENSION }
  })

/**
 * Whether a `tools/call` of tool `name` runs as a task: undefined runs it as usual, a mode runs it
 * as a task, an error refuses it. 2026-07-28: task-supporting tools become tasks for clients that
 * declare the extension (a legacy `params.task` changes nothing); a `"required"` tool refuses
 * other clients with -32021. 2025-11-25: the client's `params.task` decides, and -32601 refuses a
 * task for a tool that forbids it, or a plain call of a tool that requires one.
 */
export const modeOf = (name: string, support: TaskSupport | undefined, params: Record<string, unknown>, peer: Peer): TaskMode | ProtocolError | undefined => {
  const supported = support === "optional" || support === "required"
  if (peer.stateless) {
    if (!supported) return undefined
    if (declaresExtension(peer.clientCapabilities)) return SERVER_DIRECTED
    return support === "required" ? missingExtension(`Tool ${name} runs only as a task and`) : undefined
  }
  const task = params.task
  if (task === undefined) {
    return support === "required"
      ? new ProtocolError({ code: ErrorCode.MethodNotFound, message: `Tool ${name} runs only as a task: call it with params.task` })
      : undefined
  }
  if (!supported) {
    return new ProtocolError({ code: ErrorCode.MethodNotFound, message: `Tool ${name} cannot run as a task (its execution.taskSupport is "forbidden"): call it without params.task` })
  }
  if (!isObject(task)) return invalidParams("params.task must be an object: { ttl?: number }")
  const ttl = task.ttl
  if (ttl !== undefined && (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 0)) {
    return invalidParams("params.task.ttl must be a non-negative number of milliseconds")
  }
  return { ttlMs: ttl }
}

/** Whose tasks a caller sees: its session's (2025-11-25), else its principal's. */
export const ownerOf = (peer: { readonly session: { readonly id: string } | undefined; readonly principal: string | undefined }): string =>
  peer.session !== undefined ? `session:${peer.session.id}` : `principal:${peer.principal ?? ""}`

/** The `taskId` of a `tasks/*` request, or -32602. */
export const taskIdOf = (method: string, params: Record<string, unknown> | undefined): string | ProtocolError => {
  const taskId = params?.taskId
  return typeof taskId === "string" && taskId.length > 0 && taskId.length <= 256
    ? taskId
    : invalidParams(`${method} requires params.taskId (a task id string)`)
}

/** The -32602 for a task id the caller does not own (or that expired, or never was). */
export const unknownTask = (taskId: string) =>
  invalidParams(`Unknown task: ${JSON.stringify(taskId.length > 100 ? `${taskId.slice(0, 100)}…` : taskId)} (it never existed, expired, or belongs to another client)`)

const iso = (millis: number) => new Date(millis).toISOString()

/** A 2025-11-25 `Task`. */
export const sessionTask = (task: Task): Record<string, unknown> => ({
  taskId: task.taskId,
  status: task.status,
  ...(task.statusMessage === undefined ? {} : { statusMessage: task.statusMessage }),
  createdAt: iso(task.createdAt),
  lastUpdatedAt: iso(task.lastUpdatedAt),
  ttl: task.ttlMs,
  pollInterval: task.pollIntervalMs
})

/** The 2026-07-28 fields every task shape has. */
const statelessTask = (task: Task): Record<string, unknown> => ({
  taskId: task.taskId,
  status: task.status,
  ...(task.statusMessage === undefined ? {} : { statusMessage: task.statusMessage }),
  createdAt: iso(task.createdAt),
  lastUpdatedAt: iso(task.lastUpdatedAt),
  ttlMs: task.ttlMs,
  pollIntervalMs: task.pollIntervalMs
})

/** The answer to a `tools/call` that created `task`. */
export const createTaskResult = (task: Task, peer: Peer): Record<string, unknown> =>
  peer.stateless ? { resultType: "task", ...statelessTask(task) } : { task: sessionTask(task) }

/** The 2026-07-28 `DetailedTask` of `tasks/get`: the task with its result, error or pending input requests. */
export const detailedTask = (task: Task): Record<string, unknown> => ({
  ...statelessTask(task),
  ...(task.status === "completed" && task.result !== undefined ? { result: task.result } : {}),
  ...(task.status === "failed" && task.error !== undefined ? { error: task.error } : {}),
  ...(task.status === "input_required" && task.inputRequests !== undefined ? { inputRequests: task.inputRequests } : {})
})
