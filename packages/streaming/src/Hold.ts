/**
 * Holds the start of a byte stream before anything is written: a stream that ends within the
 * bound is answered whole (with a length, compressible, cacheable), a longer one is written as
 * it comes. What is held is bounded by `maxBytes`, never by the stream's size.
 */
import { Cause, Effect, Exit, Pull, type Scope, Stream } from "effect"

/** The chunks `hold` pulled; `rest` is undefined when the stream ended within the bound. */
export interface Held<E> {
  readonly chunks: ReadonlyArray<Uint8Array>
  readonly bytes: number
  /** The remainder of the stream, valid within the scope `hold` ran in. */
  readonly rest: Stream.Stream<Uint8Array, E> | undefined
}

/**
 * Pulls chunks until `maxBytes` are held or the stream ends; `onChunk` sees the bytes held so
 * far after each pull (progress while nothing is written yet).
 */
export const hold = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  maxBytes: number,
  onChunk: (bytes: number) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<Held<E>, E, R | Scope.Scope> =>
  Effect.gen(function*() {
    const pull = yield* Stream.toPull(stream)
    const chunks: Array<Uint8Array> = []
    let bytes = 0
    while (bytes < maxBytes) {
      const next = yield* Effect.exit(pull)
      if (Exit.isFailure(next)) {
        if (Pull.isDoneCause(next.cause)) return { chunks, bytes, rest: undefined }
        return yield* Effect.failCause(next.cause as Cause.Cause<E>)
      }
      for (const chunk of next.value) {
        chunks.push(chunk)
        bytes += chunk.byteLength
      }
      yield* onChunk(bytes)
    }
    return { chunks, bytes, rest: Stream.fromPull(Effect.succeed(pull)) as Stream.Stream<Uint8Array, E> }
  })
