/**
 * What both transports bound in one client message besides its size: how deep it nests (checked
 * on the raw bytes, before parsing), how much of `initialize` a session keeps, and how large a
 * `subscriptions/listen` filter may be. Options, their defaults, and the refusals past them.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server"
import { ErrorCode, errorBytes, invalidParams, isObject, type ProtocolError } from "../JsonRpc.ts"
import { exceedsSize } from "./JsonBounds.ts"
import { defaultListenFilterLimits, type ListenFilterLimits } from "./ListenFilter.ts"

/** The bounds a transport applies to each message; every field has a documented default. */
export interface MessageLimits {
  /** Deepest nesting of arrays and objects in one message, checked before parsing (default 512). */
  readonly maxJsonDepth?: number
  /** Largest `capabilities` of `initialize` a session keeps, in characters of JSON (default 16384); -32602 past it. */
  readonly maxClientCapabilitiesBytes?: number
  /** Most resource URIs in one `subscriptions/listen` filter (default 1000); -32602 past it. */
  readonly maxListenFilterUris?: number
  /** Most characters of resource URIs in one `subscriptions/listen` filter together (default 65536); -32602 past it. */
  readonly maxListenFilterBytes?: number
}

/** {@link MessageLimits} with the defaults filled in. */
export interface Limits {
  readonly maxJsonDepth: number
  readonly maxClientCapabilitiesBytes: number
  readonly listenFilter: ListenFilterLimits
}

const DEFAULT_MAX_JSON_DEPTH = 512
const DEFAULT_MAX_CLIENT_CAPABILITIES_BYTES = 16_384

export const resolve = (options: MessageLimits): Limits => ({
  maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
  maxClientCapabilitiesBytes: options.maxClientCapabilitiesBytes ?? DEFAULT_MAX_CLIENT_CAPABILITIES_BYTES,
  listenFilter: {
    maxUris: options.maxListenFilterUris ?? defaultListenFilterLimits.maxUris,
    maxBytes: options.maxListenFilterBytes ?? defaultListenFilterLimits.maxBytes
  }
})

/** The JSON-RPC error (id null: nothing was parsed) for a message nested deeper than `maxDepth`. */
export const tooDeep = (maxDepth: number): string =>
  errorBytes(null, ErrorCode.InvalidRequest, `Invalid Request: the message nests deeper than ${maxDepth} levels`)

/**
 * The capabilities a session keeps from `initialize` params, or the -32602 refusing them when
 * they take more than `maxSize` characters as JSON (measured without recursion or stringify).
 */
export const sessionCapabilities = (params: Record<string, unknown> | undefined, maxSize: number): ClientCapabilities | ProtocolError => {
  const capabilities = params?.capabilities
  if (!isObject(capabilities)) return {}
  if (exceedsSize(capabilities, maxSize)) {
    return invalidParams(`Invalid params: the client capabilities take more than ${maxSize} characters as JSON`, { maxClientCapabilitiesBytes: maxSize })
  }
  return capabilities
}
