/**
 * A bounded nearest-neighbour index of unit vectors under string keys, for the semantic tier: an
 * HNSW graph (hnswlib-node, cosine space) or an exact scan. It grows as it fills, evicts the
 * least-recently-hit entry past `maxEntries`, and validates every vector before it reaches the
 * native addon, so a wrong length, NaN or Infinity is a `VectorIndexError`, never a crash.
 * Persistence: the tier keeps the vectors (L4) and can always `add` them again on start; an HNSW
 * index can also be `save`d and `load`ed, which skips rebuilding the graph.
 */
import { Context, Data, Effect, Layer } from "effect"
import { type Backend, exact, hnsw, hnswFromFile, type HnswParameters } from "./internal/vectorBackend.ts"
import * as IndexFile from "./internal/vectorIndexFile.ts"

/** A vector as the embedder returns it, or as plain numbers. */
export type Vector = Float32Array | ReadonlyArray<number>

/** How an index is built; defaults were chosen by `npm run bench:semantic-index` (recall vs latency). */
export interface VectorIndexOptions {
  /** Length of every vector (512 for use-lite). */
  readonly dimensions: number
  /** Most entries held; adding one more evicts the least-recently-hit. */
  readonly maxEntries: number
  /** `hnsw` (default) or `exact`: a linear scan, exact and fast enough below a few thousand entries. */
  readonly kind?: "hnsw" | "exact"
  /** HNSW links per node; default 16. */
  readonly m?: number
  /** HNSW candidate list while building; default 100. */
  readonly efConstruction?: number
  /** HNSW candidate list while searching (raised to k when smaller); default 64. */
  readonly efSearch?: number
  /** Labels handed to hnswlib before the index rebuilds itself under fresh ones (hnswlib labels are uint32). */
  readonly labelLimit?: number
}

/** One search result: the entry's key and its cosine similarity to the query (1 = same direction). */
export interface VectorHit {
  readonly key: string
  readonly score: number
}

/** A rejected input (vector, k or options) or a native failure; nothing reaches hnswlib unchecked. */
export class VectorIndexError extends Data.TaggedError("VectorIndexError")<{
  readonly reason: "DimensionMismatch" | "NotFinite" | "ZeroVector" | "NotAVector" | "InvalidK" | "InvalidOptions" | "Native" | "Persistence"
  readonly detail: string
}> {}

/** Largest k a search accepts. */
export const MAX_K = 1024

const defaults = { m: 16, efConstruction: 100, efSearch: 64, labelLimit: 2 ** 32 - 1 } as const

/** An index of vectors under string keys (the tier's cache keys). */
export class VectorIndex extends Context.Service<VectorIndex, {
  readonly dimensions: number
  /** Adds or replaces the vector under `key`; succeeds with the keys evicted to make room. */
  readonly add: (key: string, vector: Vector) => Effect.Effect<ReadonlyArray<string>, VectorIndexError>
  /**
   * The `k` (default 1) entries most similar to `vector`, best first; with `filter`, only among the
   * keys it admits (the semantic tier searches one partition: same tool, scope and other arguments).
   */
  readonly search: (vector: Vector, k?: number, filter?: (key: string) => boolean) => Effect.Effect<ReadonlyArray<VectorHit>, VectorIndexError>
  /** Marks `key` as just hit (the tier calls it when it serves the entry), so eviction spares it. */
  readonly touch: (key: string) => Effect.Effect<void>
  /** Drops `key` (TTL expiry, invalidation); succeeds with whether it was held. */
  readonly remove: (key: string) => Effect.Effect<boolean>
  readonly has: (key: string) => Effect.Effect<boolean>
  readonly size: Effect.Effect<number>
  /**
   * Writes an HNSW index to `file` and its keys to `file.json`, for `load`. The graph is written
   * synchronously (hnswlib must not be changed while it writes): at 100k entries, ~250 MB.
   */
  readonly save: (file: string) => Effect.Effect<void, VectorIndexError>
}>()("@tenfold/semantic/VectorIndex") {
  /** A layer holding one index built with `options`. */
  static layer = (options: VectorIndexOptions) => Layer.effect(VectorIndex, make(options))
}

const isIntIn = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max

const invalid = (reason: VectorIndexError["reason"], detail: string) => new VectorIndexError({ reason, detail })

const checkOptions = (options: VectorIndexOptions): VectorIndexError | undefined => {
  const bounds: ReadonlyArray<readonly [string, number | undefined, number, number]> = [
    ["dimensions", options.dimensions, 1, 4096],
    ["maxEntries", options.maxEntries, 1, 10_000_000],
    ["m", options.m, 2, 128],
    ["efConstruction", options.efConstruction, 1, 4096],
    ["efSearch", options.efSearch, 1, 4096],
    ["labelLimit", options.labelLimit, 2, defaults.labelLimit]
  ]
  for (const [name, value, min, max] of bounds) {
    if (value !== undefined && !isIntIn(value, min, max)) {
      return invalid("InvalidOptions", `${name} must be an integer in [${min}, ${max}], got ${String(value)}`)
    }
  }
  return undefined
}

/**
 * A unit-length copy of `vector`, or why it cannot be indexed. Checks type, length and every
 * element before anything native sees it.
 */
const toUnitVector = (vector: unknown, dimensions: number): Float32Array | VectorIndexError => {
  if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
    return invalid("NotAVector", "expected a Float32Array or an array of numbers")
  }
  if (vector.length !== dimensions) {
    return invalid("DimensionMismatch", `expected ${dimensions} dimensions, got ${vector.length}`)
  }
  const unit = new Float32Array(dimensions)
  let norm = 0
  for (let i = 0; i < dimensions; i++) {
    const value: unknown = vector[i]
    if (typeof value !== "number" || !Number.isFinite(value) || !Number.isFinite(Math.fround(value))) {
      return invalid("NotFinite", `element ${i} is not a finite 32-bit number`)
    }
    unit[i] = value
    norm += value * value
  }
  if (!(norm > 0) || !Number.isFinite(norm)) return invalid("ZeroVector", "a vector of norm 0 has no direction")
  const scale = 1 / Math.sqrt(norm)
  for (let i = 0; i < dimensions; i++) unit[i]! *= scale
  return unit
}

/** Builds one index; fails only on invalid options. */
export const make = (options: VectorIndexOptions): Effect.Effect<VectorIndex["Service"], VectorIndexError> =>
  Effect.suspend(() => {
    const rejected = checkOptions(options)
    return rejected ? Effect.fail(rejected) : Effect.succeed(makeWith(options, newBackend(options)))
  })

/**
 * Reads an index written by `save` (an HNSW one, built with the same `dimensions`). Fails with
 * "Persistence" when the files are missing, damaged or do not match — then rebuild from the
 * stored vectors instead. The graph's digest is checked before hnswlib reads it.
 */
export const load = (file: string, options: VectorIndexOptions): Effect.Effect<VectorIndex["Service"], VectorIndexError> =>
  Effect.gen(function*() {
    const rejected = checkOptions(options)
    if (rejected) return yield* rejected
    if (options.kind === "exact") return yield* invalid("InvalidOptions", "only an HNSW index is saved and loaded")
    const saved = yield* IndexFile.read(file).pipe(Effect.mapError((detail) => invalid("Persistence", detail)))
    if (saved.dimensions !== options.dimensions || saved.entries.length > options.maxEntries) {
      return yield* invalid("Persistence", `${file} holds ${saved.entries.length} vectors of ${saved.dimensions} dimensions`)
    }
    const backend = yield* Effect.tryPromise({
      try: () => hnswFromFile(hnswParameters(options), file, saved.entries.length),
      catch: (cause) => invalid("Persistence", `${file}: ${String(cause)}`)
    })
    return makeWith(options, backend, saved)
  })

const hnswParameters = (options: VectorIndexOptions): HnswParameters => ({
  dimensions: options.dimensions,
  maxEntries: options.maxEntries,
  m: options.m ?? defaults.m,
  efConstruction: options.efConstruction ?? defaults.efConstruction,
  efSearch: options.efSearch ?? defaults.efSearch
})

const newBackend = (options: VectorIndexOptions): Backend =>
  options.kind === "exact" ? exact(options.dimensions, options.maxEntries) : hnsw(hnswParameters(options))

const makeWith = (options: VectorIndexOptions, initial: Backend, saved?: IndexFile.Saved): VectorIndex["Service"] => {
  const { dimensions, maxEntries } = options
  const labelLimit = options.labelLimit ?? defaults.labelLimit
  let backend = initial
  /** key → label, least recently added or hit first */
  const labels = new Map<string, number>(saved?.entries)
  const keys = new Map<number, string>(saved?.entries.map(([key, label]) => [label, key]))
  let nextLabel = saved?.nextLabel ?? 0

  const drop = (key: string, label: number) => {
    backend.remove(label)
    labels.delete(key)
    keys.delete(label)
  }
  const insert = (key: string, unit: Float32Array) => {
    const label = nextLabel++
    backend.insert(label, unit)
    labels.set(key, label)
    keys.set(label, key)
  }
  /** Re-adds every live entry under labels 0…n−1, in recency order, into a fresh store. */
  const relabel = () => {
    const entries = Array.from(labels, ([key, label]) => [key, backend.vector(label)] as const)
    backend = newBackend(options)
    labels.clear()
    keys.clear()
    nextLabel = 0
    for (const [key, unit] of entries) insert(key, unit)
  }
  const native = <A>(run: () => A) =>
    Effect.try({ try: run, catch: (cause) => invalid("Native", cause instanceof Error ? cause.message : String(cause)) })

  return VectorIndex.of({
    dimensions,
    add: (key, vector) =>
      Effect.suspend(() => {
        const unit = toUnitVector(vector, dimensions)
        if (unit instanceof VectorIndexError) return Effect.fail(unit)
        return native(() => {
          const previous = labels.get(key)
          if (previous !== undefined) drop(key, previous)
          const evicted: Array<string> = []
          for (const [oldest, label] of labels) {
            if (labels.size < maxEntries) break
            drop(oldest, label)
            evicted.push(oldest)
          }
          if (nextLabel >= labelLimit) relabel()
          insert(key, unit)
          return evicted
        })
      }),
    search: (vector, k = 1, filter) =>
      Effect.suspend(() => {
        if (!isIntIn(k, 1, MAX_K)) return Effect.fail(invalid("InvalidK", `k must be an integer in [1, ${MAX_K}]`))
        const unit = toUnitVector(vector, dimensions)
        if (unit instanceof VectorIndexError) return Effect.fail(unit)
        if (labels.size === 0) return Effect.succeed([])
        return native(() =>
          backend.search(unit, Math.min(k, labels.size), filter === undefined ? undefined : (label) => {
            const key = keys.get(label)
            return key !== undefined && filter(key)
          }).flatMap(({ label, score }) => {
            const key = keys.get(label)
            return key === undefined ? [] : [{ key, score }]
          })
        )
      }),
    touch: (key) =>
      Effect.sync(() => {
        const label = labels.get(key)
        if (label === undefined) return
        labels.delete(key)
        labels.set(key, label)
      }),
    remove: (key) =>
      Effect.sync(() => {
        const label = labels.get(key)
        if (label === undefined) return false
        drop(key, label)
        return true
      }),
    has: (key) => Effect.sync(() => labels.has(key)),
    size: Effect.sync(() => labels.size),
    save: (file) =>
      Effect.suspend(() => {
        const write = backend.write
        if (write === undefined) return Effect.fail(invalid("InvalidOptions", "only an HNSW index is saved and loaded"))
        const snapshot = (graphFile: string): IndexFile.Saved => {
          write(graphFile)
          return { dimensions, nextLabel, entries: Array.from(labels) }
        }
        return IndexFile.write(file, snapshot).pipe(
          Effect.mapError((detail) => invalid("Persistence", detail))
        )
      })
  })
}
