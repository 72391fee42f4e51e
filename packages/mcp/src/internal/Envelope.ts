/**
 * The 2026-07-28 per-request `_meta` envelope, read the same way by every transport: which
 * required keys are missing, whether the revision is served, and the caller it describes; and
 * the progress token any request's `_meta` may carry, bounded since every notification echoes it.
 */
import { invalidParams, isObject, ProtocolError } from "../JsonRpc.ts"
import type { Peer } from "../Peer.ts"
import { isLoggingLevel, McpErrorCode, MetaKey, STATELESS_REVISION, STATELESS_REVISIONS } from "../Protocol.ts"


/** Longest progress token accepted: it is echoed in every progress notification, and stored with each in a resumable stream. */
const MAX_PROGRESS_TOKEN_LENGTH = 256

/** -32602 when a request's `_meta.progressToken` is there but neither a number nor a string of at most {@link MAX_PROGRESS_TOKEN_LENGTH}. */
export const invalidProgressToken = (params: Record<string, unknown> | undefined): ProtocolError | undefined => {
  const meta = params?._meta
  if (!isObject(meta) || meta.progressToken === undefined) return undefined
  const token = meta.progressToken
  if (typeof token === "string" ? token.length <= MAX_PROGRESS_TOKEN_LENGTH : typeof token === "number") return undefined
  return invalidParams(`Invalid params: _meta.progressToken must be a string of at most ${MAX_PROGRESS_TOKEN_LENGTH} characters or a number`)
}

/** True when `params` carry the 2026-07-28 `_meta` envelope (its protocol version key), complete or not: how both transports tell the revisions apart. */
export const hasEnvelope = (params: unknown): params is Record<string, unknown> & { readonly _meta: Record<string, unknown> } =>
  isObject(params) && isObject(params._meta) && MetaKey.protocolVersion in params._meta

/**
 * -32602 naming the required envelope keys that are absent or of the wrong type; undefined when
 * the envelope is complete (allocating nothing, as on every well-formed request).
 */
export const incomplete = (meta: Record<string, unknown>): ProtocolError | undefined => {
  const hasVersion = typeof meta[MetaKey.protocolVersion] === "string"
  const hasCapabilities = isObject(meta[MetaKey.clientCapabilities])
  if (hasVersion && hasCapabilities) return undefined
  const missing = hasVersion ? [MetaKey.clientCapabilities] : hasCapabilities ? [MetaKey.protocolVersion] : [MetaKey.protocolVersion, MetaKey.clientCapabilities]
  return invalidParams(`Invalid _meta envelope for protocol revision ${STATELESS_REVISION}: missing or invalid ${missing.join(", ")}`, { envelope: { missing } })
}

/** -32022 when `version` is not a revision this server serves statelessly. */
export const unsupportedVersion = (version: string): ProtocolError | undefined =>
  STATELESS_REVISIONS.includes(version)
    ? undefined
    : new ProtocolError({
      code: McpErrorCode.UnsupportedProtocolVersion,
      message: `Unsupported protocol version: ${version}`,
      data: { supported: [...STATELESS_REVISIONS], requested: version }
    })

/** The caller a complete envelope describes. */
export const peerOf = (meta: Record<string, unknown>, principal: string | undefined): Peer => {
  const logLevel = meta[MetaKey.logLevel]
  return {
    stateless: true,
    principal,
    clientCapabilities: meta[MetaKey.clientCapabilities] as Peer["clientCapabilities"],
    logLevel: isLoggingLevel(logLevel) ? logLevel : undefined,
    session: undefined
  }
}
