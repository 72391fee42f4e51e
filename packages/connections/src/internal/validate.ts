/**
 * What a request must be before a socket is touched: an absolute http(s) URL of bounded length, a
 * known method, header names that are tokens and values undici can send (it stalls on values
 * beyond Latin-1 instead of refusing them), headers of bounded size. Anything else is an
 * `InvalidRequest`.
 */
import { InvalidRequest } from "../ConnectionError.ts"
import type { Method, RequestOptions } from "../HttpRequest.ts"
import type { Hop } from "./redirect.ts"
import { IDEMPOTENT } from "./retry.ts"

const METHODS: ReadonlySet<string> = new Set([...IDEMPOTENT, "POST", "PATCH"])
/** RFC 9110 token: a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** A header value undici can send as is: no control characters but tab, nothing beyond Latin-1 (undici stalls on those). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/** Longest URL sent. */
const MAX_URL_LENGTH = 16 * 1024
/** Most bytes of request headers, names and values together. */
const MAX_HEADER_BYTES = 64 * 1024

/** The request's headers with lower-case names and a User-Agent, or why they cannot be sent. */
const headersOf = (given: Readonly<Record<string, string>>, userAgent: string): Record<string, string> | string => {
  const headers: Record<string, string> = {}
  let bytes = 0
  for (const [name, value] of Object.entries(given)) {
    if (!TOKEN.test(name)) return `invalid header name ${JSON.stringify(name.slice(0, 40))}`
    if (typeof value !== "string" || !FIELD_VALUE.test(value)) return `invalid value of header ${name}`
    bytes += name.length + value.length
    if (bytes > MAX_HEADER_BYTES) return `headers longer than ${MAX_HEADER_BYTES} bytes`
    headers[name.toLowerCase()] = value
  }
  headers["user-agent"] ??= userAgent
  return headers
}

/** `url` (resolved against `base`, for a Location) when it is an http(s) URL of bounded length. */
export const url = (input: string | URL, base?: URL): URL | InvalidRequest => {
  const text = String(input)
  let parsed: URL
  try {
    parsed = new URL(text, base)
  } catch {
    return new InvalidRequest({ url: text.slice(0, 2048), reason: "not a valid URL" })
  }
  if (parsed.href.length > MAX_URL_LENGTH) return new InvalidRequest({ url: parsed.href.slice(0, 2048), reason: `URL longer than ${MAX_URL_LENGTH} characters` })
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return new InvalidRequest({ url: parsed.href.slice(0, 2048), reason: `scheme ${parsed.protocol} is not http: or https:` })
  }
  return parsed
}

/** The first hop of `request`, its headers lower-cased and given a User-Agent, or why it cannot be sent. */
export const firstHop = (request: RequestOptions, userAgent: string): Hop | InvalidRequest => {
  const parsed = url(request.url)
  if (parsed instanceof InvalidRequest) return parsed
  const method: Method = request.method ?? "GET"
  if (!METHODS.has(method)) return new InvalidRequest({ url: parsed.href, reason: `method ${String(method).slice(0, 20)} is not supported` })
  const headers = headersOf(request.headers ?? {}, userAgent)
  if (typeof headers === "string") return new InvalidRequest({ url: parsed.href, reason: headers })
  return { url: parsed, method, headers, body: request.body }
}
