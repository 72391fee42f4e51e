/**
 * Cache policy per tool and the cache key. A tool is cached only when its declaration or the
 * configuration says so; read-only tools get the default policy, others are never cached unless
 * configured. Private results (the default) are keyed by principal, so no user reads another's.
 */
import { Duration } from "effect"

/** What a tool declares (or configuration overrides) about caching its results. */
export interface CacheOptions {
  /** How long a result is fresh (default 60 s). A number is milliseconds. */
  readonly ttl?: Duration.Input
  /** After `ttl`, serve the stale result at once and refresh it in the background, for this long. */
  readonly staleWhileRevalidate?: Duration.Input
  /** After `ttl`, keep the stale result for this long to answer with if the tool fails. */
  readonly grace?: Duration.Input
  /** True when every caller may share results (`cacheScope: "public"`); else keyed by principal. */
  readonly shared?: boolean
  /** Results larger than this are not cached (default 1 MiB). */
  readonly maxBytes?: number
}

/** A resolved policy: all durations in milliseconds. */
export interface CachePolicy {
  readonly ttlMs: number
  readonly staleWhileRevalidateMs: number
  readonly graceMs: number
  readonly scope: "public" | "private"
  readonly maxBytes: number
}

export const DEFAULT_TTL_MS = 60_000
export const DEFAULT_MAX_BYTES = 1024 * 1024

const ms = (input: Duration.Input | undefined, fallback: number) => (input === undefined ? fallback : Duration.toMillis(input))

/**
 * The policy for a tool: `declared` (false = never), overridden by `configured`; a tool that is
 * not read-only is cached only when one of them asks for it. Undefined means "do not cache".
 */
export const resolve = (options: {
  readonly readOnly: boolean
  readonly declared: CacheOptions | false | undefined
  readonly configured: CacheOptions | false | undefined
  readonly defaultTtlMs?: number
}): CachePolicy | undefined => {
  const { configured, declared } = options
  if (configured === false) return undefined
  if (configured === undefined && (declared === false || (declared === undefined && !options.readOnly))) return undefined
  const merged: CacheOptions = { ...(declared === false ? {} : declared), ...configured }
  return {
    ttlMs: ms(merged.ttl, options.defaultTtlMs ?? DEFAULT_TTL_MS),
    staleWhileRevalidateMs: ms(merged.staleWhileRevalidate, 0),
    graceMs: ms(merged.grace, 0),
    scope: merged.shared === true ? "public" : "private",
    maxBytes: merged.maxBytes ?? DEFAULT_MAX_BYTES
  }
}

/** JSON with object keys sorted at every depth, so equal arguments give equal keys. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  const keys = Object.keys(value).sort()
  let out = "{"
  for (let i = 0; i < keys.length; i++) {
    const v = (value as Record<string, unknown>)[keys[i]!]
    if (v === undefined) continue
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(keys[i])}:${canonicalJson(v)}`
  }
  return out + "}"
}

/** The key of one tool call: tool, scope (public, or the principal) and canonical arguments. */
export const key = (tool: string, policy: CachePolicy, principal: string | undefined, args: unknown): string =>
  `${tool}\u0000${policy.scope === "public" ? "*" : `@${principal ?? ""}`}\u0000${canonicalJson(args ?? {})}`
