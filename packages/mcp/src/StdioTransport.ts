/**
 * MCP over stdio: newline-delimited JSON-RPC in on stdin, out on stdout and nothing else (logs
 * go to stderr). One connection, one peer: a 2025-11-25 session after `initialize`, or
 * stateless 2026-07-28 requests that carry the `_meta` envelope.
 */
import { Cause, Context, Effect, Exit, type Fiber, FiberSet, Layer } from "effect"
import { createInterface } from "node:readline"
import type { Readable, Writable } from "node:stream"
import { Dispatcher } from "./Dispatcher.ts"
import * as ClientRequests from "./internal/ClientRequests.ts"
import { incomplete, missingKeys, peerOf, unsupportedVersion } from "./internal/Envelope.ts"
import { RETRY_AFTER_MS } from "./internal/Reply.ts"
import * as Shutdown from "./internal/Shutdown.ts"
import { SHUTDOWN_MESSAGE } from "./internal/Shutdown.ts"
import { classify, ErrorCode, errorBytes, isObject, isRequestId, notification, type RequestId, resultBytes } from "./JsonRpc.ts"
import * as Notifications from "./Notifications.ts"
import { type Answer, bodyText, type Outbound, type Peer, type SessionState } from "./Peer.ts"
import { levelPasses, LIST_CHANGED_FILTER, MetaKey } from "./Protocol.ts"

export interface StdioOptions {
  /** Time calls in flight get when the connection ends or the server stops (default 10000 ms). */
  readonly shutdownGraceMs?: number
  /** How long a tool waits for the client's answer to a server→client request (default 300000 ms). */
  readonly clientRequestTimeoutMs?: number
  /** Calls running at once on this connection; past it, `ServerBusy` with a retry hint (default 1000). */
  readonly maxInflightCalls?: number
}

/** Serves one stdio connection until its input ends. */
export class StdioTransport extends Context.Service<StdioTransport, {
  /** Reads `input` line by line and answers on `output` until `input` ends, then drains. */
  readonly serve: (input: Readable, output: Writable, options?: StdioOptions) => Effect.Effect<void>
}>()("@tenfold/mcp/StdioTransport") {
  static layer = Layer.effect(StdioTransport, Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const notifications = yield* Notifications.Notifications
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const onDefect = (error: unknown) =>
      void runFork(Effect.logError("a stdio message failed with a defect; answered -32603", Cause.die(error)))

    const serve = (input: Readable, output: Writable, options: StdioOptions = {}) =>
      Effect.gen(function*() {
        const write = (line: string) => {
          output.write(line + "\n")
        }
        const session: SessionState & { clientCapabilities: Record<string, unknown>; initialized: boolean } = {
          id: "stdio",
          logLevel: undefined,
          subscriptions: new Set(),
          clientCapabilities: {},
          initialized: false
        }
        const calls = yield* FiberSet.make<Answer>()
        const maxInflight = options.maxInflightCalls ?? 1000
        const inflight = new Map<RequestId, Fiber.Fiber<Answer>>()
        const clientRequests = ClientRequests.makeState()
        const listens = new Map<RequestId, Record<string, unknown>>()
        let stopping = false

        const request = ClientRequests.request(clientRequests, write, options.clientRequestTimeoutMs ?? 300_000)
        const outbound: Outbound = { notify: (method, params) => write(notification(method, params)), request }
        const statelessOutbound: Outbound = { notify: outbound.notify, request: undefined }

        const answer = (id: RequestId, result: Answer | Effect.Effect<Answer>) => {
          if (!Effect.isEffect(result)) return write(bodyText(result))
          if (inflight.size >= maxInflight) {
            return write(errorBytes(id, ErrorCode.ServerBusy, `Server busy: ${maxInflight} calls are in flight on this connection; retry later`, {
              retryAfterMs: RETRY_AFTER_MS,
              limit: "maxInflightCalls"
            }))
          }
          const fiber = runFork(result)
          inflight.set(id, fiber)
          FiberSet.addUnsafe(calls, fiber)
          fiber.addObserver((exit) => {
            inflight.delete(id)
            if (Exit.isSuccess(exit)) write(bodyText(exit.value))
            else if (stopping) write(errorBytes(id, ErrorCode.InternalError, SHUTDOWN_MESSAGE))
            else if (!Cause.hasInterruptsOnly(exit.cause)) {
              onDefect(Cause.squash(exit.cause))
              write(errorBytes(id, ErrorCode.InternalError, "Internal error"))
            }
          })
        }

        const stateless = (id: RequestId, method: string, params: Record<string, unknown>, meta: Record<string, unknown>) => {
          const missing = missingKeys(meta)
          const invalid = missing.length > 0 ? incomplete(missing) : unsupportedVersion(meta[MetaKey.protocolVersion] as string)
          if (invalid !== undefined) return write(errorBytes(id, invalid.code, invalid.message, invalid.data))
          if (method === "subscriptions/listen") {
            const filter = isObject(params.notifications) ? params.notifications : {}
            listens.set(id, filter)
            return write(notification("notifications/subscriptions/acknowledged", { _meta: { [MetaKey.subscriptionId]: id }, notifications: filter }))
          }
          answer(id, dispatcher.handle(id, method, params, peerOf(meta, undefined), statelessOutbound))
        }

        const onMessage = (message: unknown) => {
          const kind = classify(message)
          switch (kind._tag) {
            case "Invalid":
              return write(errorBytes(kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`))
            case "Response": {
              const { id, result, error } = kind.message
              ClientRequests.settle(clientRequests, { id, result, error })
              return
            }
            case "Notification": {
              const { method, params } = kind.message
              if (method === "notifications/initialized") session.initialized = true
              if (method === "notifications/cancelled" && isRequestId(params?.requestId)) {
                inflight.get(params.requestId)?.interruptUnsafe()
                if (listens.delete(params.requestId)) {
                  write(resultBytes(params.requestId, JSON.stringify({ resultType: "complete", _meta: { [MetaKey.subscriptionId]: params.requestId } })))
                }
              }
              return
            }
            case "Request": {
              const { id, method } = kind.message
              const params = kind.message.params ?? {}
              if (isObject(params._meta) && MetaKey.protocolVersion in params._meta) return stateless(id, method, params, params._meta)
              if (method === "initialize") {
                session.clientCapabilities = isObject(params.capabilities) ? params.capabilities : {}
                return write(resultBytes(id, JSON.stringify(dispatcher.initializeResult(params.protocolVersion).result)))
              }
              const peer: Peer = { stateless: false, principal: undefined, clientCapabilities: session.clientCapabilities, logLevel: undefined, session }
              return answer(id, dispatcher.handle(id, method, params, peer, outbound))
            }
          }
        }

        /** One line, one message; whatever throws while handling it answers -32603 for it alone. */
        const onLine = (line: string) => {
          if (line.trim() === "") return
          let message: unknown
          try {
            message = JSON.parse(line)
          } catch {
            return write(errorBytes(null, ErrorCode.ParseError, "Parse error: the line is not valid JSON"))
          }
          try {
            onMessage(message)
          } catch (error) {
            onDefect(error)
            write(errorBytes(isObject(message) && isRequestId(message.id) ? message.id : null, ErrorCode.InternalError, "Internal error"))
          }
        }

        const deliver = (n: Notifications.Notification) => {
          switch (n._tag) {
            case "ListChanged": {
              if (session.initialized) write(notification(n.method))
              const key = LIST_CHANGED_FILTER[n.method]
              for (const [id, filter] of listens) {
                if (key !== undefined && filter[key] === true) write(notification(n.method, { _meta: { [MetaKey.subscriptionId]: id } }))
              }
              return
            }
            case "ResourceUpdated":
              if (session.subscriptions.has(n.uri)) write(notification("notifications/resources/updated", { uri: n.uri }))
              return
            case "Log":
              if (session.initialized && (session.logLevel === undefined || levelPasses(n.level, session.logLevel))) {
                write(notification("notifications/message", { level: n.level, ...(n.logger === undefined ? {} : { logger: n.logger }), data: n.data }))
              }
          }
        }
        yield* Notifications.forEach(notifications, deliver)

        yield* Effect.callback<void>((resume) => {
          const lines = createInterface({ input, crlfDelay: Infinity })
          lines.on("line", onLine)
          /** Stops reading; calls in flight get the grace period, then are cancelled with an answer. */
          const drain = Effect.suspend(() => {
            stopping = true
            lines.close()
            return Shutdown.drain(calls, options.shutdownGraceMs ?? 10_000)
          })
          lines.on("close", () => {
            if (!stopping) runFork(drain).addObserver(() => resume(Effect.void))
          })
          // interrupted (SIGINT/SIGTERM): drain before the interruption completes
          return drain
        })
      }).pipe(Effect.scoped)

    return StdioTransport.of({ serve })
  }))
}
