/**
 * Reading a response body within a byte limit: whole into memory (`readAll`) or chunk by chunk
 * (`limited`, for `stream`), failing with `TooLarge` as soon as the limit is passed — by the
 * Content-Length up front, or by counting.
 */
import { Effect } from "effect"
import { type ConnectionError, TooLarge } from "../ConnectionError.ts"
import { type Attempt, fromCause } from "./failure.ts"

/** Thrown inside the body iteration when the limit is passed; becomes `TooLarge`. */
class OverLimit extends Error {}

/** Whether a Content-Length header already says the body is over `maxBytes`. */
export const declaredOver = (contentLength: string | undefined, maxBytes: number) =>
  contentLength !== undefined && Number(contentLength) > maxBytes

/** `body`'s chunks, failing once more than `maxBytes` went through. */
export async function* limited(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0
  for await (const chunk of body) {
    total += chunk.byteLength
    if (total > maxBytes) throw new OverLimit()
    yield chunk
  }
}

/** The error for a failure while reading the body. */
export const bodyError = (cause: unknown, attempt: Attempt, maxBytes: number): ConnectionError =>
  cause instanceof OverLimit ? new TooLarge({ url: attempt.url, maxBytes }) : fromCause(cause, attempt)

/** The whole body, at most `maxBytes`. */
export const readAll = (body: AsyncIterable<Uint8Array>, maxBytes: number, attempt: Attempt): Effect.Effect<Uint8Array, ConnectionError> =>
  Effect.tryPromise({
    try: async () => {
      const chunks: Array<Uint8Array> = []
      let total = 0
      for await (const chunk of limited(body, maxBytes)) {
        chunks.push(chunk)
        total += chunk.byteLength
      }
      return Buffer.concat(chunks, total)
    },
    catch: (cause) => bodyError(cause, attempt, maxBytes)
  })
