/**
 * The semantic tier's entries in memory: each entry under the digest of its exact key, grouped by
 * partition, with its vector in the `VectorIndex` (which bounds them and picks whom to evict).
 * The nearest entries of a partition come from an exact scan of its vectors when it is small,
 * else from the index searched with a filter (see `scanPartitionsUpTo` in SemanticTier).
 */
import { Effect } from "effect"
import { cosine } from "../Embedder.ts"
import * as Guard from "../Guard.ts"
import type { VectorHit, VectorIndex, VectorIndexError } from "../VectorIndex.ts"
import type { Persisted, Stored } from "./semanticEntry.ts"
import { normalize } from "./vector.ts"

/** What `put` did: renewed the lifetime of an entry with the same text, or added it (evicting others). */
export type Put =
  | { readonly _tag: "Renewed" }
  | { readonly _tag: "Unchanged" }
  | { readonly _tag: "Added"; readonly evicted: ReadonlyArray<string> }

export interface SemanticEntries {
  readonly size: () => number
  readonly get: (digest: string) => Stored | undefined
  readonly hasPartition: (partition: string) => boolean
  /** Adds `entry` (`id`: its exact key, when this instance stored it) or renews the lifetime of the same entry. */
  readonly put: (entry: Persisted, id: string | undefined) => Effect.Effect<Put, VectorIndexError>
  /** Drops the entry under `digest`; succeeds with whether it was held. */
  readonly remove: (digest: string) => Effect.Effect<boolean>
  /** The `k` entries of `partition` nearest to `query` (a unit vector), best first. */
  readonly nearest: (partition: string, query: Float32Array, k: number) => Effect.Effect<ReadonlyArray<VectorHit>>
  /** Marks an entry as just hit, so eviction spares it. */
  readonly touch: (digest: string) => Effect.Effect<void>
  /** The digests of the entries past their stale time at `now`. */
  readonly expired: (now: number) => ReadonlyArray<string>
}

export const make = (index: VectorIndex["Service"], scanPartitionsUpTo: number): SemanticEntries => {
  const entries = new Map<string, Stored>()
  /** partition → the digests of its entries */
  const partitions = new Map<string, Set<string>>()

  /** Drops an entry from the maps (not from the index). */
  const forget = (digest: string): boolean => {
    const stored = entries.get(digest)
    if (stored === undefined) return false
    entries.delete(digest)
    const members = partitions.get(stored.partition)
    members?.delete(digest)
    if (members?.size === 0) partitions.delete(stored.partition)
    return true
  }

  /** The `k` members nearest to `query` by an exact scan of their vectors, best first. */
  const scan = (members: ReadonlySet<string>, query: Float32Array, k: number): ReadonlyArray<VectorHit> => {
    const best: Array<VectorHit> = []
    for (const digest of members) {
      const score = cosine(entries.get(digest)!.vector, query)
      if (best.length === k && score <= best[k - 1]!.score) continue
      let at = best.length === k ? k - 1 : best.length
      while (at > 0 && best[at - 1]!.score < score) {
        best[at] = best[at - 1]!
        at--
      }
      best[at] = { key: digest, score }
    }
    return best
  }

  return {
    size: () => entries.size,
    get: (digest) => entries.get(digest),
    hasPartition: (partition) => partitions.has(partition),
    put: (entry, id) =>
      Effect.gen(function*() {
        const known = entries.get(entry.digest)
        if (known !== undefined && known.text === entry.text) {
          if (entry.staleUntil <= known.staleUntil) return { _tag: "Unchanged" } as const
          known.freshUntil = entry.freshUntil
          known.staleUntil = entry.staleUntil
          return { _tag: "Renewed" } as const
        }
        // read back from disk or Redis, it may not be unit length: the scan's dot product must be the cosine
        const vector = normalize(entry.vector)
        const evicted = yield* index.add(entry.digest, vector)
        for (const digest of evicted) forget(digest)
        forget(entry.digest)
        entries.set(entry.digest, {
          digest: entry.digest,
          id,
          partition: entry.partition,
          text: entry.text,
          facts: Guard.facts(entry.text),
          vector,
          freshUntil: entry.freshUntil,
          staleUntil: entry.staleUntil
        })
        const members = partitions.get(entry.partition)
        if (members === undefined) partitions.set(entry.partition, new Set([entry.digest]))
        else members.add(entry.digest)
        return { _tag: "Added", evicted } as const
      }),
    remove: (digest) => Effect.andThen(index.remove(digest), Effect.sync(() => forget(digest))),
    nearest: (partition, query, k) =>
      Effect.suspend(() => {
        const members = partitions.get(partition)
        if (members === undefined) return Effect.succeed([])
        if (members.size <= scanPartitionsUpTo) return Effect.succeed(scan(members, query, k))
        return index.search(query, k, (digest) => members.has(digest)).pipe(Effect.catch(() => Effect.succeed([])))
      }),
    touch: (digest) => index.touch(digest),
    expired: (now) => Array.from(entries.values()).flatMap((stored) => (now >= stored.staleUntil ? [stored.digest] : []))
  }
}
