/**
 * A tool's `Stream` of content as the JSON of a `CallToolResult`, written piece by piece: text
 * pieces are escaped one by one into a single text block (JSON escaping is per character, so
 * the pieces concatenate to the escaping of the whole), content blocks follow as their own. The
 * JSON is always closed: when the stream fails, what was sent is ended by a text block with the
 * failure and `isError: true`; when a bound is reached, likewise with a "truncated" message.
 */
import { Hold, type Streamer } from "@tenfold/streaming"
import { Cause, Deferred, Effect, type Scope, Stream } from "effect"
import { ToolError } from "../Tool.ts"
import { type Answer, bodyFlat } from "../Peer.ts"
import { CONTENT_TYPES } from "./ToolResult.ts"

/** A tool's streamed result, before it is serialized for a peer (see `answer` and `collect`). */
export class StreamedResult {
  readonly items: Stream.Stream<unknown, unknown>
  readonly progress: (bytes: number) => Effect.Effect<void>
  /** Called with a defect (bug) the stream died of; the client only reads a generic message. */
  readonly onDefect: (cause: Cause.Cause<unknown>) => void
  constructor(items: Stream.Stream<unknown, unknown>, progress: (bytes: number) => Effect.Effect<void>, onDefect: (cause: Cause.Cause<unknown>) => void) {
    this.items = items
    this.progress = progress
    this.onDefect = onDefect
  }
}

/**
 * Longest a tool's stream may go without producing anything while it is being read (default
 * 60 s): past it the result ends with `isError`, so a stalled producer cannot hold a connection
 * (or, on stdio, every other answer waiting behind its line) for ever. A reader that stops reading
 * starts no clock: the stream is not pulled then.
 */
export const IDLE_TIMEOUT_MS = 60_000

const OPEN = "{\"content\":["
const OPEN_TEXT = "{\"type\":\"text\",\"text\":\""

const escaped = (text: string) => JSON.stringify(text).slice(1, -1)

/** A content block's JSON; undefined for a value that is not one (or cannot be serialized). */
const blockJson = (item: unknown): string | undefined => {
  const type = typeof item === "object" && item !== null ? (item as { type?: unknown }).type : undefined
  if (typeof type !== "string" || !CONTENT_TYPES.has(type)) return undefined
  try {
    return JSON.stringify(item)
  } catch {
    return undefined
  }
}

/** One piece of the JSON; `last` when it ends the result. */
interface Piece {
  readonly text: string
  readonly last: boolean
}

/** The JSON text of one result, written as its pieces come. */
class Assembler {
  readonly #end: string
  readonly #maxBytes: number
  #state: "start" | "text" | "blocks" = "start"
  #bytes = 0
  finished = false

  /** `end` closes the result object (`}`, or the 2026-07-28 fields and `}`). */
  constructor(end: string, maxBytes: number) {
    this.#end = end
    this.#maxBytes = maxBytes
  }

  /** The piece for one item; never throws, so what was emitted and the state always agree. */
  piece(item: unknown): Piece {
    if (this.finished) return { text: "", last: true }
    let text: string
    if (typeof item === "string") text = this.#text(item)
    else {
      const json = blockJson(item)
      if (json === undefined) return this.fail("The tool's stream produced a value that is neither text nor a content block")
      text = this.#block(json)
    }
    this.#bytes += text.length
    if (this.#bytes > this.#maxBytes) return this.fail(`The result was truncated: it is larger than ${this.#maxBytes} bytes`)
    return { text, last: false }
  }

  #text(text: string): string {
    const prefix = this.#state === "text" ? "" : this.#state === "start" ? OPEN + OPEN_TEXT : "," + OPEN_TEXT
    this.#state = "text"
    return prefix + escaped(text)
  }

  #block(json: string): string {
    const prefix = this.#state === "text" ? "\"}," : this.#state === "start" ? OPEN : ","
    this.#state = "blocks"
    return prefix + json
  }

  #close(): string {
    return this.#state === "text" ? "\"}]" : this.#state === "start" ? OPEN + "]" : "]"
  }

  /** Ends the result normally. */
  close(): Piece {
    this.finished = true
    return { text: this.#close() + this.#end, last: true }
  }

  /** Ends the result after what was sent, with `message` as a last text block and `isError: true`. */
  fail(message: string): Piece {
    if (this.finished) return { text: "", last: true }
    const prefix = this.#state === "text" ? "\"}," : this.#state === "start" ? OPEN : ","
    this.#state = "blocks"
    this.finished = true
    return { text: prefix + OPEN_TEXT + escaped(message) + "\"}],\"isError\":true" + this.#end, last: true }
  }
}

/** The text a failure of the stream ends the result with: the tool's own message, else a generic one (a defect goes to `onDefect`). */
const failureText = (cause: Cause.Cause<unknown>, onDefect: (cause: Cause.Cause<unknown>) => void): string => {
  const failure = cause.reasons.find(Cause.isFailReason)
  if (failure === undefined) {
    onDefect(cause)
    return "The tool failed while streaming its result"
  }
  const error = failure.error
  return error instanceof ToolError || error instanceof Error ? error.message : "The tool failed"
}

/**
 * The JSON text of the result in pieces, ending with `end`; never fails (interruption aside).
 * Past `maxBytes` of JSON the result is ended as truncated and the stream is no longer pulled.
 */
export const pieces = (
  items: Stream.Stream<unknown, unknown>,
  end: string,
  maxBytes = Infinity,
  onDefect: (cause: Cause.Cause<unknown>) => void = () => {}
): Stream.Stream<string> =>
  Stream.suspend(() => {
    const assembler = new Assembler(end, maxBytes)
    return items.pipe(
      Stream.timeoutOrElse({
        duration: IDLE_TIMEOUT_MS,
        orElse: () => Stream.fail(new ToolError({ message: `The tool's stream produced nothing for ${IDLE_TIMEOUT_MS / 1000} s; the result ends here` }))
      }),
      Stream.map((item) => assembler.piece(item)),
      Stream.takeUntil((piece) => piece.last),
      Stream.concat(Stream.suspend(() => (assembler.finished ? Stream.empty : Stream.succeed(assembler.close())))),
      Stream.catchCause((cause) => (Cause.hasInterruptsOnly(cause) ? Stream.failCause(cause as Cause.Cause<never>) : Stream.succeed(assembler.fail(failureText(cause, onDefect))))),
      Stream.map((piece) => piece.text)
    )
  })

/** The whole result as an object, for peers that cannot take a stream and for the cache: at most `maxBytes` of JSON. */
export const collect = (result: StreamedResult, maxBytes: number): Effect.Effect<Record<string, unknown>> =>
  pieces(result.items, "}", maxBytes, result.onDefect).pipe(
    Stream.runCollect,
    Effect.map((all) => JSON.parse(all.join("")) as Record<string, unknown>)
  )

/**
 * The answer of a streamed result: `head` opens the response up to `"result":`, `end` closes the
 * result object and the response. The pieces are chunked by the streamer (bounded buffer).
 */
export const answer = (result: StreamedResult, head: string, end: string, streamer: Streamer["Service"]): Answer => {
  const stopped = Deferred.makeUnsafe<never, ToolError>()
  const items = Stream.interruptWhen(result.items, Deferred.await(stopped))
  return {
    body: head,
    status: 200,
    stream: {
      rest: streamer.chunks(pieces(items, end, Infinity, result.onDefect)),
      progress: result.progress,
      stop: (reason) => Deferred.fail(stopped, new ToolError({ message: reason })).pipe(Effect.asVoid)
    }
  }
}

const encoder = new TextEncoder()

/** How a transport sends a streamed answer: whole when it ended within the hold, else as a stream of bytes from the head on. */
export type Delivery =
  | { readonly _tag: "Whole"; readonly body: Uint8Array }
  | { readonly _tag: "Streamed"; readonly bytes: Stream.Stream<Uint8Array> }

/**
 * Holds up to `holdBytes` of a streamed answer (sending progress meanwhile): a result that ends
 * within them is delivered whole, a larger one as a stream, valid within the scope.
 */
export const deliver = (answer: Answer & { readonly stream: Answer["stream"] & {} }, holdBytes: number): Effect.Effect<Delivery, never, Scope.Scope> =>
  Effect.map(Hold.hold(answer.stream.rest, holdBytes, answer.stream.progress), (held): Delivery => {
    const body = bodyFlat(answer.body)
    const head = typeof body === "string" ? encoder.encode(body) : body
    if (held.rest === undefined) return { _tag: "Whole", body: Buffer.concat([head, ...held.chunks]) }
    return { _tag: "Streamed", bytes: Stream.concat(Stream.fromArray([head, ...held.chunks]), held.rest) }
  })
