/**
 * The streamer (the seed's `StreamingResponseManager`): turns a stream of results (objects,
 * arrays, strings, bytes) into a stream of byte chunks of `chunkBytes`, with at most
 * `bufferBytes` produced ahead of the consumer. A slow consumer slows the producer, so what a
 * stream holds is bounded by the buffer, never by the size of the result.
 */
import { Clock, Context, Effect, Layer, Metric, Semaphore, Stream } from "effect"
import { serialize } from "./Serialize.ts"
import * as StreamMetrics from "./StreamMetrics.ts"

/** The seed's `chunk_size`: bytes per chunk. */
export const DEFAULT_CHUNK_BYTES = 8 * 1024

/** The seed's `buffer_size`: bytes a producer may run ahead of its consumer. */
export const DEFAULT_BUFFER_BYTES = 1024 * 1024

/** Streams running at once by default; with the transport's hold and a compressor each holds ~3 MiB at most. */
export const DEFAULT_MAX_STREAMS = 64

export interface StreamerOptions {
  /** Bytes per emitted chunk (default 8 KiB); the last chunk of a stream may be shorter. */
  readonly chunkBytes?: number
  /** Bytes the producer may run ahead of a slow consumer (default 1 MiB). */
  readonly bufferBytes?: number
  /**
   * Streams running at once (default 64): one more waits, unpulled, until one ends, so what all
   * streams hold together is bounded too, not only what each holds.
   */
  readonly maxStreams?: number
}

/** Chunks streamed results with backpressure; one per runtime, shared by transports and tools. */
export class Streamer extends Context.Service<Streamer, {
  readonly chunkBytes: number
  readonly bufferBytes: number
  /**
   * Serialises each item (see `Serialize`) and groups the bytes into chunks of `chunkBytes`,
   * buffered up to `bufferBytes`; starts once fewer than `maxStreams` run. When `items` fails, the bytes serialised before the failure
   * are emitted first, so a consumer never loses a partial chunk it has to close properly.
   */
  readonly chunks: <E, R>(items: Stream.Stream<unknown, E, R>) => Stream.Stream<Uint8Array, E, R>
}>()("@tenfold/streaming/Streamer") {
  static layer = (options: StreamerOptions = {}) => Layer.succeed(Streamer, make(options))
}

/** Fills chunks of `size` bytes from items of any size; large items are sliced, not copied. */
class Chunker {
  readonly #size: number
  #pending: Uint8Array
  #used = 0

  constructor(size: number) {
    this.#size = size
    this.#pending = new Uint8Array(size)
  }

  push(bytes: Uint8Array): ReadonlyArray<Uint8Array> {
    const out: Array<Uint8Array> = []
    let offset = 0
    if (this.#used > 0) {
      const take = Math.min(this.#size - this.#used, bytes.byteLength)
      this.#pending.set(bytes.subarray(0, take), this.#used)
      this.#used += take
      offset = take
      if (this.#used === this.#size) out.push(this.#take())
    }
    while (bytes.byteLength - offset >= this.#size) {
      out.push(bytes.subarray(offset, offset + this.#size))
      offset += this.#size
    }
    if (offset < bytes.byteLength) {
      this.#pending.set(bytes.subarray(offset), 0)
      this.#used = bytes.byteLength - offset
    }
    return out
  }

  /** What is pending, as a last (shorter) chunk; nothing when empty. */
  flush(): ReadonlyArray<Uint8Array> {
    return this.#used === 0 ? [] : [this.#take()]
  }

  #take(): Uint8Array {
    const chunk = this.#pending.subarray(0, this.#used)
    this.#pending = new Uint8Array(this.#size)
    this.#used = 0
    return chunk
  }
}

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Streamer: ${name} must be a positive integer, got ${value}`)
  return value
}

/** A streamer with the given sizes (see {@link StreamerOptions}). */
export const make = (options: StreamerOptions = {}): Streamer["Service"] => {
  const chunkBytes = positive("chunkBytes", options.chunkBytes, DEFAULT_CHUNK_BYTES)
  const bufferBytes = positive("bufferBytes", options.bufferBytes, DEFAULT_BUFFER_BYTES)
  const capacity = Math.max(1, Math.ceil(bufferBytes / chunkBytes))
  const permits = Semaphore.makeUnsafe(positive("maxStreams", options.maxStreams, DEFAULT_MAX_STREAMS))

  const record = (chunk: Uint8Array) =>
    Effect.andThen(Metric.update(StreamMetrics.bytes, chunk.byteLength), Metric.update(StreamMetrics.chunks, 1))

  const chunks = <E, R>(items: Stream.Stream<unknown, E, R>): Stream.Stream<Uint8Array, E, R> =>
    Stream.unwrap(Effect.gen(function*() {
      yield* permits.takeScoped(1)
      const start = yield* Clock.currentTimeMillis
      yield* Metric.modify(StreamMetrics.active, 1)
      const chunker = new Chunker(chunkBytes)
      const done = Effect.flatMap(Clock.currentTimeMillis, (end) =>
        Effect.andThen(Metric.update(StreamMetrics.duration, end - start), Metric.modify(StreamMetrics.active, -1)))
      return items.pipe(
        Stream.mapAccum(() => chunker, (c, item) => [c, c.push(serialize(item))] as const, { onHalt: (c) => c.flush() }),
        Stream.catchCause((cause) => Stream.concat(Stream.fromArray(chunker.flush()), Stream.failCause(cause))),
        Stream.buffer({ capacity }),
        Stream.tap(record),
        Stream.ensuring(done)
      )
    }))

  return Streamer.of({ chunkBytes, bufferBytes, chunks })
}

/** The streamer with the seed's sizes, for code that runs without a `Streamer` layer. */
export const defaultStreamer: Streamer["Service"] = make()
