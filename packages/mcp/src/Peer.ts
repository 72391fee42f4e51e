/**
 * What a transport and the dispatcher exchange for one message: who is calling (`Peer`, with
 * its session state), the way back to the client while the call runs (`Outbound`), and the
 * serialized answer (`Answer`). Shared by the dispatcher, both transports and the sessions, so
 * none of them imports another for its types.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server"
import type { Effect, Stream } from "effect"
import type { ProtocolError } from "./JsonRpc.ts"
import type { LoggingLevel } from "./Protocol.ts"

/** Who is calling and under which revision; built by the transport for each message. */
export interface Peer {
  /** True for 2026-07-28 requests: results carry `resultType`, cache hints and server identity. */
  readonly stateless: boolean
  readonly principal: string | undefined
  readonly clientCapabilities: ClientCapabilities
  /** Log threshold; undefined means "send none" when stateless and "send all" in a session. */
  readonly logLevel: LoggingLevel | undefined
  /** The 2025-11-25 session state, when there is one. */
  readonly session: SessionState | undefined
}

/** The per-session state the dispatcher reads and writes (sessions are owned by the transport). */
export interface SessionState {
  readonly id: string
  logLevel: LoggingLevel | undefined
  readonly subscriptions: Set<string>
  /** Sends a JSON-RPC message not tied to a request (task status): the session's GET stream, the stdio line. */
  readonly send?: (message: string) => void
  /** Asks the client outside any request (a task's input): a server→client request sent the same way, its answer awaited. */
  readonly request?: (method: string, params: Record<string, unknown>) => Effect.Effect<unknown, ProtocolError>
}

/** The way back to the client while one request runs: notifications and server→client requests. */
export interface Outbound {
  readonly notify: (method: string, params: Record<string, unknown>) => void
  /** Present where the transport can carry a server→client request (sessions, stdio). */
  readonly request: ((method: string, params: Record<string, unknown>) => Effect.Effect<unknown, ProtocolError>) | undefined
  /** Present where the call's stream can be ended early and resumed by the client (HTTP sessions). */
  readonly closeStream?: () => void
  /** True where the transport writes a streamed answer as it is produced; elsewhere a streamed result is collected (bounded). */
  readonly streaming?: boolean
}

/** A way back that reaches no one: notifications dropped, no client to ask (background work, nested calls, batch members). */
export const silentOutbound: Outbound = { notify: () => {}, request: undefined }

/**
 * A large precomputed answer: the response's head (its id) and the memoised bytes that follow,
 * written over HTTP as two buffers instead of being copied into one per request.
 */
export class Spliced {
  readonly head: string
  readonly tail: Uint8Array
  constructor(head: string, tail: Uint8Array) {
    this.head = head
    this.tail = tail
  }
  get byteLength(): number {
    return Buffer.byteLength(this.head) + this.tail.byteLength
  }
  /** Both parts in one buffer (for the paths that need one: compression, SSE, stdio, batches). */
  bytes(): Buffer {
    return Buffer.concat([Buffer.from(this.head), this.tail])
  }
}

/**
 * A serialized JSON-RPC response, plus the HTTP status a stateless request should get for it.
 * The body is text, bytes, or a head and memoised bytes for large precomputed answers (sent as
 * they are over HTTP).
 */
export interface Answer {
  readonly body: string | Uint8Array | Spliced
  readonly status: number
  /** True for an error response or an `isError` tool result (counted as a failure by telemetry). */
  readonly failed?: boolean
  /** A streamed result: `body` is the response's head and this the rest (see {@link StreamedBody}). */
  readonly stream?: StreamedBody
}

/** The rest of a streamed response, written after `Answer.body` as it is produced. */
export interface StreamedBody {
  /** The bytes that follow the head, ending the response; never fails: a tool's failure is written as a well-formed `isError` ending. */
  readonly rest: Stream.Stream<Uint8Array>
  /** Reports the bytes produced so far (progress notifications) while the answer is held, before any of it is written. */
  readonly progress: (bytes: number) => Effect.Effect<void>
  /** Ends the result early (shutdown, cancellation): the tool's stream is no longer pulled and the result ends well-formed with `isError` saying `reason`. */
  readonly stop: (reason: string) => Effect.Effect<void>
}

/** The answer's body as text (for SSE frames, batches and stdio lines). */
export const bodyText = (answer: Answer): string => {
  const body = answer.body
  if (typeof body === "string") return body
  const bytes = body instanceof Spliced ? body.bytes() : body
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
}

/** The answer's body as one string or buffer (a spliced one joined). */
export const bodyFlat = (body: Answer["body"]): string | Uint8Array => (body instanceof Spliced ? body.bytes() : body)
