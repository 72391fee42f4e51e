/**
 * One Server-Sent Events stream of JSON-RPC messages, optionally recorded in the event store so
 * a client can resume it with `Last-Event-ID`. The HTTP connection under it may change (resume).
 */
import type { ServerResponse } from "node:http"

export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no"
} as const

export const frame = (message: string, eventId?: string): string =>
  eventId === undefined ? `event: message\ndata: ${message}\n\n` : `event: message\nid: ${eventId}\ndata: ${message}\n\n`

/** Stores one message of a stream and returns its event id (the event store, seen from a stream). */
export type RecordEvent = (streamId: string, message: string) => Promise<string>

/** Writes the messages of one SSE stream in order, whichever HTTP connection currently carries it. */
export class SseStream {
  readonly streamId: string
  #res: ServerResponse | undefined
  #closed = false
  #failed = false
  readonly #record: RecordEvent | undefined
  readonly #onError: (error: unknown) => void
  #tail: Promise<unknown> = Promise.resolve()

  /**
   * `record`, when given, stores each message and returns its event id; writes stay in order
   * even though storing is asynchronous. When storing fails, `onError` gets the error and the
   * stream ends (a client that resumes gets what was stored before).
   */
  constructor(streamId: string, res: ServerResponse, record?: RecordEvent, onError: (error: unknown) => void = () => {}) {
    this.streamId = streamId
    this.#res = res
    this.#record = record
    this.#onError = onError
  }

  /** Queues `step` after everything queued so far; a failure ends the stream instead of escaping. */
  #then(step: () => unknown): void {
    this.#tail = this.#tail.then(step).catch((error: unknown) => {
      if (this.#failed) return
      this.#failed = true
      this.#closed = true
      this.#onError(error)
      this.#res?.end()
      this.#res = undefined
    })
  }

  get connected(): boolean {
    return this.#res !== undefined && !this.#closed
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Attaches a new connection (a resumed GET); the old one, if any, is ended. */
  attach(res: ServerResponse): void {
    if (this.#res !== undefined && this.#res !== res) this.#res.end()
    this.#res = res
  }

  detach(res: ServerResponse): void {
    if (this.#res === res) this.#res = undefined
  }

  send(message: string): void {
    if (this.#closed) return
    if (this.#record === undefined) {
      this.#res?.write(frame(message))
      return
    }
    const record = this.#record
    this.#then(() =>
      record(this.streamId, message).then((eventId) => {
        this.#res?.write(frame(message, eventId))
      })
    )
  }

  /**
   * The first event of a resumable stream: an id to resume from (stored, with an empty message)
   * and how long the client should wait before reconnecting.
   */
  prime(retryMs: number): void {
    const record = this.#record
    if (record === undefined || this.#closed) return
    this.#then(() =>
      record(this.streamId, "").then((eventId) => {
        this.#res?.write(`id: ${eventId}\nretry: ${retryMs}\ndata: \n\n`)
      })
    )
  }

  /**
   * Ends the current HTTP response once what is queued is written, but keeps the stream open:
   * later messages are recorded for the client to fetch with `Last-Event-ID` (polling).
   */
  release(): void {
    const res = this.#res
    this.#then(() => {
      res?.end()
      if (this.#res === res) this.#res = undefined
    })
  }

  /** Resolves once everything queued so far is written (a caller about to write to the response directly). */
  flushed(): Promise<void> {
    return this.#tail.then(() => {})
  }

  /** A comment line that keeps proxies and dead-peer detection honest. */
  keepAlive(): void {
    if (!this.#closed) this.#res?.write(": keepalive\n\n")
  }

  /** Ends the stream after everything queued has been written. */
  end(): Promise<void> {
    this.#closed = true
    return this.#tail.then(() => {
      this.#res?.end()
      this.#res = undefined
    })
  }
}
