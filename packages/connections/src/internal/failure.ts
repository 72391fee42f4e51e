/**
 * Turns what undici and Node reject with into a `ConnectionError`, and says which errors a retry
 * may cure.
 */
import {
  type ConnectionError,
  ConnectionFailed,
  ConnectTimeout,
  InvalidRequest,
  RefusedAddress,
  RequestTimeout
} from "../ConnectionError.ts"
import { Refusal } from "./connector.ts"

/** Where a failure happened, for the error's fields. */
export interface Attempt {
  readonly url: string
  readonly origin: string
  readonly connectTimeoutMs: number
  readonly timeoutMs: number
}

const INVALID = new Set(["UND_ERR_INVALID_ARG", "UND_ERR_NOT_SUPPORTED", "ERR_INVALID_URL", "ERR_INVALID_HTTP_TOKEN", "ERR_INVALID_CHAR", "ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE"])

/** A message of bounded length (a remote peer can influence some of them). */
const bounded = (text: string) => (text.length > 500 ? `${text.slice(0, 500)}…` : text)

/** The tagged error for `cause`, a rejection of undici's `request` or of reading its body. */
export const fromCause = (cause: unknown, attempt: Attempt): ConnectionError => {
  const refusal = cause instanceof Refusal ? cause : cause instanceof AggregateError ? cause.errors.find((e) => e instanceof Refusal) : undefined
  if (refusal !== undefined) return new RefusedAddress({ ...refusal.target, reason: refusal.message })
  const error = cause instanceof Error ? cause : new Error(String(cause))
  const raw: unknown = (error as Error & { code?: unknown }).code
  const code = typeof raw === "string" ? raw : error.name
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return new ConnectTimeout({ origin: attempt.origin, timeoutMs: attempt.connectTimeoutMs })
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return new RequestTimeout({ url: attempt.url, timeoutMs: attempt.timeoutMs })
  }
  if (INVALID.has(code)) return new InvalidRequest({ url: attempt.url, reason: bounded(error.message) })
  return new ConnectionFailed({ origin: attempt.origin, code, reason: bounded(error.message) })
}

/** Whether another attempt may succeed where this one failed: a broken or slow connection, never a refusal or a bad request. */
export const isTransient = (error: ConnectionError): boolean =>
  error._tag === "ConnectTimeout" || error._tag === "ConnectionFailed" || error._tag === "RequestTimeout"
