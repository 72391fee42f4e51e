/**
 * The key of one cached tool call, as every tier receives it: the exact key (`id`), its digest for
 * the tiers and messages that leave the process, and the parts a semantic tier looks into (tool,
 * scope, arguments). Built by `Policy.key`.
 */
import { sha256 } from "./internal/digest.ts"

export interface CacheKey {
  /** The exact key: tool, scope and canonical arguments (hashed when long). L1 is keyed by it. */
  readonly id: string
  /**
   * base64url SHA-256 of `id`, computed on first use: the key of the tiers below L1 (Redis,
   * SQLite), of locks and of invalidation messages, so no raw argument is stored or sent.
   */
  readonly digest: string
  /** The tool called. */
  readonly tool: string
  /** "*" for results every caller shares, "@<principal>" for private ones. */
  readonly scope: string
  /**
   * The arguments as the client sent them (already known to be keyable: bounded in depth and
   * size). A semantic tier reads its declared text argument here.
   */
  readonly args: unknown
}

class Key implements CacheKey {
  readonly id: string
  readonly tool: string
  readonly scope: string
  readonly args: unknown
  #digest: string | undefined
  constructor(id: string, tool: string, scope: string, args: unknown) {
    this.id = id
    this.tool = tool
    this.scope = scope
    this.args = args
  }
  get digest(): string {
    return (this.#digest ??= sha256(this.id))
  }
}

/** A key from its parts; `Policy.key` is the usual way to get one. */
export const make = (id: string, tool: string, scope: string, args: unknown): CacheKey => new Key(id, tool, scope, args)
