/**
 * MCP over stdio: newline-delimited JSON-RPC in on stdin, out on stdout and nothing else (logs
 * go to stderr). One connection, one peer: a 2025-11-25 session after `initialize`, or
 * stateless 2026-07-28 requests that carry the `_meta` envelope.
 */
import { Context, Effect, Exit, Fiber, Layer } from "effect"
import type { Readable, Writable } from "node:stream"
import { createInterface } from "node:readline"
import { Dispatcher } from "./Dispatcher.ts"
import { type Answer, bodyText, type Outbound, type Peer, type SessionState } from "./Peer.ts"
import { classify, ErrorCode, errorBytes, isObject, isRequestId, notification, type RequestId, resultBytes } from "./JsonRpc.ts"
import * as ClientRequests from "./internal/ClientRequests.ts"
import { incomplete, missingKeys, peerOf, unsupportedVersion } from "./internal/Envelope.ts"
import * as Shutdown from "./internal/Shutdown.ts"
import { SHUTDOWN_MESSAGE } from "./internal/Shutdown.ts"
import { LIST_CHANGED_FILTER, MetaKey } from "./Protocol.ts"
import { ResourceRegistry } from "./ResourceRegistry.ts"


export interface StdioOptions {
  /** Time calls in flight get when the connection ends or the server stops (default 10000 ms). */
  readonly shutdownGraceMs?: number
  /** How long a tool waits for the client's answer to a server→client request (default 300000 ms). */
  readonly clientRequestTimeoutMs?: number
}

/** Serves one stdio connection until its input ends. */
export class StdioTransport extends Context.Service<StdioTransport, {
  /** Reads `input` line by line and answers on `output` until `input` ends, then drains. */
  readonly serve: (input: Readable, output: Writable, options?: StdioOptions) => Effect.Effect<void>
}>()("@tenfold/mcp/StdioTransport") {
  static layer = Layer.effect(StdioTransport, Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const resources = yield* ResourceRegistry
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)

    const serve = (input: Readable, output: Writable, options: StdioOptions = {}) =>
      Effect.callback<void>((resume) => {
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
        const inflight = new Map<RequestId, Fiber.Fiber<Answer>>()
        const clientRequests = ClientRequests.makeState()
        const listens = new Map<RequestId, Record<string, unknown>>()
        let stopping = false

        const request = ClientRequests.request(clientRequests, write, options.clientRequestTimeoutMs ?? 300_000)

        const outbound: Outbound = { notify: (method, params) => write(notification(method, params)), request }
        const statelessOutbound: Outbound = { notify: outbound.notify, request: undefined }

        const answer = (id: RequestId, result: Answer | Effect.Effect<Answer>) => {
          if (!Effect.isEffect(result)) return write(bodyText(result))
          const fiber = runFork(result)
          inflight.set(id, fiber)
          fiber.addObserver((exit) => {
            inflight.delete(id)
            if (Exit.isSuccess(exit)) write(bodyText(exit.value))
            else if (stopping) write(errorBytes(id, ErrorCode.InternalError, SHUTDOWN_MESSAGE))
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
          const peer = peerOf(meta, undefined)
          answer(id, dispatcher.handle(id, method, params, peer, statelessOutbound))
        }

        const onLine = (line: string) => {
          if (line.trim() === "") return
          let message: unknown
          try {
            message = JSON.parse(line)
          } catch {
            return write(errorBytes(null, ErrorCode.ParseError, "Parse error: the line is not valid JSON"))
          }
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

        const stopListChanged = dispatcher.onListChanged((method) => {
          if (session.initialized) write(notification(method))
          for (const [id, filter] of listens) {
            const key = LIST_CHANGED_FILTER[method]
            if (key !== undefined && filter[key] === true) write(notification(method, { _meta: { [MetaKey.subscriptionId]: id } }))
          }
        })
        const stopUpdated = resources.onUpdated((uri) => {
          if (session.subscriptions.has(uri)) write(notification("notifications/resources/updated", { uri }))
        })

        const lines = createInterface({ input, crlfDelay: Infinity })
        lines.on("line", onLine)
        /** Stops reading; calls in flight get the grace period, then are cancelled with an answer. */
        const drain = Effect.suspend(() => {
          stopping = true
          stopListChanged()
          stopUpdated()
          lines.close()
          return Shutdown.drain([...inflight.values()], options.shutdownGraceMs ?? 10_000)
        })
        lines.on("close", () => {
          if (!stopping) runFork(drain).addObserver(() => resume(Effect.void))
        })
        // interrupted (SIGINT/SIGTERM): drain before the interruption completes
        return drain
      })

    return StdioTransport.of({ serve })
  }))
}
