/**
 * Reading HTTP request headers the way MCP needs: whitespace-tolerant values, the
 * `=?base64?…?=` encoding of `Mcp-Name` / `Mcp-Param-*`, `Accept` checks, and a small memo for
 * verdicts that clients repeat on every request (Host, Origin).
 */
import type { IncomingMessage } from "node:http"

const isOws = (code: number) => code === 32 || code === 9

/** Strips optional whitespace (SP / HTAB) around a header value; undefined when absent. */
export const header = (req: IncomingMessage, name: string): string | undefined => {
  const raw = req.headers[name]
  if (raw === undefined) return undefined
  const value = Array.isArray(raw) ? raw[0]! : raw
  return value.length > 0 && (isOws(value.charCodeAt(0)) || isOws(value.charCodeAt(value.length - 1))) ? value.replace(/^[ \t]+|[ \t]+$/g, "") : value
}

/** The path of a request target, without its query (`/mcp?x=1` → `/mcp`); allocates only when there is a query. */
export const pathOf = (url: string | undefined): string => {
  if (url === undefined) return "/"
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

/** Remembers the verdict on the last few hundred Host/Origin values (clients repeat theirs on every request). */
export const memoize = <A>(check: (value: string | undefined) => A): ((value: string | undefined) => A) => {
  const seen = new Map<string | undefined, A>()
  return (value) => {
    let verdict = seen.get(value)
    if (verdict === undefined) {
      verdict = check(value)
      if (seen.size >= 256) seen.clear()
      seen.set(value, verdict)
    }
    return verdict
  }
}

/**
 * Decodes an `Mcp-Name` / `Mcp-Param-*` value, which is `=?base64?…?=` for values unsafe in a
 * header; undefined when that encoding is malformed (bad alphabet, padding or UTF-8).
 */
export const decodeHeaderValue = (value: string): string | undefined => {
  if (!value.startsWith("=?base64?") || !value.endsWith("?=") || value.length < 11) return value
  const encoded = value.slice(9, -2)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined
  const bytes = Buffer.from(encoded, "base64")
  if (bytes.toString("base64") !== encoded) return undefined
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes)
  return text.includes("\uFFFD") ? undefined : text
}

/** The text a header carries for an argument value (strings as they are, numbers and booleans printed). */
export const headerText = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined

/** True when an `Accept` header admits one of `types` (an absent or wildcard Accept admits all). */
export const acceptsAny = (accept: string | undefined, types: ReadonlyArray<string>) =>
  accept === undefined || accept.includes("*/*") || types.some((t) => accept.includes(t))
