/**
 * The two stores behind `VectorIndex`: hnswlib's HNSW graph (approximate, sub-linear) and an exact
 * scan over a packed Float32Array (the fallback for small sizes and the oracle for recall). Both
 * take unit vectors the caller has validated: hnswlib is a native addon, and bad input must never
 * reach it.
 */
import { createRequire } from "node:module"

/** hnswlib-node, loaded on first use: the native addon stays out of server start until an index is built. */
const loadHnswlib = (): typeof import("hnswlib-node") => createRequire(import.meta.url)("hnswlib-node")

/** One neighbour: the internal label and its cosine similarity to the query. */
export interface Neighbour {
  readonly label: number
  readonly score: number
}

/** What `VectorIndex` needs from a store; labels are unique and never reused by the caller. */
export interface Backend {
  readonly insert: (label: number, unit: Float32Array) => void
  readonly remove: (label: number) => void
  /** The `k` nearest live vectors, best first (`k` ≤ the live count), among those `allowed` admits (all without it). */
  readonly search: (unit: Float32Array, k: number, allowed?: (label: number) => boolean) => ReadonlyArray<Neighbour>
  /** The stored (unit) vector of a live label, to rebuild the store under fresh labels. */
  readonly vector: (label: number) => Float32Array
  /** Writes the store to `file` (HNSW only: the exact scan is rebuilt instead, in milliseconds). */
  readonly write?: (file: string) => void
}

export interface HnswParameters {
  readonly dimensions: number
  readonly maxEntries: number
  readonly m: number
  readonly efConstruction: number
  readonly efSearch: number
}

/** First capacity of a new graph; it doubles (up to `maxEntries`) as it fills. */
const INITIAL_CAPACITY = 1024

/**
 * An HNSW graph in cosine space. Removed slots are marked deleted and reused by the next insert
 * (`allowReplaceDeleted`), so the graph never holds more than `maxEntries` slots.
 */
export const hnsw = (parameters: HnswParameters): Backend => {
  const index = new (loadHnswlib().HierarchicalNSW)("cosine", parameters.dimensions)
  index.initIndex({
    maxElements: Math.min(INITIAL_CAPACITY, parameters.maxEntries),
    m: parameters.m,
    efConstruction: parameters.efConstruction,
    randomSeed: 100,
    allowReplaceDeleted: true
  })
  return hnswOver(index, parameters, 0)
}

/**
 * An HNSW graph read from `file` (written by `write`), holding `live` labels. The caller has
 * checked the file's digest: hnswlib trusts what it reads.
 */
export const hnswFromFile = async (parameters: HnswParameters, file: string, live: number): Promise<Backend> => {
  const index = new (loadHnswlib().HierarchicalNSW)("cosine", parameters.dimensions)
  await index.readIndex(file, true)
  return hnswOver(index, parameters, index.getCurrentCount() - live)
}

const hnswOver = (index: import("hnswlib-node").HierarchicalNSW, parameters: HnswParameters, deletedAtStart: number): Backend => {
  index.setEf(parameters.efSearch)
  let deleted = deletedAtStart
  return {
    insert: (label, unit) => {
      if (deleted === 0 && index.getCurrentCount() >= index.getMaxElements()) {
        index.resizeIndex(Math.min(index.getMaxElements() * 2, parameters.maxEntries))
      }
      index.addPoint(Array.from(unit), label, deleted > 0)
      if (deleted > 0) deleted--
    },
    remove: (label) => {
      index.markDelete(label)
      deleted++
    },
    search: (unit, k, allowed) => {
      const { distances, neighbors } = index.searchKnn(Array.from(unit), k, allowed)
      return neighbors.map((label, i) => ({ label, score: 1 - distances[i]! }))
    },
    vector: (label) => Float32Array.from(index.getPoint(label)),
    write: (file) => index.writeIndexSync(file)
  }
}

/** An exact cosine scan: rows packed densely (a removal moves the last row into the hole). */
export const exact = (dimensions: number, maxEntries: number): Backend => {
  let rows = new Float32Array(Math.min(INITIAL_CAPACITY, maxEntries) * dimensions)
  const labelOfRow: Array<number> = []
  const rowOfLabel = new Map<number, number>()
  return {
    insert: (label, unit) => {
      const row = labelOfRow.length
      if ((row + 1) * dimensions > rows.length) {
        const grown = new Float32Array(Math.min(rows.length * 2, maxEntries * dimensions))
        grown.set(rows)
        rows = grown
      }
      rows.set(unit, row * dimensions)
      labelOfRow.push(label)
      rowOfLabel.set(label, row)
    },
    remove: (label) => {
      const row = rowOfLabel.get(label)
      if (row === undefined) return
      const last = labelOfRow.length - 1
      if (row !== last) {
        rows.copyWithin(row * dimensions, last * dimensions, (last + 1) * dimensions)
        labelOfRow[row] = labelOfRow[last]!
        rowOfLabel.set(labelOfRow[row]!, row)
      }
      labelOfRow.pop()
      rowOfLabel.delete(label)
    },
    search: (unit, k, allowed) => topK(rows, labelOfRow, unit, k, allowed),
    vector: (label) => {
      const row = rowOfLabel.get(label)!
      return rows.slice(row * dimensions, (row + 1) * dimensions)
    }
  }
}

/** The `k` best rows by dot product, kept sorted by insertion (k is small). */
const topK = (rows: Float32Array, labels: ReadonlyArray<number>, query: Float32Array, k: number, allowed?: (label: number) => boolean) => {
  const dimensions = query.length
  const best: Array<Neighbour> = []
  for (let row = 0; row < labels.length; row++) {
    if (allowed !== undefined && !allowed(labels[row]!)) continue
    const offset = row * dimensions
    let score = 0
    for (let d = 0; d < dimensions; d++) score += rows[offset + d]! * query[d]!
    if (best.length === k && score <= best[k - 1]!.score) continue
    let at = best.length === k ? k - 1 : best.length
    while (at > 0 && best[at - 1]!.score < score) {
      best[at] = best[at - 1]!
      at--
    }
    best[at] = { label: labels[row]!, score }
  }
  return best
}
