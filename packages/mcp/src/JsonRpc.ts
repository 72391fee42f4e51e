/**
 * JSON-RPC 2.0 framing for MCP: message shapes, the standard error codes, and the one error type
 * every protocol failure travels as until the transport turns it into bytes.
 */
import { ProtocolErrorCode } from "@modelcontextprotocol/server"
import { Data } from "effect"

/** Standard JSON-RPC error codes (the SDK's), plus the ones only Tenfold answers with. */
export const ErrorCode = {
  ParseError: ProtocolErrorCode.ParseError,
  InvalidRequest: ProtocolErrorCode.InvalidRequest,
  MethodNotFound: ProtocolErrorCode.MethodNotFound,
  InvalidParams: ProtocolErrorCode.InvalidParams,
  InternalError: ProtocolErrorCode.InternalError,
  /** MCP: the requested resource does not exist. */
  ResourceNotFound: ProtocolErrorCode.ResourceNotFound,
  /** Tenfold: a bound was reached (admission, subscriptions); `data` says what and when to retry. */
  ServerBusy: -32000
} as const

export type RequestId = string | number

/** A request or notification as parsed off the wire, before the method is known to exist. */
export interface JsonRpcRequest {
  readonly jsonrpc: "2.0"
  readonly id?: RequestId
  readonly method: string
  readonly params?: Record<string, unknown>
}

export interface JsonRpcResponse {
  readonly jsonrpc: "2.0"
  readonly id: RequestId | null
  readonly result?: unknown
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown }
}

/**
 * A protocol-level failure: answered as a JSON-RPC error object with `code` and `message`.
 * Tool failures are not this: they answer a normal result with `isError: true`.
 */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly code: number
  readonly message: string
  readonly data?: unknown
}> {}

export const invalidParams = (message: string, data?: unknown) =>
  new ProtocolError({ code: ErrorCode.InvalidParams, message, data })

export const invalidRequest = (message: string) => new ProtocolError({ code: ErrorCode.InvalidRequest, message })

export const methodNotFound = (method: string) =>
  new ProtocolError({ code: ErrorCode.MethodNotFound, message: `Method not found: ${quote(method)}` })

/** Longest client-sent text an error message echoes. */
export const MAX_ECHO_LENGTH = 100

/**
 * Client-sent text for an error message: quoted, cut at {@link MAX_ECHO_LENGTH}, never a client
 * object's own `toString` (anything but a string is described by its type).
 */
export const quote = (value: unknown): string =>
  typeof value === "string"
    ? JSON.stringify(value.length > MAX_ECHO_LENGTH ? `${value.slice(0, MAX_ECHO_LENGTH)}…` : value)
    : value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`

/** A JSON object (not null, not an array): what params, `_meta` and results must be. */
export const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

export const isRequestId = (u: unknown): u is RequestId =>
  typeof u === "string" || (typeof u === "number" && Number.isInteger(u))

/** Serializes a success response around an already-serialized result (precomputed list bytes). */
export const resultBytes = (id: RequestId, resultJson: string): string =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`

export const result = (id: RequestId, value: unknown): string => resultBytes(id, JSON.stringify(value))

export const errorBytes = (id: RequestId | null, code: number, message: string, data?: unknown): string =>
  JSON.stringify({ jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } })

export const notification = (method: string, params?: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params })

export type Classified =
  | { readonly _tag: "Request"; readonly message: JsonRpcRequest & { readonly id: RequestId } }
  | { readonly _tag: "Notification"; readonly message: JsonRpcRequest }
  | { readonly _tag: "Response"; readonly message: JsonRpcResponse }
  | { readonly _tag: "Invalid"; readonly id: RequestId | null; readonly reason: string }

/** Classifies one parsed JSON value as a request, notification, response, or an invalid message. */
export const classify = (u: unknown): Classified => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) {
    return { _tag: "Invalid", id: null, reason: "A JSON-RPC message must be an object" }
  }
  const m = u as Record<string, unknown>
  const id = isRequestId(m.id) ? m.id : null
  if (m.jsonrpc !== "2.0") return { _tag: "Invalid", id, reason: "jsonrpc must be \"2.0\"" }
  if (typeof m.method === "string") {
    if (m.params !== undefined && (typeof m.params !== "object" || m.params === null || Array.isArray(m.params))) {
      return { _tag: "Invalid", id, reason: "params must be an object" }
    }
    if (!("id" in m)) return { _tag: "Notification", message: m as unknown as JsonRpcRequest }
    if (id === null) return { _tag: "Invalid", id: null, reason: "id must be a string or an integer" }
    return { _tag: "Request", message: m as unknown as JsonRpcRequest & { id: RequestId } }
  }
  if ("result" in m || "error" in m) {
    return { _tag: "Response", message: m as unknown as JsonRpcResponse }
  }
  return { _tag: "Invalid", id, reason: "Missing method" }
}
