/**
 * Result JSON for the 2026-07-28 revision, built by splicing text rather than copying objects:
 * `resultType`, the server identity in `_meta`, and the cache hints (`ttlMs`, `cacheScope`) are
 * appended to an already-serialized result. One instance per dispatcher (the identity is fixed).
 */
import type { RequestId } from "../JsonRpc.ts"
import { Spliced } from "../Peer.ts"
import { MetaKey } from "../Protocol.ts"

export type CacheScope = "public" | "private"

/** The splicing functions for one server identity. */
export interface ResultJson {
  /** A stateless result: `resultType` and server identity added. */
  readonly stateless: (value: Record<string, unknown>) => string
  /**
   * A cached result (`value` is its serialized JSON) for a stateless peer: with `ttlMs` counting
   * down to `freshUntil` and `cacheScope`, unless `freshUntil` is 0 (not cached).
   */
  readonly cached: (value: string, scope: CacheScope, freshUntil: number, now: number) => string
  /** The tail that closes a list page's JSON for a stateless peer (cache hints and identity). */
  readonly cacheableTail: (scope: CacheScope, ttlMs: number) => string
}

export const make = (identity: Record<string, unknown>): ResultJson => {
  const metaJson = JSON.stringify({ [MetaKey.serverInfo]: identity })
  const completeTail = `,"resultType":"complete","_meta":${metaJson}}`
  const metaTail = `,"_meta":${metaJson}}`

  /** Adds `resultType` and the server identity by copying (only for results that carry `_meta`). */
  const withIdentity = (value: Record<string, unknown>): Record<string, unknown> => ({
    ...value,
    resultType: value.resultType ?? "complete",
    _meta: { ...(value._meta as object | undefined), [MetaKey.serverInfo]: identity }
  })

  const stateless = (value: Record<string, unknown>): string => {
    if (value._meta !== undefined) return JSON.stringify(withIdentity(value))
    const json = JSON.stringify(value)
    const tail = "resultType" in value ? metaTail : completeTail
    return json === "{}" ? `{${tail.slice(1)}` : json.slice(0, -1) + tail
  }

  const cached = (value: string, scope: CacheScope, freshUntil: number, now: number): string => {
    const ttlMs = Math.max(0, Math.floor(freshUntil - now))
    if (value.includes("\"_meta\":") || value.includes("\"resultType\":")) {
      const parsed = JSON.parse(value) as Record<string, unknown>
      return stateless(freshUntil > 0 ? { ...parsed, ttlMs, cacheScope: scope } : parsed)
    }
    const hints = freshUntil > 0 ? `"ttlMs":${ttlMs},"cacheScope":"${scope}",` : ""
    return `${value.slice(0, -1)}${value.length > 2 ? "," : ""}${hints}${completeTail.slice(1)}`
  }

  const cacheableTail = (scope: CacheScope, ttlMs: number) =>
    `,"resultType":"complete","ttlMs":${ttlMs},"cacheScope":"${scope}","_meta":${metaJson}}`

  return { stateless, cached, cacheableTail }
}

/**
 * Responses up to a quarter of this are carved from shared slabs, so such an answer costs a copy,
 * not an allocation. Small, because a slow reader holding one answer holds its whole slab: at most
 * 256 KiB per connection, no more than the largest answer would hold by itself.
 */
const SLAB_BYTES = 256 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let used = 0

/**
 * The bytes of a success response around a precomputed result: the id spliced in front of
 * `resultAndClose` (the result's bytes followed by the `}` that closes the response). A small
 * one is carved from a shared slab (a region is never reused: the slab is dropped once full), so
 * it costs one copy and no allocation of its own; a large one is the head and the memoised bytes
 * as they are ({@link Spliced}), written without any copy.
 */
export const responseBytes = (id: RequestId, resultAndClose: Uint8Array): Buffer | Spliced => {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`
  const headBytes = Buffer.byteLength(head)
  const size = headBytes + resultAndClose.byteLength
  // past a quarter slab, a copy costs more than a second buffer in the write (a 363 KB page: ~80 µs
  // of allocation and copying, and its garbage, per answer)
  if (size > SLAB_BYTES / 4) return new Spliced(head, resultAndClose)
  if (used + size > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    used = 0
  }
  const out = slab.subarray(used, used + size)
  used += (size + 7) & ~7
  out.write(head, 0)
  out.set(resultAndClose, headBytes)
  return out
}
