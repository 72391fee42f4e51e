/**
 * Writes a stream of chunks to a Node `Writable` (an HTTP response, a compressor, stdout) with
 * backpressure: the next chunk is pulled only once the writable has room, so a slow reader
 * holds the producer back instead of filling memory.
 */
import { Data, Effect, Stream } from "effect"
import type { Writable } from "node:stream"

/** The writable closed (the client went away) before the stream was written. */
export class WriteClosed extends Data.TaggedError("WriteClosed")<{}> {}

const closed = (out: Writable) => out.destroyed || out.writableEnded

/** Writes one chunk; waits for `drain` when the writable's buffer is full. */
export const write = (out: Writable, chunk: Uint8Array | string): Effect.Effect<void, WriteClosed> => {
  if (closed(out)) return Effect.fail(new WriteClosed())
  if (out.write(chunk)) return Effect.void
  return Effect.callback<void, WriteClosed>((resume) => {
    const onDrain = () => {
      off()
      resume(Effect.void)
    }
    const onClose = () => {
      off()
      resume(Effect.fail(new WriteClosed()))
    }
    const off = () => {
      out.off("drain", onDrain)
      out.off("close", onClose)
      out.off("error", onClose)
    }
    out.on("drain", onDrain)
    out.on("close", onClose)
    out.on("error", onClose)
    return Effect.sync(off)
  })
}

/** Writes every chunk of `chunks` to `out` in order, with backpressure (does not end `out`). */
export const writeAll = <E, R>(chunks: Stream.Stream<Uint8Array | string, E, R>, out: Writable): Effect.Effect<void, E | WriteClosed, R> =>
  Stream.runForEach(chunks, (chunk) => write(out, chunk))
