/**
 * An ordered, named set of protocol items (tools, resources, templates, prompts) with cursor
 * pagination whose pages are serialized to bytes once per change, not once per request.
 */
import { invalidParams, type ProtocolError, quote } from "../JsonRpc.ts"

/** Longer cursors are refused before decoding (ours are a dozen characters). */
const MAX_CURSOR_LENGTH = 64

export class Catalog<T> {
  readonly #items = new Map<string, T>()
  readonly #wire = new Map<string, unknown>()
  /** Serialized pages per tail, then per offset: at most (items / pageSize + 1) per tail. */
  readonly #pages = new Map<string, Map<number, Buffer>>()
  readonly #listeners = new Set<() => void>()
  #version = 0
  readonly listKey: string
  readonly pageSize: number

  constructor(listKey: string, pageSize: number) {
    this.listKey = listKey
    this.pageSize = pageSize
  }

  get version(): number {
    return this.#version
  }

  get size(): number {
    return this.#items.size
  }

  get(name: string): T | undefined {
    return this.#items.get(name)
  }

  values(): IterableIterator<T> {
    return this.#items.values()
  }

  /** Adds or replaces an item; `wire` is what the list result shows for it. */
  set(name: string, item: T, wire: unknown): void {
    this.#items.set(name, item)
    this.#wire.set(name, wire)
    this.#changed()
  }

  delete(name: string): boolean {
    const existed = this.#items.delete(name)
    this.#wire.delete(name)
    if (existed) this.#changed()
    return existed
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * The serialized page at `cursor` as UTF-8 bytes: `{"<listKey>":[…],"nextCursor":…` + `tail`,
   * where `tail` closes the object (and adds revision-specific fields, or closes an enclosing
   * response). Memoized per (tail, offset); a cursor this catalog did not issue is -32602.
   */
  pageBytes(cursor: string | undefined, tail: string): Buffer | ProtocolError {
    const offset = cursor === undefined ? 0 : decodeCursor(cursor)
    if (offset === undefined || offset > this.#wire.size) return invalidParams(`Invalid cursor: ${quote(cursor ?? "")}`)
    let pages = this.#pages.get(tail)
    if (pages === undefined) this.#pages.set(tail, pages = new Map())
    const memo = pages.get(offset)
    if (memo !== undefined) return memo
    const all = [...this.#wire.values()]
    const page = all.slice(offset, offset + this.pageSize)
    const next = offset + this.pageSize < all.length ? encodeCursor(offset + this.pageSize) : undefined
    const bytes = Buffer.from(`{${JSON.stringify(this.listKey)}:${JSON.stringify(page)}${next === undefined ? "" : `,"nextCursor":${JSON.stringify(next)}`}${tail}`)
    pages.set(offset, bytes)
    return bytes
  }

  /** {@link pageBytes} as text (for tests and diagnostics). */
  pageJson(cursor: string | undefined, tail: string): string | ProtocolError {
    const page = this.pageBytes(cursor, tail)
    return page instanceof Uint8Array ? page.toString("utf8") : page
  }

  /** How many serialized pages are memoized now (bounded by pages × tails, whatever cursors clients send). */
  get memoizedPages(): number {
    let count = 0
    for (const pages of this.#pages.values()) count += pages.size
    return count
  }

  #changed(): void {
    this.#version++
    this.#pages.clear()
    for (const listener of this.#listeners) listener()
  }
}

const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString("base64url")

/** The offset a cursor names, or undefined unless it is exactly the cursor this catalog issues for it. */
const decodeCursor = (cursor: string): number | undefined => {
  if (cursor.length > MAX_CURSOR_LENGTH) return undefined
  const text = Buffer.from(cursor, "base64url").toString()
  if (!/^o:(0|[1-9][0-9]{0,14})$/.test(text)) return undefined
  const offset = Number(text.slice(2))
  return encodeCursor(offset) === cursor ? offset : undefined
}
