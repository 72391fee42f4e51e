/**
 * Streamable HTTP on `node:http`, for both revisions at one endpoint: stateless 2026-07-28
 * requests (per-request `_meta` envelope, `subscriptions/listen`) and 2025-11-25 sessions
 * (initialize, Mcp-Session-Id, GET SSE stream with `Last-Event-ID` resumption, DELETE).
 *
 * This is the one place Tenfold talks to `node:http` directly: a general HTTP framework per
 * request costs more than the whole tool call (see bench/). The wiring lives here; the request
 * gate, the exchange, the stateless handler and session HTTP are modules of their own.
 */
import { DEFAULT_MAX_REQUEST_BODY_SIZE } from "@modelcontextprotocol/server"
import { Compression, defaultStreamer, Streamer } from "@tenfold/streaming"
import { Cause, Context, Effect, Layer, Option, Schedule } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Dispatcher } from "./Dispatcher.ts"
import { EventStore } from "./EventStore.ts"
import { makeCalls, type StreamSupport } from "./internal/Exchange.ts"
import { hasEnvelope } from "./internal/Envelope.ts"
import * as Gate from "./internal/Gate.ts"
import { header, pathOf } from "./internal/Headers.ts"
import * as Limits from "./internal/Limits.ts"
import type { MessageLimits } from "./internal/Limits.ts"
import { Quota } from "./internal/Quota.ts"
import { replyDefect, replyError, TRANSPORT_ERROR } from "./internal/Reply.ts"
import { ownerOf } from "./internal/TaskWire.ts"
import * as SessionHttp from "./internal/SessionHttp.ts"
import * as StatelessHttp from "./internal/StatelessHttp.ts"
import { classify, ErrorCode, isObject, isRequestId } from "./JsonRpc.ts"
import * as Notifications from "./Notifications.ts"
import { STATELESS_REVISION } from "./Protocol.ts"
import { Sessions } from "./Sessions.ts"
import { Tasks } from "./Tasks.ts"
import { ToolRegistry } from "./ToolRegistry.ts"

/** The gate's options (Host/Origin checks, bearer tokens), the message bounds, and the transport's own. */
export interface HttpTransportOptions extends MessageLimits, Gate.GateOptions {
  /** The MCP endpoint path (default `/mcp`). */
  readonly path?: string
  /** Largest accepted request body in bytes (default 4 MiB); larger answers 413. */
  readonly maxBodyBytes?: number
  /** Interval of SSE keep-alive comments (default 15000 ms). */
  readonly keepAliveMs?: number
  /** How long a tool waits for the client's answer to a server→client request (default 300000 ms). */
  readonly clientRequestTimeoutMs?: number
  /** Calls running at once on this instance; past it, `ServerBusy` with a retry hint (default 1000). */
  readonly maxInflightCalls?: number
  /** Open `subscriptions/listen` streams on this instance (default 10000). */
  readonly maxListenStreams?: number
  /** Open `subscriptions/listen` streams of one principal or client address (default 100). */
  readonly maxListenStreamsPerPrincipal?: number
  /**
   * gzip/brotli for JSON answers of at least `thresholdBytes` (default 1 KiB) when the client's
   * `Accept-Encoding` allows (default on); `false` turns it off. SSE streams are never compressed.
   */
  readonly compression?: Compression.CompressionOptions | false
}

/** Handles MCP over HTTP; mount `handle` on any `node:http` server. */
export class HttpTransport extends Context.Service<HttpTransport, {
  /** The MCP endpoint path. */
  readonly path: string
  /** Serves a request for the MCP endpoint: path check, gate, then MCP. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
  /** Admits a request to any route (Host/Origin, auth) or answers the refusal itself. */
  readonly gate: (req: IncomingMessage, res: ServerResponse) => Gate.Admission
  /** Serves MCP for a request the gate admitted (the route table's entry for `path`). */
  readonly serve: (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => void
  /** Lets calls in flight finish for up to `graceMs`, then cancels the rest, each with an answer. */
  readonly drain: (graceMs: number) => Effect.Effect<void>
  /** Calls currently running. */
  readonly inflight: () => number
  /** Answers -32603 for a request whose handling threw, and logs the error. */
  readonly defect: (res: ServerResponse, error: unknown) => void
}>()("@tenfold/mcp/HttpTransport") {
  static layer = (options: HttpTransportOptions = {}) => Layer.effect(HttpTransport, make(options))
}

/** A revision at or after the stateless one (dated revisions compare as strings). */
const isModernVersion = (v: string) => v >= STATELESS_REVISION

export const make = (options: HttpTransportOptions = {}) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const sessions = yield* Sessions
    const events = yield* EventStore
    const tools = yield* ToolRegistry
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const runPromise = Effect.runPromiseWith(context)

    const path = options.path ?? "/mcp"
    const limits = Limits.resolve(options)
    const bodyLimits: Gate.BodyLimits = { maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_SIZE, maxDepth: limits.maxJsonDepth }
    const clientRequestTimeoutMs = options.clientRequestTimeoutMs ?? 300_000
    const gate = Gate.make(options)

    const onDefect = (error: unknown) =>
      void runFork(Effect.logError("an HTTP request failed with a defect; answered -32603", Cause.die(error)))
    const streamer = Option.getOrElse(yield* Effect.serviceOption(Streamer), () => defaultStreamer)
    const support: StreamSupport = {
      compression: options.compression === false ? undefined : Compression.resolve(options.compression),
      holdBytes: streamer.bufferBytes,
      record: (streamId, message) => runPromise(events.append(streamId, message)),
      onError: (error) => void runFork(Effect.logError("an SSE stream could not be recorded in the event store; the stream was ended", Cause.die(error)))
    }
    const calls = yield* makeCalls(options.maxInflightCalls ?? 1000, onDefect)
    const stateless = StatelessHttp.make({
      dispatcher,
      tools,
      calls,
      support,
      listenQuota: new Quota(options.maxListenStreams ?? 10_000, options.maxListenStreamsPerPrincipal ?? 100),
      listenFilter: limits.listenFilter,
      clientRequestTimeoutMs
    })
    const session = SessionHttp.make({
      dispatcher,
      sessions,
      events,
      calls,
      support,
      clientRequestTimeoutMs,
      maxClientCapabilitiesBytes: limits.maxClientCapabilitiesBytes,
      runFork,
      onDefect
    })

    yield* Notifications.forEach(yield* Notifications.Notifications, (n) => {
      stateless.deliver(n)
      session.deliver(n)
    })
    // 2026-07-28 task status changes reach the owner's listen streams that name the task (tasksStatus)
    const tasks = yield* Effect.serviceOption(Tasks)
    if (Option.isSome(tasks)) {
      yield* Effect.acquireRelease(Effect.sync(() => tasks.value.watch(stateless.deliverTask)), (stop) => Effect.sync(stop))
      // a 2025-11-25 session's tasks cannot be reached once it is closed: they go with it
      const dropTasks = (id: string) => Effect.asVoid(tasks.value.dropOwner(ownerOf({ session: { id }, principal: undefined })))
      yield* Effect.acquireRelease(Effect.sync(() => sessions.onClose(dropTasks)), (stop) => Effect.sync(stop))
    }
    const keepAlive = Effect.sync(() => {
      stateless.keepAlive()
      session.keepAlive()
    }).pipe(Effect.catchCause((cause) => Effect.logError("SSE keep-alive failed", cause)))
    yield* Effect.forkScoped(Effect.repeat(keepAlive, Schedule.spaced(options.keepAliveMs ?? 15_000)))
    yield* Effect.addFinalizer(() => Effect.sync(stateless.close))

    const onMessage = (req: IncomingMessage, res: ServerResponse, body: unknown, principal: string | undefined) => {
      const quotaKey = principal ?? req.socket.remoteAddress ?? ""
      if (Array.isArray(body)) return session.batch(req, res, body, principal)
      if (!isObject(body)) return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: a JSON-RPC message must be an object")
      const claims = hasEnvelope(body.params)
      const versionHeader = header(req, "mcp-protocol-version")
      if (typeof body.method === "string" && (claims || (versionHeader !== undefined && isModernVersion(versionHeader) && header(req, "mcp-session-id") === undefined))) {
        const kind = classify(body)
        if (kind._tag === "Invalid") return replyError(res, 400, kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`)
        return stateless.handle(req, res, body, versionHeader, principal, quotaKey)
      }
      session.post(req, res, body, principal, quotaKey)
    }

    /** Handles one parsed body; whatever throws answers -32603 for this request alone. */
    const onBody: Gate.OnBody = (req, res, body, principal) => {
      try {
        onMessage(req, res, body, principal)
      } catch (error) {
        onDefect(error)
        replyDefect(res, isObject(body) && isRequestId(body.id) ? body.id : null)
      }
    }

    const serve = (req: IncomingMessage, res: ServerResponse, principal: string | undefined): void => {
      if (calls.shuttingDown()) {
        return replyError(res, 503, null, TRANSPORT_ERROR, "Service Unavailable: the server is shutting down", undefined, { connection: "close" })
      }
      switch (req.method) {
        case "POST":
          return Gate.readJson(req, res, bodyLimits, principal, onBody)
        case "GET":
          return session.get(req, res, principal)
        case "DELETE":
          return session.remove(req, res, principal)
        default:
          return replyError(res, 405, null, TRANSPORT_ERROR, "Method Not Allowed", undefined, { allow: "GET, POST, DELETE" })
      }
    }

    const defect = (res: ServerResponse, error: unknown) => {
      onDefect(error)
      replyDefect(res, null)
    }

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      try {
        if (pathOf(req.url) !== path) return replyError(res, 404, null, TRANSPORT_ERROR, `Not Found: the MCP endpoint is ${path}`)
        const principal = gate(req, res)
        if (principal !== Gate.DENIED) serve(req, res, principal)
      } catch (error) {
        defect(res, error)
      }
    }

    return HttpTransport.of({ path, handle, gate, serve, drain: calls.drain, inflight: calls.size, defect })
  })
