/**
 * The request gate every HTTP route sits behind: Host and Origin checks (DNS rebinding), bearer
 * authentication, and for POSTs the media type and a body bounded in size and nesting depth. It answers refusals itself
 * (403, 401, 415, 413, 400) and allocates nothing per request for clients it has seen before.
 */
import { isJsonContentType, localhostAllowedHostnames, localhostAllowedOrigins, validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server"
import type { IncomingMessage, ServerResponse } from "node:http"
import { principalOf, type Tokens } from "../Auth.ts"
import { ErrorCode } from "../JsonRpc.ts"
import { memoize } from "./Headers.ts"
import { exceedsDepth } from "./JsonBounds.ts"
import { tooDeep } from "./Limits.ts"
import { reply, replyError, TRANSPORT_ERROR } from "./Reply.ts"

export interface GateOptions {
  /** Check Host and Origin (on by default; turn off only behind a proxy that does). */
  readonly dnsRebindingProtection?: boolean
  /** Host names allowed besides the loopback ones. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Full origins (`https://app.example.com`) allowed besides loopback ones. */
  readonly allowedOrigins?: ReadonlyArray<string>
  /** When non-empty, every request needs `Authorization: Bearer <token>`. */
  readonly tokens?: Tokens
}

/** The gate refused the request and has answered it. */
export const DENIED: unique symbol = Symbol.for("@tenfold/mcp/Gate/DENIED")

/** The principal of an admitted request (undefined without authentication), or {@link DENIED}. */
export type Admission = string | undefined | typeof DENIED

type Verdict = { readonly ok: true } | { readonly ok: false; readonly message: string }

/** `origin` normalized the way browsers send it (`scheme://host[:port]`); the text itself when it is not a URL. */
const originOf = (value: string): string => {
  try {
    return new URL(value).origin
  } catch {
    return value
  }
}

/**
 * Allows loopback origins on any scheme and port (local tools), and the configured full origins
 * exactly: scheme, host and port must all match.
 */
export const originChecker = (allowedOrigins: ReadonlyArray<string>) => {
  const exact = new Set(allowedOrigins.map(originOf))
  const loopback = localhostAllowedOrigins()
  return (origin: string | undefined): Verdict => {
    if (origin === undefined || origin === "") return { ok: true }
    if (validateOriginHeader(origin, loopback).ok) return { ok: true }
    return exact.has(originOf(origin)) ? { ok: true } : { ok: false, message: `Invalid Origin: ${origin}` }
  }
}

/** The value of `WWW-Authenticate` on a 401: RFC 6750 names the error only when a token was sent. */
export const challenge = (authorization: string | undefined): string =>
  authorization === undefined ? `Bearer realm="tenfold"` : `Bearer realm="tenfold", error="invalid_token"`

/** Builds the gate: a function that admits a request (returning its principal) or answers it. */
export const make = (options: GateOptions) => {
  const protection = options.dnsRebindingProtection ?? true
  const allowedHosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? [])]
  const checkHost = memoize((host) => validateHostHeader(host, allowedHosts))
  const checkOrigin = memoize(originChecker(options.allowedOrigins ?? []))
  const tokens = options.tokens ?? new Map<string, string>()

  return (req: IncomingMessage, res: ServerResponse): Admission => {
    if (protection) {
      const host = checkHost(req.headers.host)
      if (!host.ok) {
        replyError(res, 403, null, TRANSPORT_ERROR, `Forbidden: ${host.message}`)
        return DENIED
      }
      const origin = checkOrigin(req.headers.origin)
      if (!origin.ok) {
        replyError(res, 403, null, TRANSPORT_ERROR, `Forbidden: ${origin.message}`)
        return DENIED
      }
    }
    if (tokens.size === 0) return undefined
    const authorization = req.headers.authorization
    const principal = principalOf(tokens, authorization)
    if (principal === undefined) {
      replyError(res, 401, null, TRANSPORT_ERROR, "Unauthorized: a valid bearer token is required", undefined, {
        "www-authenticate": challenge(authorization)
      })
      return DENIED
    }
    return principal
  }
}

/** What receives a parsed body: a function made once, so reading a body allocates no closure for it. */
export type OnBody = (req: IncomingMessage, res: ServerResponse, body: unknown, principal: string | undefined) => void

/** How large and how deeply nested a POSTed body may be. */
export interface BodyLimits {
  readonly maxBodyBytes: number
  readonly maxDepth: number
}

/**
 * Reads a POSTed JSON body of at most `maxBodyBytes`, nested at most `maxDepth` deep (checked on
 * the bytes, before parsing), and hands the parsed value to `onBody`; answers 415 (media type
 * other than application/json, parameters allowed), 413 and 400 itself.
 */
export const readJson = (
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
  principal: string | undefined,
  onBody: OnBody
): void => {
  const { maxBodyBytes, maxDepth } = limits
  if (!isJsonContentType(req.headers["content-type"])) {
    req.resume()
    return replyError(res, 415, null, TRANSPORT_ERROR, "Unsupported Media Type: Content-Type must be application/json")
  }
  const declared = Number(req.headers["content-length"])
  if (declared > maxBodyBytes) {
    req.resume()
    return tooLarge(res, maxBodyBytes)
  }
  const chunks: Array<Buffer> = []
  let size = 0
  req.on("data", (chunk: Buffer) => {
    if (size > maxBodyBytes) return
    size += chunk.length
    if (size > maxBodyBytes) return tooLarge(res, maxBodyBytes)
    chunks.push(chunk)
  })
  req.on("end", () => {
    if (size > maxBodyBytes) return
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    if (exceedsDepth(bytes, maxDepth)) return reply(res, 400, tooDeep(maxDepth))
    let body: unknown
    try {
      body = JSON.parse(bytes.toString("utf8"))
    } catch {
      return replyError(res, 400, null, ErrorCode.ParseError, "Parse error: the request body is not valid JSON")
    }
    onBody(req, res, body, principal)
  })
}

const tooLarge = (res: ServerResponse, maxBodyBytes: number) =>
  replyError(res, 413, null, TRANSPORT_ERROR, `Payload Too Large: the body exceeds ${maxBodyBytes} bytes`, undefined, { connection: "close" })
