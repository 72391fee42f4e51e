/**
 * Cache policy per tool and the cache key. A tool is cached only when its declaration or the
 * configuration says so; read-only tools get the default policy, others are never cached unless
 * configured. Private results (the default) are keyed by principal, so no user reads another's.
 */
import { Duration } from "effect"
import { type CacheKey, make as makeKey } from "./CacheKey.ts"
import { sha256 } from "./internal/digest.ts"

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
  /**
   * Let the semantic tier (L3) answer a call from a cached result of a call whose `argument` (a
   * string) means the same, with every other argument and the scope equal; `false` turns off one
   * declared in code. `threshold` is the least cosine similarity (default: the tier's).
   */
  readonly semantic?: SemanticOptions | false
}

/** Which text argument the semantic tier compares, and how similar two texts must be. */
export interface SemanticOptions {
  readonly argument: string
  readonly threshold?: number
}

/** A resolved policy: all durations in milliseconds. */
export interface CachePolicy {
  readonly ttlMs: number
  readonly staleWhileRevalidateMs: number
  readonly graceMs: number
  readonly scope: "public" | "private"
  readonly maxBytes: number
  /** Set when the tool opted in to the semantic tier (L3); absent, that tier answers miss at once. */
  readonly semantic?: SemanticOptions
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
    maxBytes: merged.maxBytes ?? DEFAULT_MAX_BYTES,
    ...(merged.semantic === undefined || merged.semantic === false ? {} : { semantic: merged.semantic })
  }
}

/** Deepest nesting of arrays and objects a key is built for; deeper arguments run uncached. */
export const MAX_DEPTH = 64
/** Longest canonical form (UTF-16 units) a key is built for; longer arguments run uncached. */
export const MAX_CANONICAL_LENGTH = 1024 * 1024
/** Canonical forms longer than this are replaced in the key by their SHA-256, so L1 keys stay small. */
export const HASH_ABOVE_LENGTH = 256

/** The canonical form under construction. */
interface Writer {
  out: string
}

/** Appends `value` at nesting `depth`; false when it is not JSON or goes past a bound. */
const write = (writer: Writer, value: unknown, depth: number): boolean => {
  switch (typeof value) {
    case "string":
      // JSON.stringify never shortens a string: a too-long one is refused before it is copied
      if (value.length > MAX_CANONICAL_LENGTH - writer.out.length) return false
      writer.out += JSON.stringify(value)
      break
    case "number":
      writer.out += Number.isFinite(value) ? String(value) : "null"
      break
    case "boolean":
      writer.out += value ? "true" : "false"
      break
    case "object": {
      if (value === null) {
        writer.out += "null"
        break
      }
      if (depth >= MAX_DEPTH) return false
      // every element or member adds at least two units ("0," or "{}"), so a count alone can refuse
      if (Array.isArray(value)) {
        if (2 * value.length > MAX_CANONICAL_LENGTH - writer.out.length) return false
        writer.out += "["
        for (let i = 0; i < value.length; i++) {
          if (i > 0) writer.out += ","
          const element: unknown = value[i]
          if (element === undefined) writer.out += "null"
          else if (!write(writer, element, depth + 1)) return false
        }
        writer.out += "]"
        break
      }
      const keys = Object.keys(value)
      if (4 * keys.length > MAX_CANONICAL_LENGTH - writer.out.length) return false
      keys.sort()
      writer.out += "{"
      let first = true
      for (const key of keys) {
        const member: unknown = (value as Record<string, unknown>)[key]
        if (member === undefined) continue
        if (!first) writer.out += ","
        first = false
        if (!write(writer, key, depth + 1)) return false
        writer.out += ":"
        if (!write(writer, member, depth + 1)) return false
      }
      writer.out += "}"
      break
    }
    default:
      return false // undefined, bigint, function, symbol: not JSON
  }
  return writer.out.length <= MAX_CANONICAL_LENGTH
}

/**
 * JSON with object keys sorted at every depth, so equal arguments give equal keys; undefined when
 * `value` is not JSON, nests deeper than MAX_DEPTH or is longer than MAX_CANONICAL_LENGTH.
 * Bounded in stack and output, and never throws, whatever a client sent.
 */
export const canonicalJson = (value: unknown): string | undefined => {
  const writer: Writer = { out: "" }
  try {
    return write(writer, value, 0) ? writer.out : undefined
  } catch {
    return undefined // a Proxy or a throwing getter: not something a JSON parser produces
  }
}

/** The key of one tool call: tool, scope (public, or the principal) and canonical arguments (hashed when long). Undefined: the arguments cannot be keyed, run the call uncached. */
export const key = (tool: string, policy: CachePolicy, principal: string | undefined, args: unknown): CacheKey | undefined => {
  const canonical = canonicalJson(args ?? {})
  if (canonical === undefined) return undefined
  const scope = policy.scope === "public" ? "*" : `@${principal ?? ""}`
  const exact = canonical.length > HASH_ABOVE_LENGTH ? `#${sha256(canonical)}` : canonical
  return makeKey(`${tool}\u0000${scope}\u0000${exact}`, tool, scope, args)
}
