/**
 * The errors of an outbound HTTP request, as tagged data: each carries what a caller needs to
 * act (retry, report, refuse) and says it in its message. Nothing crosses the service boundary as
 * a thrown `Error`.
 */
import { Data } from "effect"

/** The request cannot be sent as given: a URL that does not parse, a scheme other than http(s), a header value undici rejects. */
export class InvalidRequest extends Data.TaggedError("InvalidRequest")<{ readonly url: string; readonly reason: string }> {
  override get message() {
    return `invalid request to ${this.url}: ${this.reason}`
  }
}

/** The address filter refused the address the host resolved to (checked after DNS, on every connection and redirect hop). */
export class RefusedAddress extends Data.TaggedError("RefusedAddress")<{
  readonly hostname: string
  readonly address: string
  readonly port: number
  /** The filter's refusal message. */
  readonly reason: string
}> {
  override get message() {
    return this.reason
  }
}

/** No connection was established (TCP and, for https, TLS) within the pool's connect timeout. */
export class ConnectTimeout extends Data.TaggedError("ConnectTimeout")<{ readonly origin: string; readonly timeoutMs: number }> {
  override get message() {
    return `connecting to ${this.origin} took longer than ${this.timeoutMs} ms`
  }
}

/** The connection failed or broke: DNS failure, refused, reset, closed before the response ended. `code` is Node's or undici's. */
export class ConnectionFailed extends Data.TaggedError("ConnectionFailed")<{
  readonly origin: string
  readonly code: string
  readonly reason: string
}> {
  override get message() {
    return `connection to ${this.origin} failed (${this.code}): ${this.reason}`
  }
}

/** The request (one attempt: headers and, for `request`, the whole body) took longer than its timeout. */
export class RequestTimeout extends Data.TaggedError("RequestTimeout")<{ readonly url: string; readonly timeoutMs: number }> {
  override get message() {
    return `request to ${this.url} took longer than ${this.timeoutMs} ms`
  }
}

/** The response body is larger than the request's `maxBytes` (by its Content-Length, or counted while reading). */
export class TooLarge extends Data.TaggedError("TooLarge")<{ readonly url: string; readonly maxBytes: number }> {
  override get message() {
    return `response of ${this.url} is larger than ${this.maxBytes} bytes`
  }
}

/** More redirects than the request's `maxRedirects`, or a redirect without a usable Location. */
export class TooManyRedirects extends Data.TaggedError("TooManyRedirects")<{ readonly url: string; readonly maxRedirects: number }> {
  override get message() {
    return `${this.url} redirected more than ${this.maxRedirects} times`
  }
}

/** The final response's status is 400 or above; only with `failOnStatus: true`. */
export class HttpStatus extends Data.TaggedError("HttpStatus")<{ readonly url: string; readonly status: number }> {
  override get message() {
    return `${this.url} answered HTTP ${this.status}`
  }
}

/** The pool already tracks `maxOrigins` origins, all of them busy, so a new origin gets no pool. */
export class TooManyOrigins extends Data.TaggedError("TooManyOrigins")<{ readonly origin: string; readonly maxOrigins: number }> {
  override get message() {
    return `no pool for ${this.origin}: ${this.maxOrigins} origins are already in use`
  }
}

/** Every way an outbound request can fail. */
export type ConnectionError =
  | InvalidRequest
  | RefusedAddress
  | ConnectTimeout
  | ConnectionFailed
  | RequestTimeout
  | TooLarge
  | TooManyRedirects
  | HttpStatus
  | TooManyOrigins
