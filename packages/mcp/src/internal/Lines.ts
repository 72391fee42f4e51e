/**
 * Newline-delimited input read as bytes, each line bounded in length: a line past the bound is
 * reported once, the moment it passes it, and discarded up to its newline without being
 * buffered, so no input can grow memory (readline keeps a whole line, however long, as one string).
 */
import type { Readable } from "node:stream"

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
