/**
 * The `SubscriptionFilter` of a 2026-07-28 `subscriptions/listen` stream, read the same way by
 * both transports: only the known keys are kept, the resource URIs bounded in number, length and
 * total size (a stream holds its filter as long as it is open), and matched against notifications.
 */
import { MAX_SUBSCRIPTION_URI_LENGTH } from "../Dispatcher.ts"
import { invalidParams, isObject, notification, type ProtocolError, type RequestId } from "../JsonRpc.ts"
import type { Notification } from "../Notifications.ts"
import { LIST_CHANGED_FILTER, MetaKey } from "../Protocol.ts"
import type { Task } from "../Tasks.ts"
import { detailedTask, missingExtension } from "./TaskWire.ts"

/** How much of a filter one listen stream may hold. */
export interface ListenFilterLimits {
  /** Most `resourceSubscriptions` URIs (default: the per-session subscription bound, 1000). */
  readonly maxUris: number
  /** Most characters of `resourceSubscriptions` URIs together (default 65536). */
  readonly maxBytes: number
}

export const defaultListenFilterLimits: ListenFilterLimits = { maxUris: 1000, maxBytes: 65_536 }

/** A filter as kept: what it asks for, echoed in the acknowledgement, and its URIs for matching. */
export interface ListenFilter {
  /** The filter as acknowledged to the client (known keys only). */
  readonly acknowledged: Readonly<Record<string, unknown>>
  readonly listChanged: ReadonlySet<string>
  readonly uris: ReadonlySet<string>
  /** Task ids whose status changes the stream receives (`tasksStatus`, the tasks extension). */
  readonly tasks: ReadonlySet<string>
}

/** Longest task id a `tasksStatus` filter may name (the server's are 24 characters). */
const MAX_TASK_ID_LENGTH = 256

const LIST_KEYS = ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const

/**
 * The filter `requested` asks for, or the error that refuses it: -32602 (missing, or past a
 * bound), -32021 for `tasksStatus` from a client that did not declare the tasks extension
 * (`tasksAllowed`).
 */
export const parse = (requested: unknown, limits: ListenFilterLimits, tasksAllowed = false): ListenFilter | ProtocolError => {
  if (!isObject(requested)) return invalidParams("Invalid params: 'notifications' is required and must be a valid SubscriptionFilter")
  const acknowledged: Record<string, unknown> = {}
  const listChanged = new Set<string>()
  for (const key of LIST_KEYS) {
    if (requested[key] === true) {
      acknowledged[key] = true
      listChanged.add(key)
    }
  }
  const subscriptions = requested.resourceSubscriptions
  const uris = new Set<string>()
  if (Array.isArray(subscriptions) && subscriptions.length > 0) {
    if (subscriptions.length > limits.maxUris) {
      return invalidParams(`Invalid params: a subscriptions/listen filter may name at most ${limits.maxUris} resourceSubscriptions`, { maxUris: limits.maxUris })
    }
    let size = 0
    for (const uri of subscriptions) {
      if (typeof uri !== "string") continue
      if (uri.length > MAX_SUBSCRIPTION_URI_LENGTH) {
        return invalidParams(`Invalid params: a resourceSubscriptions URI is longer than ${MAX_SUBSCRIPTION_URI_LENGTH} characters`)
      }
      size += uri.length
      if (size > limits.maxBytes) {
        return invalidParams(`Invalid params: the resourceSubscriptions URIs take more than ${limits.maxBytes} characters together`, { maxBytes: limits.maxBytes })
      }
      uris.add(uri)
    }
    acknowledged.resourceSubscriptions = [...uris]
  }
  const taskIds = requested.tasksStatus
  const tasks = new Set<string>()
  if (Array.isArray(taskIds) && taskIds.length > 0) {
    if (!tasksAllowed) return missingExtension("Task status notifications (tasksStatus)")
    if (taskIds.length > limits.maxUris) {
      return invalidParams(`Invalid params: a subscriptions/listen filter may name at most ${limits.maxUris} tasksStatus ids`, { maxUris: limits.maxUris })
    }
    for (const id of taskIds) if (typeof id === "string" && id.length > 0 && id.length <= MAX_TASK_ID_LENGTH) tasks.add(id)
    acknowledged.tasksStatus = [...tasks]
  }
  return { acknowledged, listChanged, uris, tasks }
}

/** What a stream with `filter` sends when `task` changes status (its DetailedTask), tagged with the stream's id; undefined when it does not ask for it. */
export const taskMessageFor = (filter: ListenFilter, task: Task, subscriptionId: RequestId): string | undefined =>
  filter.tasks.has(task.taskId)
    ? notification("notifications/tasks/status", { ...detailedTask(task), _meta: { [MetaKey.subscriptionId]: subscriptionId } })
    : undefined

/** What a stream with `filter` sends for `n`, tagged with the stream's id; undefined when it does not ask for it. */
export const messageFor = (filter: ListenFilter, n: Notification, subscriptionId: RequestId): string | undefined => {
  switch (n._tag) {
    case "ListChanged": {
      const key = LIST_CHANGED_FILTER[n.method]
      return key !== undefined && filter.listChanged.has(key) ? notification(n.method, { _meta: { [MetaKey.subscriptionId]: subscriptionId } }) : undefined
    }
    case "ResourceUpdated":
      return filter.uris.has(n.uri) ? notification("notifications/resources/updated", { uri: n.uri, _meta: { [MetaKey.subscriptionId]: subscriptionId } }) : undefined
    case "Log":
      return undefined
  }
}

/** The acknowledgement that opens a listen stream. */
export const acknowledgement = (filter: ListenFilter, subscriptionId: RequestId): string =>
  notification("notifications/subscriptions/acknowledged", { _meta: { [MetaKey.subscriptionId]: subscriptionId }, notifications: filter.acknowledged })
