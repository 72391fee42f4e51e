/**
 * One request/response exchange of the HTTP transport, and the calls in flight behind them. An
 * answer is plain JSON, upgraded to SSE the moment the call sends a notification or a
 * server→client request before its result. Calls that need work run as fibers in one `FiberSet`:
 * bounded (past `maxInflight` the client gets `ServerBusy`), cancelled when their client goes
 * away, drained on shutdown.
 */
import { Compression, DEFAULT_BUFFER_BYTES, Writer } from "@tenfold/streaming"
import { Cause, Effect, Exit, type Fiber, FiberSet, Stream } from "effect"
import { randomUUID } from "node:crypto"
import type { ServerResponse } from "node:http"
import { pipeline } from "node:stream"
import { ErrorCode, errorBytes, notification, ProtocolError, type RequestId } from "../JsonRpc.ts"
import { type Answer, bodyFlat, bodyText, type Outbound, type StreamedBody } from "../Peer.ts"
import type { Session } from "../Sessions.ts"
import * as ClientRequests from "./ClientRequests.ts"
import { header } from "./Headers.ts"
import { reply, replyBusy, replyDefect } from "./Reply.ts"
import * as Shutdown from "./Shutdown.ts"
import { SHUTDOWN_MESSAGE } from "./Shutdown.ts"
import { type RecordEvent, SSE_HEADERS, SseStream } from "./Sse.ts"
import * as StreamedResult from "./StreamedResult.ts"

/** The `retry:` a resumable stream tells clients to wait before reconnecting, in ms. */
const RETRY_MS = 1000

/**
 * What exchanges need from the transport: the event store and where its failures are logged
 * (session streams), compression of large JSON answers (none when absent), and how much of a
 * streamed result is held before it is written (default 1 MiB).
 */
export interface StreamSupport {
  readonly record: RecordEvent
  readonly onError: (error: unknown) => void
  readonly compression?: Compression.Compression | undefined
  readonly holdBytes?: number
}

/** The length of a body in the unit at hand: a string's is at most its byte length, so a string below a byte threshold may be let through without encoding it. */
const lengthOf = (body: Answer["body"]) => (typeof body === "string" ? body.length : body.byteLength)

/**
 * The response to one POSTed request. Allocated per request; everything it needs is passed in,
 * so it holds no closures.
 */
export class Exchange {
  readonly res: ServerResponse
  readonly session: Session | undefined
  readonly #support: StreamSupport
  sse: SseStream | undefined
  done = false

  constructor(res: ServerResponse, session: Session | undefined, support: StreamSupport) {
    this.res = res
    this.session = session
    this.#support = support
  }

  #headers(): Record<string, string> | undefined {
    return this.session === undefined ? undefined : { "mcp-session-id": this.session.id }
  }

  #stream(): SseStream {
    if (this.sse === undefined) {
      const extra = this.#headers()
      this.res.writeHead(200, extra === undefined ? SSE_HEADERS : { ...SSE_HEADERS, ...extra })
      if (this.session === undefined) {
        // nothing records or resumes a stateless stream: its id names nothing
        this.sse = new SseStream("stateless", this.res)
      } else {
        this.sse = new SseStream(`${this.session.id}/${randomUUID()}`, this.res, this.#support.record, this.#support.onError)
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
      const compression = this.#support.compression
      // below the threshold: no header is read and no zlib work is done (the hot path of small calls)
      if (compression !== undefined && lengthOf(answer.body) >= compression.thresholdBytes) this.#replyCompressed(answer, compression)
      else reply(this.res, answer.status, answer.body, this.#headers())
    } else {
      this.sse.send(bodyText(answer))
      this.#end(this.sse)
    }
  }

  /** The coding this response gets, from the request's `Accept-Encoding`; undefined for identity. */
  #encoding(compression: Compression.Compression): Compression.Encoding | undefined {
    return Compression.negotiate(header(this.res.req, "accept-encoding"), compression.encodings)
  }

  /** A large JSON answer, compressed off the event loop when the client accepts a coding. */
  #replyCompressed(answer: Answer, compression: Compression.Compression): void {
    const extra = { ...this.#headers(), vary: "accept-encoding" }
    const encoding = this.#encoding(compression)
    if (encoding === undefined) return reply(this.res, answer.status, answer.body, extra)
    Compression.compress(bodyFlat(answer.body), encoding, compression).then(
      (zipped) => {
        if (!this.res.destroyed) reply(this.res, answer.status, zipped, { ...extra, "content-encoding": encoding })
      },
      () => {
        if (!this.res.destroyed) reply(this.res, answer.status, answer.body, extra)
      }
    )
  }

  /**
   * Delivers a streamed answer: whole (as `finish`) when it ends within the hold, else written as
   * it comes — chunked JSON, compressed when accepted, or one SSE event when the call already
   * streams events. From then on the call's own messages are dropped: they would fall inside the
   * open response. Interrupted (client gone, shutdown past its grace), the response is destroyed.
   */
  streamed(answer: Answer & { readonly stream: StreamedBody }): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      const delivery = yield* StreamedResult.deliver(answer, this.#support.holdBytes ?? DEFAULT_BUFFER_BYTES)
      if (delivery._tag === "Whole") return this.finish({ body: delivery.body, status: answer.status })
      if (this.done) return
      this.done = true
      yield* this.sse === undefined ? this.#writeJson(delivery.bytes) : this.#writeEvent(this.sse, delivery.bytes)
    }).pipe(
      Effect.scoped,
      Effect.catchTag("WriteClosed", () => Effect.void),
      Effect.onInterrupt(() => Effect.sync(() => this.res.destroy()))
    )
  }

  #writeJson(bytes: Stream.Stream<Uint8Array>): Effect.Effect<void, Writer.WriteClosed> {
    const compression = this.#support.compression
    const encoding = compression === undefined ? undefined : this.#encoding(compression)
    this.res.writeHead(200, {
      "content-type": "application/json",
      ...this.#headers(),
      ...(compression === undefined ? {} : { vary: "accept-encoding" }),
      ...(encoding === undefined ? {} : { "content-encoding": encoding })
    })
    if (encoding === undefined) return Effect.map(Writer.writeAll(bytes, this.res), () => void this.res.end())
    const zip = Compression.compressor(encoding, compression!)
    // an error on either side destroys both; the writer then sees the compressor closed
    pipeline(zip, this.res, () => {})
    return Effect.map(Writer.writeAll(bytes, zip), () => void zip.end())
  }

  #writeEvent(sse: SseStream, bytes: Stream.Stream<Uint8Array>): Effect.Effect<void, Writer.WriteClosed> {
    // not recorded in the event store: a resumed stream does not replay a streamed result
    return Effect.promise(() => sse.flushed()).pipe(
      Effect.andThen(Writer.writeAll(Stream.concat(Stream.make("event: message\ndata: "), Stream.concat(bytes, Stream.make("\n\n"))), this.res)),
      Effect.ensuring(Effect.sync(() => this.#end(sse)))
    )
  }

  /** Refuses the call: the instance runs as many calls as it may. */
  busy(id: RequestId, maxInflight: number): void {
    if (this.done) return
    this.done = true
    replyBusy(this.res, 503, id, `${maxInflight} calls are in flight on this instance`, "maxInflightCalls", this.#headers())
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
      this.#end(this.sse)
    }
  }

  /** Answers -32603: something threw while the call's answer was being delivered. */
  defect(id: RequestId | null): void {
    this.done = true
    replyDefect(this.res, id)
  }

  #end(sse: SseStream): void {
    const session = this.session
    void sse.end().then(() => session?.streams.delete(sse.streamId))
  }
}

/** The way back to the client during one call: notifications, and server→client requests in sessions. */
export const outboundOf = (exchange: Exchange, clientRequestTimeoutMs: number): Outbound => ({
  streaming: true,
  notify: (method, params) => exchange.send(notification(method, params)),
  closeStream: () => exchange.closeStream(),
  request: exchange.session === undefined
    ? undefined
    : ClientRequests.request(exchange.session, (message) => exchange.send(message), clientRequestTimeoutMs)
})

/**
 * The way back for a 2025-11-25 client that does not accept SSE: the answer is plain JSON, so
 * notifications are dropped and the server cannot ask the client anything during the call.
 */
export const jsonOnly: Outbound = {
  streaming: true,
  notify: () => {},
  request: (method) =>
    Effect.fail(new ProtocolError({ code: ErrorCode.InvalidRequest, message: `Cannot send ${method}: the request does not accept text/event-stream` }))
}

/** The calls in flight of one transport. */
export interface Calls {
  /** Answers at once, or runs the call as a fiber (refused with `ServerBusy` past the bound). */
  readonly run: (answer: Answer | Effect.Effect<Answer>, exchange: Exchange, id: RequestId) => void
  /** Runs a batch's answers together; `deliver` gets them all, or undefined when the batch was cancelled. */
  readonly runBatch: (answers: ReadonlyArray<Effect.Effect<Answer>>, res: ServerResponse, deliver: (answers: ReadonlyArray<Answer> | undefined) => void) => void
  readonly size: () => number
  /** Lets calls in flight finish for up to `graceMs`, then cancels the rest, each with an answer. */
  readonly drain: (graceMs: number) => Effect.Effect<void>
  readonly shuttingDown: () => boolean
}

/**
 * The call runner of a transport, in its scope. `onDefect` logs what escaped a handler; every
 * callback that delivers an answer is guarded so that a bug answers -32603 instead of throwing.
 */
export const makeCalls = (maxInflight: number, onDefect: (error: unknown) => void) =>
  Effect.gen(function*() {
    const set = yield* FiberSet.make<unknown>()
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    let shuttingDown = false
    const size = () => Shutdown.running(set)

    /** Streamed answers being written: shutdown ends each of them well-formed within its grace. */
    const writing = new Set<StreamedBody>()

    /** Sends an answer; a streamed one is written by a fiber of its own, bounded and drained like a call. */
    const deliver = (exchange: Exchange, answer: Answer) => {
      if (answer.stream === undefined) return exchange.finish(answer)
      const body = answer.stream
      writing.add(body)
      const write = exchange.streamed(answer as Answer & { readonly stream: StreamedBody })
      // an answer that arrives while shutting down is ended at once, after what is already held
      const written = Effect.ensuring(shuttingDown ? Effect.andThen(body.stop(SHUTDOWN_MESSAGE), write) : write, Effect.sync(() => writing.delete(body)))
      const writer = runFork(written)
      FiberSet.addUnsafe(set, writer)
      exchange.res.on("close", () => writer.interruptUnsafe())
    }

    const settle = (exchange: Exchange, id: RequestId, fiber: Fiber.Fiber<Answer>, exit: Exit.Exit<Answer>) => {
      const session = exchange.session
      if (session !== undefined && session.inflight.get(id) === fiber) session.inflight.delete(id)
      if (Exit.isSuccess(exit)) deliver(exchange, exit.value)
      else if (shuttingDown) exchange.finish({ body: errorBytes(id, ErrorCode.InternalError, SHUTDOWN_MESSAGE), status: 503 })
      else if (Cause.hasInterruptsOnly(exit.cause)) exchange.abort()
      else {
        onDefect(Cause.squash(exit.cause))
        exchange.defect(id)
      }
    }

    const run = (answer: Answer | Effect.Effect<Answer>, exchange: Exchange, id: RequestId): void => {
      if (!Effect.isEffect(answer)) return exchange.finish(answer)
      if (size() >= maxInflight) return exchange.busy(id, maxInflight)
      const fiber = runFork(answer)
      const polled = fiber.pollUnsafe()
      if (polled !== undefined && Exit.isSuccess(polled)) return deliver(exchange, polled.value)
      FiberSet.addUnsafe(set, fiber)
      exchange.session?.inflight.set(id, fiber)
      fiber.addObserver((exit) => {
        try {
          settle(exchange, id, fiber, exit)
        } catch (error) {
          onDefect(error)
          exchange.defect(id)
        }
      })
      exchange.res.on("close", () => {
        // a stateless call has no way back once its connection is gone; a session's SSE stream can be resumed
        if (!exchange.done && (exchange.session === undefined || exchange.sse === undefined)) fiber.interruptUnsafe()
      })
    }

    const runBatch = (answers: ReadonlyArray<Effect.Effect<Answer>>, res: ServerResponse, deliver: (answers: ReadonlyArray<Answer> | undefined) => void) => {
      if (size() >= maxInflight) return replyBusy(res, 503, null, `${maxInflight} calls are in flight on this instance`, "maxInflightCalls")
      const fiber = runFork(Effect.all(answers, { concurrency: "unbounded" }))
      FiberSet.addUnsafe(set, fiber)
      fiber.addObserver((exit) => {
        try {
          deliver(Exit.isSuccess(exit) ? exit.value : undefined)
        } catch (error) {
          onDefect(error)
          replyDefect(res, null)
        }
      })
    }

    const drain = (graceMs: number) =>
      Effect.suspend(() => {
        shuttingDown = true
        return Effect.andThen(
          Effect.forEach(writing, (body) => body.stop(SHUTDOWN_MESSAGE), { discard: true }),
          Shutdown.drain(set, graceMs)
        )
      })

    return { run, runBatch, size, drain, shuttingDown: () => shuttingDown } satisfies Calls
  })
