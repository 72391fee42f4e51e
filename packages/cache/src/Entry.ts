/**
 * One cached value and its lifetime, and its binary form for the tiers that store bytes
 * (Redis, SQLite): a 16-byte header (fresh-until, stale-until as float64 epoch ms) + UTF-8 value.
 */

/** A cached value: the serialized result, fresh until `freshUntil`, usable (stale) until `staleUntil`. */
export interface Entry {
  readonly value: string
  /** Epoch ms before which the entry is served as fresh. */
  readonly freshUntil: number
  /** Epoch ms before which the entry may still be served stale (revalidate, grace); dropped after. */
  readonly staleUntil: number
}

const HEADER_BYTES = 16

export const encode = (entry: Entry): Buffer => {
  const value = Buffer.from(entry.value, "utf8")
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + value.length)
  bytes.writeDoubleLE(entry.freshUntil, 0)
  bytes.writeDoubleLE(entry.staleUntil, 8)
  value.copy(bytes, HEADER_BYTES)
  return bytes
}

/** The entry in `bytes`, or undefined when they are not an encoded entry (never throws). */
export const decode = (bytes: Uint8Array): Entry | undefined => {
  if (bytes.length < HEADER_BYTES) return undefined
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const freshUntil = buffer.readDoubleLE(0)
  const staleUntil = buffer.readDoubleLE(8)
  if (!Number.isFinite(freshUntil) || !Number.isFinite(staleUntil)) return undefined
  return { value: buffer.toString("utf8", HEADER_BYTES), freshUntil, staleUntil }
}

/** Approximate memory an entry holds: its key and value as UTF-16, plus bookkeeping. */
export const sizeOf = (key: string, entry: Entry): number => 2 * (key.length + entry.value.length) + 64
