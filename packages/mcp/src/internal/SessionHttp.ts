/**
 * 2025-11-25 over HTTP: `initialize` creates a session (bounded per principal and in total), the
 * `Mcp-Session-Id` header carries it, the GET stream receives notifications not tied to a request
 * (resumable with `Last-Event-ID`), DELETE ends it, and JSON-RPC batches are answered together.
 */
import { Cause, Effect } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Dispatcher } from "../Dispatcher.ts"
import type { EventStore } from "../EventStore.ts"
import { classify, ErrorCode, errorBytes, isObject, isRequestId, ProtocolError, type RequestId, resultBytes } from "../JsonRpc.ts"
import { type Notification, sessionMessage, sessionWants } from "../Notifications.ts"
import { type Answer, bodyText, type Peer, silentOutbound } from "../Peer.ts"
import { McpErrorCode, SESSION_REVISIONS, STATELESS_REVISION } from "../Protocol.ts"
import type { Session, Sessions } from "../Sessions.ts"
import * as ClientRequests from "./ClientRequests.ts"
import { type Calls, Exchange, jsonOnly, outboundOf, type StreamSupport } from "./Exchange.ts"
import { hasEnvelope, invalidProgressToken } from "./Envelope.ts"
import { acceptsAny, header } from "./Headers.ts"
import { sessionCapabilities } from "./Limits.ts"
import { reply, replyBusy, replyDefect, replyError, replyProtocolError, TRANSPORT_ERROR } from "./Reply.ts"
import { frame, SSE_HEADERS, SseStream } from "./Sse.ts"

/** Most messages one batch may hold. */
const MAX_BATCH = 100

export interface SessionDeps {
  readonly dispatcher: Dispatcher["Service"]
  readonly sessions: Sessions["Service"]
  readonly events: EventStore["Service"]
  readonly calls: Calls
  readonly support: StreamSupport
  readonly clientRequestTimeoutMs: number
  /** Largest `initialize` capabilities a session keeps, in characters of JSON; -32602 past it. */
  readonly maxClientCapabilitiesBytes: number
  /** Runs an effect of the transport's context (replays from the event store). */
  readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
  /** Logs a defect that escaped a handler. */
  readonly onDefect: (error: unknown) => void
}

const peerOf = (session: Session, principal: string | undefined): Peer => ({
  stateless: false,
  principal,
  clientCapabilities: session.clientCapabilities,
  logLevel: undefined,
  session
})

/** The 2025-11-25 handler of one transport. */
export const make = (deps: SessionDeps) => {
  const { calls, dispatcher, events, sessions, support } = deps

  /** The session a request names, or undefined once an error has been answered. */
  const sessionFor = (req: IncomingMessage, res: ServerResponse, id: RequestId | null, principal: string | undefined): Session | undefined => {
    const sessionId = header(req, "mcp-session-id")
    if (sessionId === undefined) {
      replyError(res, 400, id, TRANSPORT_ERROR, "Bad Request: Mcp-Session-Id header is required (send initialize first, or use the 2026-07-28 _meta envelope)")
      return undefined
    }
    const session = sessions.get(sessionId)
    if (session === undefined || session.principal !== principal) {
      replyError(res, 404, id, McpErrorCode.SessionNotFound, "Session not found")
      return undefined
    }
    const version = header(req, "mcp-protocol-version")
    if (version !== undefined && !SESSION_REVISIONS.includes(version)) {
      replyError(res, 400, id, TRANSPORT_ERROR, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SESSION_REVISIONS.join(", ")})`)
      return undefined
    }
    sessions.touch(session)
    return session
  }

  const initialize = (req: IncomingMessage, res: ServerResponse, id: RequestId, params: Record<string, unknown> | undefined, principal: string | undefined, quotaKey: string) => {
    if (header(req, "mcp-session-id") !== undefined) {
      return replyError(res, 400, id, ErrorCode.InvalidRequest, "Invalid Request: Server already initialized")
    }
    const clientCapabilities = sessionCapabilities(params, deps.maxClientCapabilitiesBytes)
    if (clientCapabilities instanceof ProtocolError) return replyProtocolError(res, 200, id, clientCapabilities)
    const { protocolVersion, result } = dispatcher.initializeResult(params?.protocolVersion)
    const session = sessions.create({ protocolVersion, principal, quotaKey, clientCapabilities })
    if (session === "perKey") return replyBusy(res, 429, id, `this client already holds ${sessions.limits.maxSessionsPerPrincipal} sessions`, "maxSessionsPerPrincipal")
    if (session === "total") return replyBusy(res, 503, id, `${sessions.limits.maxSessions} sessions are live on this instance`, "maxSessions")
    reply(res, 200, resultBytes(id, JSON.stringify(result)), { "mcp-session-id": session.id })
  }

  const onNotification = (session: Session, method: string, params: Record<string, unknown> | undefined) => {
    if (method === "notifications/initialized") session.initialized = true
    else if (method === "notifications/cancelled" && isRequestId(params?.requestId)) {
      session.inflight.get(params.requestId)?.interruptUnsafe()
    }
  }

  /** Handles one POSTed 2025-11-25 message. */
  const post = (req: IncomingMessage, res: ServerResponse, message: Record<string, unknown>, principal: string | undefined, quotaKey: string) => {
    const kind = classify(message)
    if (kind._tag === "Invalid") return replyError(res, 400, kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`)
    if (kind._tag === "Request" && kind.message.method === "initialize") {
      return initialize(req, res, kind.message.id, kind.message.params, principal, quotaKey)
    }
    const session = sessionFor(req, res, kind._tag === "Request" ? kind.message.id : null, principal)
    if (session === undefined) return
    switch (kind._tag) {
      case "Notification":
        onNotification(session, kind.message.method, kind.message.params)
        res.writeHead(202, { "mcp-session-id": session.id }).end()
        return
      case "Response":
        ClientRequests.settle(session, kind.message)
        res.writeHead(202, { "mcp-session-id": session.id }).end()
        return
      case "Request": {
        const { id, method, params } = kind.message
        const badToken = invalidProgressToken(params)
        if (badToken !== undefined) return replyProtocolError(res, 200, id, badToken)
        const accept = header(req, "accept")
        if (!acceptsAny(accept, ["application/json", "text/event-stream"])) {
          return replyError(res, 406, id, TRANSPORT_ERROR, "Not Acceptable: Client must accept application/json and text/event-stream")
        }
        const exchange = new Exchange(res, session, support)
        const out = acceptsAny(accept, ["text/event-stream"]) ? outboundOf(exchange, deps.clientRequestTimeoutMs) : jsonOnly
        calls.run(dispatcher.handle(id, method, params, peerOf(session, principal), out), exchange, id)
      }
    }
  }

  /** One batch member's answer; a member whose handling throws gets -32603 alone. */
  const memberAnswer = (id: RequestId, method: string, params: Record<string, unknown> | undefined, peer: Peer): Effect.Effect<Answer> => {
    const badToken = invalidProgressToken(params)
    if (badToken !== undefined) return Effect.succeed({ body: errorBytes(id, badToken.code, badToken.message), status: 200 })
    try {
      // no way back: the answer waits for the array (a streamed result is collected)
      const answer = dispatcher.handle(id, method, params, peer, silentOutbound)
      return Effect.isEffect(answer) ? answer : Effect.succeed(answer)
    } catch (error) {
      deps.onDefect(error)
      return Effect.succeed({ body: errorBytes(id, ErrorCode.InternalError, `Internal error while handling ${method}`), status: 200 })
    }
  }

  /** A JSON-RPC batch (2025-11-25 only): every request answered in one JSON array. */
  const batch = (req: IncomingMessage, res: ServerResponse, messages: ReadonlyArray<unknown>, principal: string | undefined) => {
    if (messages.length === 0) return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: empty batch")
    if (messages.length > MAX_BATCH) return replyError(res, 400, null, ErrorCode.InvalidRequest, `Invalid Request: a batch may hold at most ${MAX_BATCH} messages`)
    if (messages.some((m) => isObject(m) && hasEnvelope(m.params))) {
      return replyError(res, 400, null, ErrorCode.InvalidRequest, `Bad Request: JSON-RPC batches may not contain requests for protocol revision ${STATELESS_REVISION} or later`)
    }
    if (messages.some((m) => isObject(m) && m.method === "initialize")) {
      return replyError(res, 400, null, ErrorCode.InvalidRequest, "Invalid Request: initialize must not be part of a batch")
    }
    const session = sessionFor(req, res, null, principal)
    if (session === undefined) return
    const peer = peerOf(session, principal)
    const answers: Array<Effect.Effect<Answer>> = []
    for (const m of messages) {
      const kind = classify(m)
      if (kind._tag === "Invalid") answers.push(Effect.succeed({ body: errorBytes(kind.id, ErrorCode.InvalidRequest, `Invalid Request: ${kind.reason}`), status: 200 }))
      else if (kind._tag === "Notification") onNotification(session, kind.message.method, kind.message.params)
      else if (kind._tag === "Response") ClientRequests.settle(session, kind.message)
      else answers.push(memberAnswer(kind.message.id, kind.message.method, kind.message.params, peer))
    }
    if (answers.length === 0) return void res.writeHead(202, { "mcp-session-id": session.id }).end()
    calls.runBatch(answers, res, (done) => {
      if (done !== undefined) reply(res, 200, `[${done.map(bodyText).join(",")}]`, { "mcp-session-id": session.id })
      else replyError(res, 503, null, ErrorCode.InternalError, "The batch was cancelled")
    })
  }

  /** GET: opens (or resumes) the session's stream of notifications not tied to a request. */
  const get = (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => {
    if (!acceptsAny(header(req, "accept"), ["text/event-stream"])) {
      return replyError(res, 406, null, TRANSPORT_ERROR, "Not Acceptable: Client must accept text/event-stream")
    }
    if (header(req, "mcp-session-id") === undefined) {
      return replyError(res, 405, null, TRANSPORT_ERROR, "Method Not Allowed: GET opens a 2025-11-25 session stream and needs Mcp-Session-Id; 2026-07-28 clients use POST subscriptions/listen", undefined, { allow: "POST, DELETE" })
    }
    const session = sessionFor(req, res, null, principal)
    if (session === undefined) return
    const lastEventId = header(req, "last-event-id")
    if (lastEventId !== undefined) return resume(res, session, lastEventId)
    if (session.standalone?.connected === true) {
      return replyError(res, 409, null, TRANSPORT_ERROR, "Conflict: Only one SSE stream is allowed per session")
    }
    res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": session.id })
    res.flushHeaders()
    if (session.standalone === undefined || session.standalone.closed) {
      session.standalone = new SseStream(`${session.id}/standalone`, res, support.record, support.onError)
    } else {
      session.standalone.attach(res)
    }
    const stream = session.standalone
    res.on("close", () => stream.detach(res))
  }

  const resume = (res: ServerResponse, session: Session, lastEventId: string) => {
    if (!lastEventId.startsWith(`${session.id}/`)) return replyError(res, 400, null, TRANSPORT_ERROR, "Bad Request: Invalid event ID")
    deps.runFork(events.replayAfter(lastEventId, () => {}).pipe(
      Effect.flatMap((streamId) => {
        res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": session.id })
        return events.replayAfter(lastEventId, (eventId, message) => res.write(frame(message, eventId))).pipe(Effect.as(streamId))
      }),
      Effect.match({
        onFailure: () => replyError(res, 400, null, TRANSPORT_ERROR, "Bad Request: unknown or expired Last-Event-ID"),
        onSuccess: (streamId) => {
          const stream = streamId === `${session.id}/standalone` ? session.standalone : session.streams.get(streamId)
          if (stream === undefined || stream.closed) return void res.end()
          stream.attach(res)
          res.on("close", () => stream.detach(res))
        }
      }),
      Effect.catchCause((cause) =>
        Effect.sync(() => {
          deps.onDefect(Cause.squash(cause))
          replyDefect(res, null)
        })
      )
    ))
  }

  const remove = (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => {
    const session = sessionFor(req, res, null, principal)
    if (session === undefined) return
    deps.runFork(sessions.close(session.id).pipe(Effect.ensuring(Effect.sync(() => res.writeHead(200).end()))))
  }

  /** Sends a notification to the GET stream of every session it concerns. */
  const deliver = (n: Notification) => {
    const message = sessionMessage(n)
    for (const session of sessions.all()) if (sessionWants(n, session)) session.standalone?.send(message)
  }

  const keepAlive = () => {
    for (const session of sessions.all()) {
      session.standalone?.keepAlive()
      for (const stream of session.streams.values()) stream.keepAlive()
    }
  }

  return { post, batch, get, remove, deliver, keepAlive }
}
