/**
 * Reading a response body within a byte limit: whole into memory (`readAll`) or chunk by chunk
 * (`limited`, for `stream`), failing with `TooLarge` as soon as the limit is passed — by the
 * Content-Length up front, or by counting.
 */
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

/** What the pool needs of undici's body: a readable of chunks that can also be read whole or drained. */
export interface Body extends AsyncIterable<Uint8Array> {
  readonly bytes: () => Promise<Uint8Array>
  readonly dump: () => Promise<void>
  readonly on: (event: "data" | "end" | "error", listener: (value?: any) => void) => unknown // any: Node's event listener signature
  readonly destroy: () => unknown
}

/**
 * The whole body, at most `maxBytes`. With a Content-Length within the limit (HTTP framing stops
 * the body there) undici reads it in one go; otherwise chunks are counted as they come.
 */
export const readAll = (body: Body, contentLength: string | undefined, maxBytes: number): Promise<Uint8Array> =>
  contentLength !== undefined ? body.bytes() : readCounting(body, maxBytes)

const readCounting = (body: Body, maxBytes: number) =>
  new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Array<Uint8Array> = []
    let total = 0
    body.on("data", (chunk: Uint8Array) => {
      total += chunk.byteLength
      if (total <= maxBytes) return void chunks.push(chunk)
      body.destroy()
      reject(new OverLimit())
    })
    body.on("end", () => resolve(Buffer.concat(chunks, total)))
    body.on("error", reject)
  })
