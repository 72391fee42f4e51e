/**
 * What a caller gives `ConnectionPool.request` / `stream` and what it gets back. Bodies are
 * bounded: `request` reads at most `maxBytes` into memory; `stream` hands the body out chunk by
 * chunk with backpressure, and fails past `maxBytes` when one is given.
 */
import type { Stream } from "effect"
import type { AddressFilter } from "./AddressFilter.ts"
import type { ConnectionError } from "./ConnectionError.ts"

/** The methods the pool sends. GET, HEAD, OPTIONS, PUT and DELETE are idempotent and retried. */
export type Method = "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "POST" | "PATCH"

/** One outbound request. Only `url` is required. */
export interface RequestOptions {
  /** An absolute http: or https: URL; anything else fails with `InvalidRequest`. */
  readonly url: string | URL
  /** Default GET. */
  readonly method?: Method
  /** Header names are case-insensitive; a `user-agent` is added when absent (`ConnectionPoolOptions.userAgent`). */
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
  /** Overrides the origin's `timeoutMs` for each attempt. */
  readonly timeoutMs?: number
  /** Largest body accepted: `request` defaults to 10 MiB; `stream` is unbounded unless given (memory stays bounded either way). */
  readonly maxBytes?: number
  /** Retries after a connection error, a timeout or a 5xx, for idempotent methods only (default 2; at most 10). */
  readonly retries?: number
  /** Declares a POST or PATCH safe to retry (default: only GET, HEAD, OPTIONS, PUT, DELETE are). */
  readonly idempotent?: boolean
  /** `follow` (default): follow up to `maxRedirects` hops, each checked like the first. `manual`: return the 3xx. */
  readonly redirect?: "follow" | "manual"
  /** Default 5. */
  readonly maxRedirects?: number
  /** Fail with `HttpStatus` when the final status is 400 or above (default false: the response is returned). */
  readonly failOnStatus?: boolean
  /** The SSRF policy every connection of this request (and of each redirect hop) must pass. None by default. */
  readonly addressFilter?: AddressFilter
}

/** What every response carries. */
export interface ResponseHead {
  readonly status: number
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  /** The URL that answered, after redirects. */
  readonly url: string
  /** The URLs redirected from, in order (empty when none were followed). */
  readonly redirects: ReadonlyArray<string>
}

/** A response whose body was read into memory (at most `maxBytes`). */
export interface Response extends ResponseHead {
  readonly body: Uint8Array
  /** The body decoded as UTF-8. */
  readonly text: () => string
}

/**
 * A response whose body is read as it is consumed. The connection is held until the body ends,
 * fails or the scope `stream` ran in closes, whichever comes first.
 */
export interface StreamedResponse extends ResponseHead {
  /** Content-Length when the server sent one. */
  readonly contentLength: number | undefined
  /** The body, chunk by chunk, pulled with backpressure (the socket pauses while nothing reads). Consume it once. */
  readonly body: Stream.Stream<Uint8Array, ConnectionError>
}
