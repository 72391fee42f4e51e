/**
 * An ordered, named set of protocol items (tools, resources, templates, prompts) with cursor
 * pagination whose serialized pages are computed once per change, not once per request.
 */
import { invalidParams, type ProtocolError } from "../JsonRpc.ts"

export class Catalog<T> {
  readonly #items = new Map<string, T>()
  readonly #wire = new Map<string, unknown>()
  readonly #pages = new Map<string, string>()
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
   * The serialized result for one page: `{"<listKey>":[…],"nextCursor":…` + `tail`, where `tail`
   * closes the object (and adds revision-specific fields). Memoized per (cursor, tail).
   */
  pageJson(cursor: string | undefined, tail: string): string | ProtocolError {
    const memoKey = `${cursor ?? ""}\u0000${tail}`
    const memo = this.#pages.get(memoKey)
    if (memo !== undefined) return memo
    const offset = cursor === undefined ? 0 : decodeCursor(cursor)
    if (offset === undefined || offset > this.#wire.size) return invalidParams(`Invalid cursor: ${cursor}`)
    const all = [...this.#wire.values()]
    const page = all.slice(offset, offset + this.pageSize)
    const next = offset + this.pageSize < all.length ? encodeCursor(offset + this.pageSize) : undefined
    const json = `{${JSON.stringify(this.listKey)}:${JSON.stringify(page)}${
      next === undefined ? "" : `,"nextCursor":${JSON.stringify(next)}`
    }${tail}`
    this.#pages.set(memoKey, json)
    return json
  }

  #changed(): void {
    this.#version++
    this.#pages.clear()
    for (const listener of this.#listeners) listener()
  }
}

const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString("base64url")

const decodeCursor = (cursor: string): number | undefined => {
  const text = Buffer.from(cursor, "base64url").toString()
  if (!text.startsWith("o:")) return undefined
  const n = Number(text.slice(2))
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}
