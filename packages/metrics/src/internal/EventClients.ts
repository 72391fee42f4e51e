/**
 * The open SSE streams of dashboard pages: a bounded set (a browser tab holds one each, and tabs
 * are client-controlled), each dropped when its client goes away or stops reading.
 */
import type { IncomingMessage, ServerResponse } from "node:http"

/** One SSE event: a name and a JSON payload (JSON text never holds a raw newline). */
export const event = (name: string, json: string): string => `event: ${name}\ndata: ${json}\n\n`

/** Seconds a refused page waits before it tries again; EventSource also reconnects after this. */
const RETRY_AFTER_SECONDS = 5

export interface EventClientsOptions {
  /** Most streams open at once; past it a new one is answered 503 with Retry-After. */
  readonly maxClients: number
  /** A stream with more than this many bytes written but not yet sent is closed (a client that stopped reading). */
  readonly maxBufferedBytes: number
}

/** The dashboard's open event streams: attach one per page, broadcast each frame to all. */
export class EventClients {
  private readonly open = new Set<ServerResponse>()
  private readonly options: EventClientsOptions

  constructor(options: EventClientsOptions) {
    this.options = options
  }

  get size(): number {
    return this.open.size
  }

  /**
   * Opens an SSE stream on `res` and sends it `first`, or answers 503 (Retry-After) when
   * `maxClients` streams are open; the stream leaves the set when its connection closes.
   */
  attach(req: IncomingMessage, res: ServerResponse, first: string): boolean {
    if (this.open.size >= this.options.maxClients) {
      const body = `{"error":"too many dashboard streams open (${this.options.maxClients}); retry later"}`
      res.writeHead(503, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "retry-after": String(RETRY_AFTER_SECONDS) })
      res.end(body)
      return false
    }
    this.open.add(res)
    const forget = () => void this.open.delete(res)
    req.once("close", forget)
    res.once("close", forget)
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no"
    })
    res.flushHeaders()
    this.write(res, `retry: ${RETRY_AFTER_SECONDS * 1000}\n\n${first}`)
    return true
  }

  /** Sends `text` to every open stream. */
  broadcast(text: string): void {
    for (const res of this.open) this.write(res, text)
  }

  /** Ends every stream (at shutdown). */
  closeAll(): void {
    for (const res of this.open) res.end()
    this.open.clear()
  }

  private write(res: ServerResponse, text: string): void {
    if (res.writableLength > this.options.maxBufferedBytes) {
      this.open.delete(res)
      res.destroy()
      return
    }
    res.write(text)
  }
}
