/**
 * 2025-11-25 sessions: what `initialize` negotiated, the calls in flight (for cancellation), the
 * server→client requests awaiting answers, and the SSE streams. Idle sessions are closed by a
 * `Schedule` loop so they never leak.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server"
import { Clock, Context, Effect, Fiber, Layer, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import type { SessionState } from "./Peer.ts"
import { EventStore } from "./EventStore.ts"
import * as ClientRequests from "./internal/ClientRequests.ts"
import { makeState } from "./internal/ClientRequests.ts"
import { Quota } from "./internal/Quota.ts"
import type { SseStream } from "./internal/Sse.ts"
import { ErrorCode, ProtocolError, type RequestId } from "./JsonRpc.ts"
import type { LoggingLevel } from "./Protocol.ts"

/** How long a request the server sends outside any call (a task's input) waits for the client's answer. */
const CLIENT_REQUEST_TIMEOUT_MS = 300_000

export interface Session extends SessionState, ClientRequests.ClientRequests {
  readonly protocolVersion: string
  readonly principal: string | undefined
  /** Whose share of sessions this one counts against: the principal, or the client address without auth. */
  readonly quotaKey: string
  readonly clientCapabilities: ClientCapabilities
  initialized: boolean
  lastSeen: number
  /** Calls running for this session, by JSON-RPC id, so `notifications/cancelled` can stop them. */
  readonly inflight: Map<RequestId, Fiber.Fiber<unknown, unknown>>
  /** SSE streams that can still receive (or be resumed), by stream id. */
  readonly streams: Map<string, SseStream>
  /** The GET stream for notifications not tied to a request. */
  standalone: SseStream | undefined
}

export interface SessionsOptions {
  /** Close a session after this long without traffic (default 10 minutes). */
  readonly idleMs?: number
  /** Refuse `initialize` beyond this many live sessions (default 10000). */
  readonly maxSessions?: number
  /** Refuse `initialize` beyond this many live sessions of one principal or client address (default 1000). */
  readonly maxSessionsPerPrincipal?: number
}

/** The session bounds in force. */
export interface SessionLimits {
  readonly maxSessions: number
  readonly maxSessionsPerPrincipal: number
}

/** The live sessions of this instance. */
export class Sessions extends Context.Service<Sessions, {
  /** Creates a session, or names the bound that refused it (the instance's, or the principal's share). */
  readonly create: (init: {
    readonly protocolVersion: string
    readonly principal: string | undefined
    readonly quotaKey: string
    readonly clientCapabilities: ClientCapabilities
  }) => Session | "total" | "perKey"
  readonly limits: SessionLimits
  readonly get: (id: string) => Session | undefined
  /** Marks traffic on a session (it is not idle). */
  readonly touch: (session: Session) => void
  /** Ends a session: its calls are interrupted, its streams closed, its events forgotten. */
  readonly close: (id: string) => Effect.Effect<boolean>
  /** Closes every session whose last traffic is older than the idle limit; returns how many. */
  readonly sweep: Effect.Effect<number>
  readonly size: () => number
  /** Every live session (for broadcasting list changes). */
  readonly all: () => IterableIterator<Session>
  /** Calls `listener` with the id of every session that closes (its tasks go with it); returns the unsubscribe. */
  readonly onClose: (listener: (id: string) => Effect.Effect<void>) => () => void
}>()("@tenfold/mcp/Sessions") {
  /** Sessions with an idle sweep running every quarter of the idle limit (at most once a minute). */
  static layer = (options: SessionsOptions = {}) =>
    Layer.effect(
      Sessions,
      Effect.gen(function*() {
        const sessions = yield* make(options)
        const idleMs = options.idleMs ?? 600_000
        yield* Effect.forkScoped(Effect.repeat(sessions.sweep, Schedule.spaced(Math.max(1000, Math.min(60_000, idleMs / 4)))))
        yield* Effect.addFinalizer(() => Effect.forEach([...sessions.all()], (s) => sessions.close(s.id), { discard: true }))
        return sessions
      })
    )
}

export const make = (options: SessionsOptions = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const events = yield* EventStore
    const idleMs = options.idleMs ?? 600_000
    const limits: SessionLimits = {
      maxSessions: options.maxSessions ?? 10_000,
      maxSessionsPerPrincipal: Math.min(options.maxSessionsPerPrincipal ?? 1000, options.maxSessions ?? 10_000)
    }
    const quota = new Quota(limits.maxSessions, limits.maxSessionsPerPrincipal)
    const live = new Map<string, Session>()
    const closeListeners = new Set<(id: string) => Effect.Effect<void>>()

    const close = (id: string) =>
      Effect.gen(function*() {
        const session = live.get(id)
        if (session === undefined) return false
        live.delete(id)
        quota.release(session.quotaKey)
        for (const resolve of session.pending.values()) resolve({ error: { code: -32001, message: "Session closed" } })
        session.pending.clear()
        yield* Effect.forEach([...session.inflight.values()], (fiber) => Fiber.interrupt(fiber), { discard: true })
        for (const stream of session.streams.values()) yield* Effect.promise(() => stream.end())
        if (session.standalone !== undefined) yield* Effect.promise(() => session.standalone!.end())
        yield* events.dropStream(id)
        for (const listener of closeListeners) yield* listener(id)
        return true
      })

    const isIdle = (session: Session, now: number) =>
      now - session.lastSeen >= idleMs && session.inflight.size === 0 && session.standalone?.connected !== true

    return Sessions.of({
      create: (init) => {
        const refused = quota.take(init.quotaKey)
        if (refused !== undefined) return refused
        const session: Session = {
          id: randomUUID(),
          ...init,
          logLevel: undefined as LoggingLevel | undefined,
          subscriptions: new Set(),
          initialized: false,
          lastSeen: clock.currentTimeMillisUnsafe(),
          inflight: new Map(),
          streams: new Map(),
          standalone: undefined,
          send: (message: string) => void session.standalone?.send(message),
          // without a GET stream the request would reach no one (nothing is recorded to resume): fail at once
          request: (method: string, params: Record<string, unknown>) =>
            Effect.suspend(() =>
              session.standalone === undefined
                ? Effect.fail(new ProtocolError({ code: ErrorCode.InternalError, message: `Cannot ask the client (${method}): the session has no open GET stream to send the request on` }))
                : ClientRequests.request(session, (message) => void session.standalone?.send(message), CLIENT_REQUEST_TIMEOUT_MS)(method, params)
            ),
          ...makeState()
        }
        live.set(session.id, session)
        return session
      },
      limits,
      get: (id) => live.get(id),
      touch: (session) => {
        session.lastSeen = clock.currentTimeMillisUnsafe()
      },
      close,
      sweep: Effect.suspend(() => {
        const now = clock.currentTimeMillisUnsafe()
        const idle = [...live.values()].filter((s) => isIdle(s, now))
        return Effect.forEach(idle, (s) => close(s.id), { discard: true }).pipe(Effect.as(idle.length))
      }),
      size: () => live.size,
      all: () => live.values(),
      onClose: (listener) => {
        closeListeners.add(listener)
        return () => void closeListeners.delete(listener)
      }
    })
  })
