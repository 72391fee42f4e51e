/**
 * Newline-delimited messages. Input is read as bytes, each line bounded in length: a line past
 * the bound is reported once, the moment it passes it, and discarded up to its newline without
 * being buffered, so no input can grow memory (readline keeps a whole line, however long, as one
 * string). Output is written line by line; a streamed answer is one line written as it comes.
 */
import { Writer } from "@tenfold/streaming"
import { Effect, Semaphore, type Stream } from "effect"
import type { Readable, Writable } from "node:stream"

const NEWLINE = 0x0a

export interface LineHandlers {
  /** A complete line, without its newline (a trailing `\r` is left for JSON to read as whitespace). */
  readonly line: (bytes: Buffer) => void
  /** A line passed `maxLineBytes`; what follows up to its newline is dropped. */
  readonly tooLong: () => void
}

/** Reads `input` line by line until it ends; returns a function that stops reading. */
export const readLines = (input: Readable, maxLineBytes: number, handlers: LineHandlers, onEnd: () => void): () => void => {
  let parts: Array<Buffer> = []
  let size = 0
  let discarding = false

  /** Adds the bytes of the current line in `chunk[from, to)`; past the bound, reports and drops it. */
  const take = (chunk: Buffer, from: number, to: number) => {
    if (discarding || to === from) return
    size += to - from
    if (size > maxLineBytes) {
      discarding = true
      parts = []
      handlers.tooLong()
      return
    }
    parts.push(chunk.subarray(from, to))
  }

  /** Ends the current line; the state is reset first, since handling a line may feed more input. */
  const endLine = () => {
    const line = discarding || parts.length === 0 ? undefined : parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)
    parts = []
    size = 0
    discarding = false
    if (line !== undefined) handlers.line(line)
  }

  const split = (chunk: Buffer) => {
    let from = 0
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
      take(chunk, from, nl)
      endLine()
      from = nl + 1
    }
    take(chunk, from, chunk.length)
  }

  // a handler that writes to `input` delivers the next chunk synchronously: it waits its turn, so lines keep their order
  const waiting: Array<Buffer> = []
  let splitting = false
  const onData = (chunk: Buffer) => {
    waiting.push(chunk)
    if (splitting) return
    splitting = true
    try {
      for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) split(next)
    } finally {
      splitting = false
    }
  }
  let ended = false
  const onClose = () => {
    if (ended) return
    ended = true
    endLine()
    onEnd()
  }
  input.on("data", onData)
  input.on("end", onClose)
  input.on("close", onClose)
  return () => {
    ended = true
    input.off("data", onData)
    input.off("end", onClose)
    input.off("close", onClose)
    input.pause()
  }
}

/** Most lines waiting while a streamed line is written; past it the newest are dropped (they are notifications in practice: answers are bounded by the calls in flight). */
const MAX_WAITING_LINES = 10_000

/**
 * Writes newline-delimited messages to `output`. A streamed line is written piece by piece with
 * backpressure; other lines wait until it ends, and streamed lines take turns.
 */
export class LineWriter {
  readonly #output: Writable
  readonly #turn = Semaphore.makeUnsafe(1)
  #streaming = false
  #waiting: Array<string> = []

  constructor(output: Writable) {
    this.#output = output
  }

  /** Writes one message as a line (after the streamed line being written, if any). */
  line(text: string): void {
    if (!this.#streaming) this.#output.write(text + "\n")
    else if (this.#waiting.length < MAX_WAITING_LINES) this.#waiting.push(text)
  }

  /** Writes `bytes` as one line as they come; the newline is written however it ends, so the next line is framed. */
  streamed<E>(bytes: Stream.Stream<Uint8Array, E>): Effect.Effect<void, E | Writer.WriteClosed> {
    const start = Effect.sync(() => {
      this.#streaming = true
    })
    const finish = Effect.sync(() => {
      this.#output.write("\n")
      this.#streaming = false
      const waiting = this.#waiting
      this.#waiting = []
      for (const line of waiting) this.line(line)
    })
    return this.#turn.withPermits(1)(Effect.acquireUseRelease(start, () => Writer.writeAll(bytes, this.#output), () => finish))
  }
}
