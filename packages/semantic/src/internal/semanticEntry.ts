/**
 * What the semantic tier keeps per cached call, and the pure steps around it: which text a call
 * is compared on, the partition it may be compared within, and the `_meta` mark of a hit.
 */
import { type CacheKey, Policy } from "@tenfold/cache"
import { hash } from "node:crypto"
import type * as Guard from "../Guard.ts"

/** One semantic entry: a cached call's text, where it may match, and the lifetime of its value. */
export interface Stored {
  /** The digest of the call's exact key: its value is found under it in the exact tiers. */
  readonly digest: string
  /** The exact key itself when this instance stored it (L1 is keyed by it); absent for entries read back from SQLite or Redis. */
  readonly id: string | undefined
  /** Tool, scope and every other argument, hashed: only entries of one partition are compared. */
  readonly partition: string
  /** The declared text argument of the call. */
  readonly text: string
  /** `Guard.facts(text)`, computed once. */
  readonly facts: Guard.Facts
  /** Its unit vector, for the exact scan of a small partition (2 kB at 512 dimensions). */
  readonly vector: Float32Array
  freshUntil: number
  staleUntil: number
}

/** An entry as persisted (SQLite) and shared (Redis): `Stored` without what is rebuilt from it, plus its vector and model. */
export interface Persisted {
  readonly digest: string
  readonly partition: string
  readonly text: string
  readonly model: string
  readonly freshUntil: number
  readonly staleUntil: number
  readonly vector: Float32Array
}

/** The `_meta` key of a semantic hit's result. */
const META_KEY = "io.tenfold/semantic"

/** The call's text: its `argument`, when that is a non-blank string of at most `maxLength` characters. */
export const textOf = (args: unknown, argument: string, maxLength: number): string | undefined => {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return undefined
  const text: unknown = (args as { readonly [key: string]: unknown })[argument]
  return typeof text === "string" && text.length <= maxLength && text.trim() !== "" ? text : undefined
}

/**
 * The partition of a call: SHA-256 of its tool, scope and canonical arguments without `argument`,
 * so only calls that differ in that one text are compared. Undefined when the rest cannot be keyed.
 */
export const partitionOf = (key: CacheKey.CacheKey, argument: string): string | undefined => {
  const { [argument]: _text, ...rest } = key.args as { readonly [key: string]: unknown }
  const canonical = Policy.canonicalJson(rest)
  return canonical === undefined ? undefined : hash("sha256", `${key.tool}\u0000${key.scope}\u0000${canonical}`, "base64url")
}

/**
 * `value` (a serialized tool result) with `_meta["io.tenfold/semantic"]` saying which cached
 * query it answers for, how similar (cosine, 4 places) and by which model; undefined when the
 * value is not a JSON object.
 */
export const mark = (value: string, query: string, score: number, model: string): string | undefined => {
  let result: unknown
  try {
    result = JSON.parse(value)
  } catch {
    return undefined
  }
  if (typeof result !== "object" || result === null || Array.isArray(result)) return undefined
  const meta: unknown = (result as { readonly _meta?: unknown })._meta
  const previous = typeof meta === "object" && meta !== null && !Array.isArray(meta) ? meta : {}
  return JSON.stringify({ ...result, _meta: { ...previous, [META_KEY]: { query, score: Math.round(score * 10_000) / 10_000, model } } })
}

/** A vector as bytes (little-endian float32), for SQLite and Redis. */
export const vectorBytes = (vector: Float32Array): Buffer => {
  const bytes = Buffer.allocUnsafe(vector.length * 4)
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4)
  return bytes
}

/** The vector in `bytes`, or undefined when they do not hold `dimensions` finite floats. */
export const vectorOf = (bytes: Uint8Array, dimensions: number): Float32Array | undefined => {
  if (bytes.byteLength !== dimensions * 4) return undefined
  const vector = new Float32Array(dimensions)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < dimensions; i++) {
    const value = view.getFloat32(i * 4, true)
    if (!Number.isFinite(value)) return undefined
    vector[i] = value
  }
  return vector
}
