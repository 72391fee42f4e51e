/**
 * Server-initiated notifications that are not tied to one request, as one fan-out (an Effect
 * `PubSub`): list changes, resource updates and server log messages. Both transports subscribe;
 * at scale-out a Redis-backed bus publishes into the same hub.
 */
import { Context, Effect, Layer, PubSub, type Scope } from "effect"
import { notification } from "./JsonRpc.ts"
import type { SessionState } from "./Peer.ts"
import { levelPasses, type LoggingLevel } from "./Protocol.ts"
import { PromptRegistry } from "./PromptRegistry.ts"
import { ResourceRegistry } from "./ResourceRegistry.ts"
import { ToolRegistry } from "./ToolRegistry.ts"

/** One notification for every connected client that asked for its kind. */
export type Notification =
  /** A list changed; `method` is its `notifications/…/list_changed`. */
  | { readonly _tag: "ListChanged"; readonly method: ListChangedMethod }
  /** The resource at `uri` changed (`notifications/resources/updated` to its subscribers). */
  | { readonly _tag: "ResourceUpdated"; readonly uri: string }
  /** A server log message (`notifications/message`) for sessions whose level admits it. */
  | { readonly _tag: "Log"; readonly level: LoggingLevel; readonly logger?: string; readonly data: unknown }

export type ListChangedMethod =
  | "notifications/tools/list_changed"
  | "notifications/prompts/list_changed"
  | "notifications/resources/list_changed"

export interface NotificationsOptions {
  /** Notifications a slow subscriber may lag behind before the oldest are dropped (default 4096). */
  readonly capacity?: number
}

/** The fan-out of server-initiated notifications. */
export class Notifications extends Context.Service<Notifications, {
  readonly publish: (notification: Notification) => Effect.Effect<void>
  /** A subscription for the life of the scope: every notification published from now on. */
  readonly subscribe: Effect.Effect<PubSub.Subscription<Notification>, never, Scope.Scope>
}>()("@tenfold/mcp/Notifications") {
  /** A hub fed by the registries' list changes and resource updates. */
  static layer = (options: NotificationsOptions = {}) => Layer.effect(Notifications, make(options))
}

export const make = (options: NotificationsOptions = {}) =>
  Effect.gen(function*() {
    const hub = yield* Effect.acquireRelease(PubSub.sliding<Notification>(options.capacity ?? 4096), PubSub.shutdown)
    const publish = (notification: Notification) => PubSub.publish(hub, notification).pipe(Effect.asVoid)
    const publishNow = (notification: Notification) => void Effect.runSync(publish(notification))
    const tools = yield* ToolRegistry
    const prompts = yield* PromptRegistry
    const resources = yield* ResourceRegistry
    const changed = (method: ListChangedMethod) => () => publishNow({ _tag: "ListChanged", method })
    const stops = [
      tools.catalog.onChange(changed("notifications/tools/list_changed")),
      prompts.catalog.onChange(changed("notifications/prompts/list_changed")),
      resources.resources.onChange(changed("notifications/resources/list_changed")),
      resources.templates.onChange(changed("notifications/resources/list_changed")),
      resources.onUpdated((uri) => publishNow({ _tag: "ResourceUpdated", uri }))
    ]
    yield* Effect.addFinalizer(() => Effect.sync(() => stops.forEach((stop) => stop())))
    return Notifications.of({ publish, subscribe: PubSub.subscribe(hub) })
  })

/**
 * Runs `deliver` for every notification published while the scope lasts, in a fiber of that
 * scope (a transport's fan-out to its streams).
 */
export const forEach = (notifications: Notifications["Service"], deliver: (notification: Notification) => void) =>
  Effect.gen(function*() {
    const subscription = yield* notifications.subscribe
    const deliverOne = (notification: Notification) =>
      Effect.sync(() => deliver(notification)).pipe(
        Effect.catchCause((cause) => Effect.logError("a notification could not be delivered", cause))
      )
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(PubSub.take(subscription), deliverOne)))
  })

/** Whether a 2025-11-25 session asked for `n`: resources it subscribed to, logs at or above its level, every list change. */
export const sessionWants = (n: Notification, session: Pick<SessionState, "subscriptions" | "logLevel">): boolean =>
  n._tag === "ResourceUpdated"
    ? session.subscriptions.has(n.uri)
    : n._tag === "ListChanged" || session.logLevel === undefined || levelPasses(n.level, session.logLevel)

/** The JSON-RPC notification a 2025-11-25 session receives for `n` (the same text for every session). */
export const sessionMessage = (n: Notification): string => {
  switch (n._tag) {
    case "ListChanged":
      return notification(n.method)
    case "ResourceUpdated":
      return notification("notifications/resources/updated", { uri: n.uri })
    case "Log":
      return notification("notifications/message", { level: n.level, ...(n.logger === undefined ? {} : { logger: n.logger }), data: n.data })
  }
}
