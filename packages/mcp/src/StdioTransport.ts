/**
 * MCP over stdio: newline-delimited JSON-RPC in on stdin, out on stdout and nothing else (logs
 * go to stderr). One connection, one peer: a 2025-11-25 session after `initialize`, or
 * stateless 2026-07-28 requests that carry the `_meta` envelope.
 */
import { DEFAULT_MAX_REQUEST_BODY_SIZE } from "@modelcontextprotocol/server"
import { defaultStreamer, Streamer } from "@tenfold/streaming"
import { Cause, Context, Effect, Exit, type Fiber, FiberSet, Layer, Option } from "effect"
import type { Readable, Writable } from "node:stream"
import { Dispatcher } from "./Dispatcher.ts"
import * as ClientRequests from "./internal/ClientRequests.ts"
import { hasEnvelope, incomplete, invalidProgressToken, peerOf, unsupportedVersion } from "./internal/Envelope.ts"
import { exceedsDepth } from "./internal/JsonBounds.ts"
import * as Limits from "./internal/Limits.ts"
import type { MessageLimits } from "./internal/Limits.ts"
import { LineWriter, readLines } from "./internal/Lines.ts"
import * as ListenFilter from "./internal/ListenFilter.ts"
import { busyData } from "./internal/Reply.ts"
import * as Shutdown from "./internal/Shutdown.ts"
import * as StreamedResult from "./internal/StreamedResult.ts"
import { declaresExtension, ownerOf } from "./internal/TaskWire.ts"
import { SHUTDOWN_MESSAGE } from "./internal/Shutdown.ts"
import { classify, ErrorCode, errorBytes, isObject, isRequestId, notification, ProtocolError, type RequestId, resultBytes } from "./JsonRpc.ts"
import * as Notifications from "./Notifications.ts"
import { type Answer, bodyText, type Outbound, type Peer, type SessionState, type StreamedBody } from "./Peer.ts"
import { MetaKey } from "./Protocol.ts"
import { Tasks } from "./Tasks.ts"

export interface StdioOptions extends MessageLimits {
  /** Time calls in flight get when the connection ends or the server stops (default 10000 ms). */
  readonly shutdownGraceMs?: number
  /** How long a tool waits for the client's answer to a server→client request (default 300000 ms). */
  readonly clientRequestTimeoutMs?: number
  /** Calls running at once on this connection; past it, `ServerBusy` with a retry hint (default 1000). */
  readonly maxInflightCalls?: number
  /** Longest input line in bytes (default 4 MiB, as `maxBodyBytes`); past it -32600, and the line is discarded unread. */
  readonly maxLineBytes?: number
  /** Open `subscriptions/listen` streams on this connection; past it, `ServerBusy` naming `maxListenStreamsPerPrincipal`, the setting the binary takes it from (default 100). */
  readonly maxListenStreams?: number
}

/** Serves one stdio connection until its input ends. */
export class StdioTransport extends Context.Service<StdioTransport, {
  /** Reads `input` line by line and answers on `output` until `input` ends, then drains. */
  readonly serve: (input: Readable, output: Writable, options?: StdioOptions) => Effect.Effect<void>
}>()("@tenfold/mcp/StdioTransport") {
  static layer = Layer.effect(StdioTransport, Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const notifications = yield* Notifications.Notifications
    const tasks = Option.getOrUndefined(yield* Effect.serviceOption(Tasks))
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const holdBytes = Option.getOrElse(yield* Effect.serviceOption(Streamer), () => defaultStreamer).bufferBytes
    const onDefect = (error: unknown) =>
      void runFork(Effect.logError("a stdio message failed with a defect; answered -32603", Cause.die(error)))

    const serve = (input: Readable, output: Writable, options: StdioOptions = {}) =>
      Effect.gen(function*() {
        const lines = new LineWriter(output)
        const write = (line: string) => lines.line(line)
        const limits = Limits.resolve(options)
        const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_REQUEST_BODY_SIZE
        const maxListens = options.maxListenStreams ?? 100
        const clientRequests = ClientRequests.makeState()
        const request = ClientRequests.request(clientRequests, write, options.clientRequestTimeoutMs ?? 300_000)
        const session: SessionState & { initialized: boolean } = {
          id: "stdio",
          logLevel: undefined,
          subscriptions: new Set(),
          initialized: false,
          send: write,
          request
        }
        /** The connection's one session peer, rebuilt by `initialize` only (not allocated per request). */
        let peer: Peer = { stateless: false, principal: undefined, clientCapabilities: {}, logLevel: undefined, session }
        const calls = yield* FiberSet.make<Answer>()
        const maxInflight = options.maxInflightCalls ?? 1000
        /** Calls running, by id for `notifications/cancelled` (a client may reuse an id: the set counts them). */
        const inflight = new Map<RequestId, Fiber.Fiber<Answer>>()
        const listens = new Map<RequestId, ListenFilter.ListenFilter>()
        let stopping = false

        const outbound: Outbound = { streaming: true, notify: (method, params) => write(notification(method, params)), request }
        const statelessOutbound: Outbound = { streaming: true, notify: outbound.notify, request: undefined }

        /** A streamed answer: whole when it ends within the hold, else one line written as it comes (its writer is a call of its own). */
        const streamed = (answer: Answer & { readonly stream: StreamedBody }) =>
          Effect.scoped(Effect.flatMap(StreamedResult.deliver(answer, holdBytes), (delivery) =>
            delivery._tag === "Whole" ? Effect.sync(() => write(bodyText({ body: delivery.body, status: 200 }))) : lines.streamed(delivery.bytes)
          )).pipe(Effect.catchTag("WriteClosed", () => Effect.void))

        /** Streamed answers being written, by request id: cancelling one, or shutting down, ends it well-formed. */
        const streaming = new Map<RequestId, StreamedBody>()
        const stopStream = (id: RequestId, reason: string) => {
          const body = streaming.get(id)
          if (body !== undefined) runFork(body.stop(reason))
        }

        const send = (id: RequestId, answer: Answer) => {
          if (answer.stream === undefined) return write(bodyText(answer))
          const body = answer.stream
          streaming.set(id, body)
          if (stopping) stopStream(id, SHUTDOWN_MESSAGE)
          const written = Effect.ensuring(streamed(answer as Answer & { readonly stream: StreamedBody }), Effect.sync(() => streaming.get(id) === body && streaming.delete(id)))
          FiberSet.addUnsafe(calls, runFork(Effect.as(written, answer)))
        }

        const answer = (id: RequestId, result: Answer | Effect.Effect<Answer>) => {
          if (!Effect.isEffect(result)) return send(id, result)
          if (Shutdown.running(calls) >= maxInflight) {
            return write(errorBytes(id, ErrorCode.ServerBusy, `Server busy: ${maxInflight} calls are in flight on this connection; retry later`, busyData("maxInflightCalls")))
          }
          const fiber = runFork(result)
          inflight.set(id, fiber)
          FiberSet.addUnsafe(calls, fiber)
          fiber.addObserver((exit) => {
            if (inflight.get(id) === fiber) inflight.delete(id)
            if (Exit.isSuccess(exit)) send(id, exit.value)
            else if (stopping) write(errorBytes(id, ErrorCode.InternalError, SHUTDOWN_MESSAGE))
            else if (!Cause.hasInterruptsOnly(exit.cause)) {
              onDefect(Cause.squash(exit.cause))
              write(errorBytes(id, ErrorCode.InternalError, "Internal error"))
            }
          })
        }

        const stateless = (id: RequestId, method: string, params: Record<string, unknown>, meta: Record<string, unknown>) => {
          const invalid = incomplete(meta) ?? unsupportedVersion(meta[MetaKey.protocolVersion] as string)
          if (invalid !== undefined) return write(errorBytes(id, invalid.code, invalid.message, invalid.data))
          const peer = peerOf(meta, undefined)
          if (method === "subscriptions/listen") return listen(id, params, peer)
          answer(id, dispatcher.handle(id, method, params, peer, statelessOutbound))
        }

        /** Opens a listen stream on this connection (at most `maxListens`; reusing an id replaces its stream). */
        const listen = (id: RequestId, params: Record<string, unknown>, peer: Peer) => {
          const filter = ListenFilter.parse(params.notifications, limits.listenFilter, declaresExtension(peer.clientCapabilities))
          if (filter instanceof ProtocolError) return write(errorBytes(id, filter.code, filter.message, filter.data))
          if (listens.size >= maxListens && !listens.has(id)) {
            return write(errorBytes(id, ErrorCode.ServerBusy, `Server busy: this connection already holds ${maxListens} subscriptions/listen streams; cancel one first`, busyData("maxListenStreamsPerPrincipal")))
          }
          listens.set(id, filter)
          write(ListenFilter.acknowledgement(filter, id))
        }

        const onMessage = (message: unknown) => {
          const kind = classify(message)
          switch (kind._tag) {
            case "Invalid":
              return write(errorBytes(kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`))
            case "Response":
              return ClientRequests.settle(clientRequests, kind.message)
            case "Notification": {
              const { method, params } = kind.message
              if (method === "notifications/initialized") session.initialized = true
              if (method === "notifications/cancelled" && isRequestId(params?.requestId)) {
                inflight.get(params.requestId)?.interruptUnsafe()
                stopStream(params.requestId, "The client cancelled the call; the result ends here")
                if (listens.delete(params.requestId)) {
                  write(resultBytes(params.requestId, JSON.stringify({ resultType: "complete", _meta: { [MetaKey.subscriptionId]: params.requestId } })))
                }
              }
              return
            }
            case "Request": {
              const { id, method } = kind.message
              const params = kind.message.params ?? {}
              const badToken = invalidProgressToken(params)
              if (badToken !== undefined) return write(errorBytes(id, badToken.code, badToken.message))
              if (hasEnvelope(params)) return stateless(id, method, params, params._meta)
              if (method === "initialize") {
                const capabilities = Limits.sessionCapabilities(params, limits.maxClientCapabilitiesBytes)
                if (capabilities instanceof ProtocolError) return write(errorBytes(id, capabilities.code, capabilities.message, capabilities.data))
                peer = { ...peer, clientCapabilities: capabilities }
                return write(resultBytes(id, JSON.stringify(dispatcher.initializeResult(params.protocolVersion).result)))
              }
              return answer(id, dispatcher.handle(id, method, params, peer, outbound))
            }
          }
        }

        /** One line, one message; whatever throws while handling it answers -32603 for it alone. */
        const onLine = (bytes: Buffer) => {
          if (exceedsDepth(bytes, limits.maxJsonDepth)) return write(Limits.tooDeep(limits.maxJsonDepth))
          const line = bytes.toString("utf8")
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
          // list changes and logs wait for notifications/initialized; resource updates follow a subscription
          if ((n._tag === "ResourceUpdated" || session.initialized) && Notifications.sessionWants(n, session)) {
            write(Notifications.sessionMessage(n))
          }
          for (const [id, filter] of listens) {
            const message = ListenFilter.messageFor(filter, n, id)
            if (message !== undefined) write(message)
          }
        }
        yield* Notifications.forEach(notifications, deliver)
        // the stateless tasks of this connection (no principal on stdio) reach its listen streams that name them;
        // its session's tasks end with the connection
        const statelessOwner = ownerOf({ session: undefined, principal: undefined })
        if (tasks !== undefined) {
          yield* Effect.addFinalizer(() => Effect.asVoid(tasks.dropOwner(ownerOf({ session, principal: undefined }))))
          yield* Effect.acquireRelease(
            Effect.sync(() =>
              tasks.watch((owner, task) => {
                if (owner !== statelessOwner) return
                for (const [id, filter] of listens) {
                  const message = ListenFilter.taskMessageFor(filter, task, id)
                  if (message !== undefined) write(message)
                }
              })
            ),
            (stop) => Effect.sync(stop)
          )
        }

        const tooLong = () => write(errorBytes(null, ErrorCode.InvalidRequest, `Invalid Request: the line is longer than ${maxLineBytes} bytes`))
        yield* Effect.callback<void>((resume) => {
          /** Stops reading; calls in flight get the grace period, then are cancelled with an answer. */
          const drain = Effect.suspend(() => {
            stopping = true
            stopReading()
            for (const id of streaming.keys()) stopStream(id, SHUTDOWN_MESSAGE)
            return Shutdown.drain(calls, options.shutdownGraceMs ?? 10_000)
          })
          const stopReading = readLines(input, maxLineBytes, { line: onLine, tooLong }, () => {
            if (!stopping) runFork(drain).addObserver(() => resume(Effect.void))
          })
          // interrupted (SIGINT/SIGTERM): drain before the interruption completes
          return drain
        })
      }).pipe(Effect.scoped)

    return StdioTransport.of({ serve })
  }))
}
