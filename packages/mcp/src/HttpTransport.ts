/**
 * Streamable HTTP on `node:http`, for both revisions at one endpoint: stateless 2026-07-28
 * requests (per-request `_meta` envelope, `subscriptions/listen`) and 2025-11-25 sessions
 * (initialize, Mcp-Session-Id, GET SSE stream with `Last-Event-ID` resumption, DELETE).
 *
 * This is the one place Tenfold talks to `node:http` directly: a general HTTP framework per
 * request costs more than the whole tool call (see bench/). Each message is handed to the
 * dispatcher; only calls that do work run as fibers.
 */
import { localhostAllowedHostnames, validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server"
import { Context, Effect, Exit, Fiber, Layer } from "effect"
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { principalOf, type Tokens } from "./Auth.ts"
import { Dispatcher } from "./Dispatcher.ts"
import { type Answer, bodyText, type Outbound, type Peer } from "./Peer.ts"
import { EventStore } from "./EventStore.ts"
import * as ClientRequests from "./internal/ClientRequests.ts"
import { incomplete, missingKeys, peerOf, unsupportedVersion } from "./internal/Envelope.ts"
import { acceptsAny, decodeHeaderValue, header, headerText, memoize } from "./internal/Headers.ts"
import * as Shutdown from "./internal/Shutdown.ts"
import { SHUTDOWN_MESSAGE } from "./internal/Shutdown.ts"
import { SSE_HEADERS, frame, SseStream } from "./internal/Sse.ts"
import {
  classify,
  ErrorCode,
  errorBytes,
  isObject,
  isRequestId,
  notification,
  ProtocolError,
  type RequestId,
  resultBytes
} from "./JsonRpc.ts"
import { LIST_CHANGED_FILTER, McpErrorCode, MetaKey, SESSION_REVISIONS, STATELESS_REVISION } from "./Protocol.ts"
import { ResourceRegistry } from "./ResourceRegistry.ts"
import { type Session, Sessions } from "./Sessions.ts"
import { ToolRegistry } from "./ToolRegistry.ts"

export interface HttpTransportOptions {
  /** The MCP endpoint path (default `/mcp`). */
  readonly path?: string
  /** Largest accepted request body in bytes (default 4 MiB); larger answers 413. */
  readonly maxBodyBytes?: number
  /** Check Host and Origin against loopback names (on by default; turn off only behind a proxy that does). */
  readonly dnsRebindingProtection?: boolean
  /** Host names allowed besides the loopback ones. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Origin host names allowed besides the loopback ones. */
  readonly allowedOrigins?: ReadonlyArray<string>
  /** When non-empty, every request needs `Authorization: Bearer <token>`. */
  readonly tokens?: Tokens
  /** Interval of SSE keep-alive comments (default 15000 ms). */
  readonly keepAliveMs?: number
  /** How long a tool waits for the client's answer to a server→client request (default 300000 ms). */
  readonly clientRequestTimeoutMs?: number
}


/** The `retry:` a resumable stream tells clients to wait before reconnecting, in ms. */
const RETRY_MS = 1000

const NAME_FIELD: Readonly<Record<string, string>> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" }

interface ListenStream {
  readonly id: RequestId
  readonly sse: SseStream
  readonly filter: Record<string, unknown>
}


const isModernVersion = (v: string) => v >= STATELESS_REVISION

/** Handles MCP over HTTP; mount `handle` on any `node:http` server. */
export class HttpTransport extends Context.Service<HttpTransport, {
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
  /** Lets calls in flight finish for up to `graceMs`, then cancels the rest, each with an answer. */
  readonly drain: (graceMs: number) => Effect.Effect<void>
  /** Calls currently running. */
  readonly inflight: () => number
}>()("@tenfold/mcp/HttpTransport") {
  static layer = (options: HttpTransportOptions = {}) => Layer.effect(HttpTransport, make(options))
}

export const make = (options: HttpTransportOptions = {}) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const sessions = yield* Sessions
    const events = yield* EventStore
    const resources = yield* ResourceRegistry
    const tools = yield* ToolRegistry
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const runPromise = Effect.runPromiseWith(context)

    const path = options.path ?? "/mcp"
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    const protection = options.dnsRebindingProtection ?? true
    const allowedHosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? [])]
    const allowedOrigins = [...localhostAllowedHostnames(), ...(options.allowedOrigins ?? [])]
    const checkHost = memoize((host) => validateHostHeader(host, allowedHosts))
    const checkOrigin = memoize((origin) => validateOriginHeader(origin, allowedOrigins))
    const tokens = options.tokens ?? new Map<string, string>()
    const clientRequestTimeoutMs = options.clientRequestTimeoutMs ?? 300_000
    const inflight = new Set<Fiber.Fiber<unknown>>()
    const listeners = new Set<ListenStream>()
    let shuttingDown = false

    const record = (streamId: string, message: string) => runPromise(events.append(streamId, message))

    // ---- plain replies -----------------------------------------------------------------------

    const reply = (res: ServerResponse, status: number, body: string | Uint8Array, extra?: Record<string, string>) => {
      const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...extra }
      res.writeHead(status, headers)
      res.end(body)
    }

    const replyProtocolError = (res: ServerResponse, status: number, id: RequestId | null, e: ProtocolError) =>
      replyError(res, status, id, e.code, e.message, e.data)

    const replyError = (res: ServerResponse, status: number, id: RequestId | null, code: number, message: string, data?: unknown, extra?: Record<string, string>) =>
      reply(res, status, errorBytes(id, code, message, data), extra)

    // ---- one request/response exchange -------------------------------------------------------

    /**
     * The response to one POSTed request: plain JSON, upgraded to SSE the moment the call sends
     * a notification or a server→client request before its result.
     */
    class Exchange {
      readonly res: ServerResponse
      readonly session: Session | undefined
      sse: SseStream | undefined
      done = false
      constructor(res: ServerResponse, session: Session | undefined) {
        this.res = res
        this.session = session
      }
      #headers(): Record<string, string> | undefined {
        return this.session === undefined ? undefined : { "mcp-session-id": this.session.id }
      }
      #stream(): SseStream {
        if (this.sse === undefined) {
          const extra = this.#headers()
          this.res.writeHead(200, extra === undefined ? SSE_HEADERS : { ...SSE_HEADERS, ...extra })
          if (this.session === undefined) {
            this.sse = new SseStream(`stateless/${randomUUID()}`, this.res)
          } else {
            this.sse = new SseStream(`${this.session.id}/${randomUUID()}`, this.res, record)
            this.session.streams.set(this.sse.streamId, this.sse)
            this.sse.prime(RETRY_MS)
          }
        }
        return this.sse
      }
      send(message: string): void {
        if (!this.done) this.#stream().send(message)
      }
      finish(answer: Answer): void {
        if (this.done) return
        this.done = true
        if (this.sse === undefined) {
          reply(this.res, answer.status, answer.body, this.#headers())
        } else {
          const sse = this.sse
          sse.send(bodyText(answer))
          void sse.end().then(() => this.session?.streams.delete(sse.streamId))
        }
      }
      /**
       * Ends the HTTP response now but keeps the call's stream: the client reconnects with
       * `Last-Event-ID` and gets the rest, the answer included (sessions only; elsewhere a no-op).
       */
      closeStream(): void {
        if (this.done || this.session === undefined) return
        this.#stream().release()
      }
      /** Ends the exchange without an answer (the client cancelled the call). */
      abort(): void {
        if (this.done) return
        this.done = true
        if (this.sse === undefined) {
          if (!this.res.headersSent && !this.res.destroyed) this.res.writeHead(202, this.#headers()).end()
        } else {
          const sse = this.sse
          void sse.end().then(() => this.session?.streams.delete(sse.streamId))
        }
      }
    }

    const outboundOf = (exchange: Exchange, session: Session | undefined): Outbound => ({
      notify: (method, params) => exchange.send(notification(method, params)),
      closeStream: () => exchange.closeStream(),
      request: session === undefined ? undefined : ClientRequests.request(session, (message) => exchange.send(message), clientRequestTimeoutMs)
    })

    /**
     * The way back for a 2025-11-25 client that does not accept SSE: the answer is plain JSON, so
     * notifications are dropped and the server cannot ask the client anything during the call.
     */
    const jsonOnly: Outbound = {
      notify: () => {},
      request: (method) =>
        Effect.fail(new ProtocolError({ code: ErrorCode.InvalidRequest, message: `Cannot send ${method}: the request does not accept text/event-stream` }))
    }

    /** Runs an answer that needs work as a fiber; client disconnects and shutdown cancel it. */
    const runExchange = (answer: Answer | Effect.Effect<Answer>, exchange: Exchange, id: RequestId) => {
      if (!Effect.isEffect(answer)) return exchange.finish(answer)
      const fiber = runFork(answer)
      const polled = fiber.pollUnsafe()
      if (polled !== undefined && Exit.isSuccess(polled)) return exchange.finish(polled.value)
      inflight.add(fiber)
      exchange.session?.inflight.set(id, fiber)
      fiber.addObserver((exit) => {
        inflight.delete(fiber)
        if (exchange.session?.inflight.get(id) === fiber) exchange.session.inflight.delete(id)
        if (Exit.isSuccess(exit)) exchange.finish(exit.value)
        else if (shuttingDown) exchange.finish({ body: errorBytes(id, ErrorCode.InternalError, SHUTDOWN_MESSAGE), status: 503 })
        else exchange.abort()
      })
      exchange.res.on("close", () => {
        // a stateless call has no way back once its connection is gone; a session's SSE stream can be resumed
        if (!exchange.done && (exchange.session === undefined || exchange.sse === undefined)) fiber.interruptUnsafe()
      })
    }

    // ---- 2026-07-28: stateless ---------------------------------------------------------------

    const handleStateless = (req: IncomingMessage, res: ServerResponse, message: Record<string, unknown>, principal: string | undefined) => {
      const id = isRequestId(message.id) ? message.id : null
      const method = message.method as string
      const params = message.params as Record<string, unknown> | undefined
      const meta = params?._meta
      const versionHeader = header(req, "mcp-protocol-version")
      if (!isObject(meta) || !(MetaKey.protocolVersion in meta)) {
        if (method === "initialize") {
          return replyError(res, 400, id, McpErrorCode.HeaderMismatch, `Bad Request: initialize (the 2025-11-25 handshake) was sent with the MCP-Protocol-Version header ${versionHeader}`)
        }
        return replyError(res, 400, id, ErrorCode.InvalidParams, `Invalid params: the MCP-Protocol-Version header names protocol revision ${versionHeader}, but the request is missing the required _meta envelope`, { envelope: { missing: ["_meta." + MetaKey.protocolVersion] } })
      }
      const missing = missingKeys(meta)
      if (missing.length > 0) return replyProtocolError(res, 400, id, incomplete(missing))
      const version = meta[MetaKey.protocolVersion] as string
      if (versionHeader !== undefined && versionHeader !== version) {
        return replyError(res, 400, id, McpErrorCode.HeaderMismatch, `Bad Request: the MCP-Protocol-Version header (${versionHeader}) and _meta protocolVersion (${version}) disagree`, { mismatch: { header: versionHeader, body: version } })
      }
      const methodHeader = header(req, "mcp-method")
      if (methodHeader !== undefined && methodHeader !== method) {
        return replyError(res, 400, id, McpErrorCode.HeaderMismatch, `Bad Request: the Mcp-Method header (${methodHeader}) and the body method (${method}) disagree`, { mismatch: { header: methodHeader, body: method } })
      }
      const unsupported = unsupportedVersion(version)
      if (unsupported !== undefined) return replyProtocolError(res, 400, id, unsupported)
      if (id === null) {
        // notifications: cancellation over HTTP is closing the response stream, so nothing to do
        res.writeHead(202).end()
        return
      }
      if (versionHeader === undefined) return replyError(res, 400, id, McpErrorCode.HeaderMismatch, "Bad Request: the MCP-Protocol-Version header is required", { mismatch: { header: "(missing)", body: version } })
      if (methodHeader === undefined) return replyError(res, 400, id, McpErrorCode.HeaderMismatch, "Bad Request: the Mcp-Method header is required", { mismatch: { header: "(missing)", body: method } })
      const nameField = NAME_FIELD[method]
      if (nameField !== undefined && typeof params?.[nameField] === "string") {
        const raw = header(req, "mcp-name")
        const value = raw === undefined ? undefined : decodeHeaderValue(raw)
        if (value !== params[nameField]) {
          return replyError(res, 400, id, McpErrorCode.HeaderMismatch, raw === undefined ? "Bad Request: the Mcp-Name header is required" : `Bad Request: the Mcp-Name header (${raw}) and params.${nameField} disagree`, { mismatch: { header: raw ?? "(missing)", body: String(params[nameField]) } })
        }
      }
      if (method === "tools/call" && typeof params?.name === "string") {
        const mismatch = paramHeaderMismatch(req, params.name, params.arguments)
        if (mismatch !== undefined) return replyError(res, 400, id, McpErrorCode.HeaderMismatch, mismatch.message, { mismatch: mismatch.data })
      }
      const peer = peerOf(meta, principal)
      if (method === "subscriptions/listen") return listen(res, id, params)
      const exchange = new Exchange(res, undefined)
      runExchange(dispatcher.handle(id, method, params, peer, outboundOf(exchange, undefined)), exchange, id)
    }

    /** Checks the `Mcp-Param-*` headers a tool's `x-mcp-header` arguments require; undefined when they agree. */
    const paramHeaderMismatch = (req: IncomingMessage, name: string, args: unknown) => {
      const tool = tools.catalog.get(name)
      if (tool === undefined || tool.paramHeaders.length === 0) return undefined
      for (const { argument, header: headerName } of tool.paramHeaders) {
        const expected = headerText(isObject(args) ? args[argument] : undefined)
        if (expected === undefined) continue
        const raw = header(req, headerName)
        const value = raw === undefined ? undefined : decodeHeaderValue(raw)
        if (value !== expected) {
          return {
            message: raw === undefined
              ? `Bad Request: the ${headerName} header is required for argument ${argument}`
              : value === undefined
              ? `Bad Request: the ${headerName} header is not valid base64`
              : `Bad Request: the ${headerName} header and argument ${argument} disagree`,
            data: { header: raw ?? "(missing)", body: `arguments.${argument}` }
          }
        }
      }
      return undefined
    }

    const listen = (res: ServerResponse, id: RequestId, params: Record<string, unknown> | undefined) => {
      const requested = params?.notifications
      if (!isObject(requested)) {
        return reply(res, 200, errorBytes(id, ErrorCode.InvalidParams, "Invalid params: 'notifications' is required and must be a valid SubscriptionFilter"))
      }
      const filter: Record<string, unknown> = {}
      for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"]) {
        if (requested[key] === true) filter[key] = true
      }
      if (Array.isArray(requested.resourceSubscriptions) && requested.resourceSubscriptions.length > 0) {
        filter.resourceSubscriptions = requested.resourceSubscriptions.filter((u) => typeof u === "string")
      }
      res.writeHead(200, SSE_HEADERS)
      const stream: ListenStream = { id, sse: new SseStream(`listen/${String(id)}`, res), filter }
      stream.sse.send(notification("notifications/subscriptions/acknowledged", { _meta: { [MetaKey.subscriptionId]: id }, notifications: filter }))
      listeners.add(stream)
      res.on("close", () => {
        listeners.delete(stream)
        void stream.sse.end()
      })
    }

    // ---- 2025-11-25: sessions ----------------------------------------------------------------

    const sessionFor = (req: IncomingMessage, res: ServerResponse, id: RequestId | null, principal: string | undefined): Session | undefined => {
      const sessionId = header(req, "mcp-session-id")
      if (sessionId === undefined) {
        replyError(res, 400, id, -32000, "Bad Request: Mcp-Session-Id header is required (send initialize first, or use the 2026-07-28 _meta envelope)")
        return undefined
      }
      const session = sessions.get(sessionId)
      if (session === undefined || session.principal !== principal) {
        replyError(res, 404, id, McpErrorCode.SessionNotFound, "Session not found")
        return undefined
      }
      const version = header(req, "mcp-protocol-version")
      if (version !== undefined && !SESSION_REVISIONS.includes(version)) {
        replyError(res, 400, id, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SESSION_REVISIONS.join(", ")})`)
        return undefined
      }
      sessions.touch(session)
      return session
    }

    const initialize = (req: IncomingMessage, res: ServerResponse, id: RequestId, params: Record<string, unknown> | undefined, principal: string | undefined) => {
      if (header(req, "mcp-session-id") !== undefined) {
        return replyError(res, 400, id, ErrorCode.InvalidRequest, "Invalid Request: Server already initialized")
      }
      const { protocolVersion, result } = dispatcher.initializeResult(params?.protocolVersion)
      const session = sessions.create({
        protocolVersion,
        principal,
        clientCapabilities: isObject(params?.capabilities) ? params.capabilities : {}
      })
      if (session === undefined) return replyError(res, 503, id, -32000, "Too many sessions; try again later")
      reply(res, 200, resultBytes(id, JSON.stringify(result)), { "mcp-session-id": session.id })
    }

    const handleSession = (req: IncomingMessage, res: ServerResponse, message: Record<string, unknown>, principal: string | undefined) => {
      const kind = classify(message)
      if (kind._tag === "Invalid") return replyError(res, 400, kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`)
      if (kind._tag === "Request" && kind.message.method === "initialize") {
        return initialize(req, res, kind.message.id, kind.message.params, principal)
      }
      const session = sessionFor(req, res, kind._tag === "Request" ? kind.message.id : null, principal)
      if (session === undefined) return
      switch (kind._tag) {
        case "Notification":
          onSessionNotification(session, kind.message.method, kind.message.params)
          res.writeHead(202, { "mcp-session-id": session.id }).end()
          return
        case "Response": {
          ClientRequests.settle(session, kind.message)
          res.writeHead(202, { "mcp-session-id": session.id }).end()
          return
        }
        case "Request": {
          const { id, method, params } = kind.message
          if (!acceptsAny(header(req, "accept"), ["application/json", "text/event-stream"])) {
            return replyError(res, 406, id, -32000, "Not Acceptable: Client must accept application/json and text/event-stream")
          }
          const peer: Peer = { stateless: false, principal, clientCapabilities: session.clientCapabilities, logLevel: undefined, session }
          const exchange = new Exchange(res, session)
          const streams = acceptsAny(header(req, "accept"), ["text/event-stream"])
          runExchange(dispatcher.handle(id, method, params, peer, streams ? outboundOf(exchange, session) : jsonOnly), exchange, id)
        }
      }
    }

    const onSessionNotification = (session: Session, method: string, params: Record<string, unknown> | undefined) => {
      if (method === "notifications/initialized") session.initialized = true
      else if (method === "notifications/cancelled" && isRequestId(params?.requestId)) {
        session.inflight.get(params.requestId)?.interruptUnsafe()
      }
    }

    /** A JSON-RPC batch (2025-11-25 only): every request answered in one JSON array. */
    const handleBatch = (req: IncomingMessage, res: ServerResponse, batch: ReadonlyArray<unknown>, principal: string | undefined) => {
      if (batch.length === 0) return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: empty batch")
      if (batch.length > 100) return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: a batch may hold at most 100 messages")
      if (batch.some((m) => isObject(m) && isObject(m.params) && isObject(m.params._meta) && MetaKey.protocolVersion in m.params._meta)) {
        return replyError(res, 400, null, ErrorCode.InvalidRequest, `Bad Request: JSON-RPC batches may not contain requests for protocol revision ${STATELESS_REVISION} or later`)
      }
      if (batch.some((m) => isObject(m) && m.method === "initialize")) {
        return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: initialize must not be part of a batch")
      }
      const session = sessionFor(req, res, null, principal)
      if (session === undefined) return
      const peer: Peer = { stateless: false, principal, clientCapabilities: session.clientCapabilities, logLevel: undefined, session }
      const answers: Array<Effect.Effect<Answer>> = []
      for (const m of batch) {
        const kind = classify(m)
        if (kind._tag === "Invalid") answers.push(Effect.succeed({ body: errorBytes(kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`), status: 200 }))
        else if (kind._tag === "Notification") onSessionNotification(session, kind.message.method, kind.message.params)
        else if (kind._tag === "Response") {
          ClientRequests.settle(session, kind.message)
        } else {
          const answer = dispatcher.handle(kind.message.id, kind.message.method, kind.message.params, peer, { notify: () => {}, request: undefined })
          answers.push(Effect.isEffect(answer) ? answer : Effect.succeed(answer))
        }
      }
      if (answers.length === 0) return void res.writeHead(202, { "mcp-session-id": session.id }).end()
      const fiber = runFork(Effect.all(answers, { concurrency: "unbounded" }))
      inflight.add(fiber)
      fiber.addObserver((exit) => {
        inflight.delete(fiber)
        if (Exit.isSuccess(exit)) reply(res, 200, `[${exit.value.map(bodyText).join(",")}]`, { "mcp-session-id": session.id })
        else replyError(res, 503, null, ErrorCode.InternalError, "The batch was cancelled")
      })
    }

    // ---- HTTP methods ------------------------------------------------------------------------

    const onPost = (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => {
      const contentType = req.headers["content-type"]
      if (contentType === undefined || !contentType.toLowerCase().includes("application/json")) {
        req.resume()
        return replyError(res, 415, null, -32000, "Unsupported Media Type: Content-Type must be application/json")
      }
      const declared = Number(req.headers["content-length"])
      if (declared > maxBodyBytes) {
        req.resume()
        return replyError(res, 413, null, -32000, `Payload Too Large: the body exceeds ${maxBodyBytes} bytes`, undefined, { connection: "close" })
      }
      const chunks: Array<Buffer> = []
      let size = 0
      let tooLarge = false
      req.on("data", (chunk: Buffer) => {
        if (tooLarge) return
        size += chunk.length
        if (size > maxBodyBytes) {
          tooLarge = true
          replyError(res, 413, null, -32000, `Payload Too Large: the body exceeds ${maxBodyBytes} bytes`, undefined, { connection: "close" })
          req.resume()
          return
        }
        chunks.push(chunk)
      })
      req.on("end", () => {
        if (tooLarge) return
        let body: unknown
        try {
          body = JSON.parse(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"))
        } catch {
          return replyError(res, 400, null, ErrorCode.ParseError, "Parse error: the request body is not valid JSON")
        }
        onMessage(req, res, body, principal)
      })
    }

    const onMessage = (req: IncomingMessage, res: ServerResponse, body: unknown, principal: string | undefined) => {
      if (Array.isArray(body)) return handleBatch(req, res, body, principal)
      if (!isObject(body)) return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: a JSON-RPC message must be an object")
      const params = body.params
      const claims = isObject(params) && isObject(params._meta) && MetaKey.protocolVersion in params._meta
      const versionHeader = header(req, "mcp-protocol-version")
      if (typeof body.method === "string" && (claims || (versionHeader !== undefined && isModernVersion(versionHeader) && header(req, "mcp-session-id") === undefined))) {
        const kind = classify(body)
        if (kind._tag === "Invalid") return replyError(res, 400, kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`)
        return handleStateless(req, res, body, principal)
      }
      handleSession(req, res, body, principal)
    }

    const onGet = (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => {
      if (!acceptsAny(header(req, "accept"), ["text/event-stream"])) {
        return replyError(res, 406, null, -32000, "Not Acceptable: Client must accept text/event-stream")
      }
      if (header(req, "mcp-session-id") === undefined) {
        return replyError(res, 405, null, -32000, "Method Not Allowed: GET opens a 2025-11-25 session stream and needs Mcp-Session-Id; 2026-07-28 clients use POST subscriptions/listen", undefined, { allow: "POST, DELETE" })
      }
      const session = sessionFor(req, res, null, principal)
      if (session === undefined) return
      const lastEventId = header(req, "last-event-id")
      if (lastEventId !== undefined) return resume(res, session, lastEventId)
      if (session.standalone?.connected === true) {
        return replyError(res, 409, null, -32000, "Conflict: Only one SSE stream is allowed per session")
      }
      res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": session.id })
      res.flushHeaders()
      if (session.standalone === undefined || session.standalone.closed) {
        session.standalone = new SseStream(`${session.id}/standalone`, res, record)
      } else {
        session.standalone.attach(res)
      }
      const stream = session.standalone
      res.on("close", () => stream.detach(res))
    }

    const resume = (res: ServerResponse, session: Session, lastEventId: string) => {
      if (!lastEventId.startsWith(`${session.id}/`)) return replyError(res, 400, null, -32000, "Bad Request: Invalid event ID")
      runFork(events.replayAfter(lastEventId, () => {}).pipe(
        Effect.flatMap((streamId) => {
          res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": session.id })
          return events.replayAfter(lastEventId, (eventId, message) => res.write(frame(message, eventId))).pipe(Effect.as(streamId))
        }),
        Effect.match({
          onFailure: () => replyError(res, 400, null, -32000, "Bad Request: unknown or expired Last-Event-ID"),
          onSuccess: (streamId) => {
            const stream = streamId === `${session.id}/standalone` ? session.standalone : session.streams.get(streamId)
            if (stream === undefined || stream.closed) return void res.end()
            stream.attach(res)
            res.on("close", () => stream.detach(res))
          }
        })
      ))
    }

    const onDelete = (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => {
      const session = sessionFor(req, res, null, principal)
      if (session === undefined) return
      runFork(sessions.close(session.id)).addObserver(() => res.writeHead(200).end())
    }

    // ---- change fan-out ----------------------------------------------------------------------

    const stopListChanged = dispatcher.onListChanged((method) => {
      for (const stream of listeners) {
        const key = LIST_CHANGED_FILTER[method]
        if (key !== undefined && stream.filter[key] === true) {
          stream.sse.send(notification(method, { _meta: { [MetaKey.subscriptionId]: stream.id } }))
        }
      }
      for (const session of sessions.all()) session.standalone?.send(notification(method))
    })
    const stopUpdated = resources.onUpdated((uri) => {
      for (const stream of listeners) {
        const subs = stream.filter.resourceSubscriptions
        if (Array.isArray(subs) && subs.includes(uri)) {
          stream.sse.send(notification("notifications/resources/updated", { uri, _meta: { [MetaKey.subscriptionId]: stream.id } }))
        }
      }
      for (const session of sessions.all()) {
        if (session.subscriptions.has(uri)) session.standalone?.send(notification("notifications/resources/updated", { uri }))
      }
    })
    const keepAlive = setInterval(() => {
      for (const stream of listeners) stream.sse.keepAlive()
      for (const session of sessions.all()) {
        session.standalone?.keepAlive()
        for (const stream of session.streams.values()) stream.keepAlive()
      }
    }, options.keepAliveMs ?? 15_000)
    keepAlive.unref()
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        stopListChanged()
        stopUpdated()
        clearInterval(keepAlive)
        for (const stream of listeners) void stream.sse.end()
        listeners.clear()
      })
    )

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const url = req.url ?? "/"
      const q = url.indexOf("?")
      if ((q === -1 ? url : url.slice(0, q)) !== path) return replyError(res, 404, null, -32000, `Not Found: the MCP endpoint is ${path}`)
      if (protection) {
        const host = checkHost(req.headers.host)
        if (!host.ok) return replyError(res, 403, null, -32000, `Forbidden: ${host.message}`)
        const origin = checkOrigin(req.headers.origin)
        if (!origin.ok) return replyError(res, 403, null, -32000, `Forbidden: ${origin.message}`)
      }
      let principal: string | undefined
      if (tokens.size > 0) {
        principal = principalOf(tokens, req.headers.authorization)
        if (principal === undefined) {
          return replyError(res, 401, null, -32000, "Unauthorized: a valid bearer token is required", undefined, {
            "www-authenticate": `Bearer realm="tenfold", error="invalid_token"`
          })
        }
      }
      if (shuttingDown) return replyError(res, 503, null, -32000, "Service Unavailable: the server is shutting down", undefined, { connection: "close" })
      switch (req.method) {
        case "POST":
          return onPost(req, res, principal)
        case "GET":
          return onGet(req, res, principal)
        case "DELETE":
          return onDelete(req, res, principal)
        default:
          return replyError(res, 405, null, -32000, "Method Not Allowed", undefined, { allow: "GET, POST, DELETE" })
      }
    }

    const drain = (graceMs: number) =>
      Effect.suspend(() => {
        shuttingDown = true
        return Shutdown.drain([...inflight], graceMs)
      })

    return HttpTransport.of({ handle, drain, inflight: () => inflight.size })
  })
