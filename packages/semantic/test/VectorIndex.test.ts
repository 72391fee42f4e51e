import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { load, make, type VectorIndexOptions } from "../src/VectorIndex.ts"

/** A seeded generator (mulberry32), so every run indexes the same vectors. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6D2B79F5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** `count` vectors around `clusters` centres: near neighbours exist, as with real embeddings. */
const clustered = (count: number, dimensions: number, clusters: number, seed: number) => {
  const random = seeded(seed)
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dimensions }, () => random() - 0.5))
  return Array.from({ length: count }, (_, i) => Float32Array.from(centres[i % clusters]!, (c) => c + (random() - 0.5) * 0.3))
}

const dimensions = 32

const failureReason = <A>(effect: Effect.Effect<A, { readonly reason: string }>) =>
  Effect.map(Effect.result(effect), (result) => Result.isFailure(result) ? result.failure.reason : "succeeded")

describe.each(["hnsw", "exact"] as const)("VectorIndex (%s)", (kind) => {
  const index = (options: Partial<VectorIndexOptions> = {}) => make({ dimensions, maxEntries: 10_000, kind, ...options })

  it.effect("finds an added vector first, with score 1", () =>
    Effect.gen(function*() {
      const vectors = clustered(200, dimensions, 10, 1)
      const vi = yield* index()
      for (const [i, v] of vectors.entries()) yield* vi.add(`k${i}`, v)
      const hits = yield* vi.search(vectors[42]!, 5)
      assert.strictEqual(hits.length, 5)
      assert.strictEqual(hits[0]!.key, "k42")
      assert.closeTo(hits[0]!.score, 1, 1e-5)
      for (let i = 1; i < hits.length; i++) assert.isAtMost(hits[i]!.score, hits[i - 1]!.score + 1e-6)
      assert.strictEqual(yield* vi.size, 200)
    }))

  it.effect("searches only the keys a filter admits", () =>
    Effect.gen(function*() {
      const vectors = clustered(200, dimensions, 10, 4)
      const vi = yield* index()
      for (const [i, v] of vectors.entries()) yield* vi.add(`${i % 2 === 0 ? "even" : "odd"}${i}`, v)
      const hits = yield* vi.search(vectors[42]!, 5, (key) => key.startsWith("odd"))
      assert.strictEqual(hits.length, 5)
      for (const hit of hits) assert.isTrue(hit.key.startsWith("odd"))
      assert.deepStrictEqual(yield* vi.search(vectors[42]!, 5, () => false), [])
      const only = yield* vi.search(vectors[42]!, 5, (key) => key === "odd7")
      assert.deepStrictEqual(only.map((hit) => hit.key), ["odd7"])
    }))

  it.effect("top-1 equals the exact scan on a small clustered set", () =>
    Effect.gen(function*() {
      const vectors = clustered(600, dimensions, 20, 2)
      const queries = clustered(60, dimensions, 20, 3)
      const vi = yield* index()
      const oracle = yield* make({ dimensions, maxEntries: 10_000, kind: "exact" })
      for (const [i, v] of vectors.entries()) {
        yield* vi.add(`k${i}`, v)
        yield* oracle.add(`k${i}`, v)
      }
      for (const q of queries) {
        const [hit] = yield* vi.search(q)
        const [truth] = yield* oracle.search(q)
        assert.strictEqual(hit!.key, truth!.key)
        assert.closeTo(hit!.score, truth!.score, 1e-5)
      }
    }))

  it.effect("a removed key is never returned; adding a key again replaces its vector", () =>
    Effect.gen(function*() {
      const [a, b, c] = clustered(3, dimensions, 3, 4)
      const vi = yield* index()
      yield* vi.add("a", a!)
      yield* vi.add("b", b!)
      assert.isTrue(yield* vi.remove("a"))
      assert.isFalse(yield* vi.remove("a"))
      assert.isFalse(yield* vi.has("a"))
      assert.deepStrictEqual((yield* vi.search(a!, 10)).map((h) => h.key), ["b"])
      yield* vi.add("b", c!)
      assert.strictEqual(yield* vi.size, 1)
      assert.closeTo((yield* vi.search(c!))[0]!.score, 1, 1e-5)
      yield* vi.remove("b")
      assert.deepStrictEqual(yield* vi.search(c!), [])
    }))

  it.effect("grows past its first capacity and reuses removed slots", () =>
    Effect.gen(function*() {
      const vectors = clustered(3000, dimensions, 50, 5)
      const vi = yield* index()
      for (const [i, v] of vectors.entries()) yield* vi.add(`k${i}`, v)
      for (let i = 0; i < 1000; i++) yield* vi.remove(`k${i}`)
      for (let i = 0; i < 1000; i++) yield* vi.add(`again${i}`, vectors[i]!)
      assert.strictEqual(yield* vi.size, 3000)
      for (const i of [0, 999, 1000, 2999]) {
        const [hit] = yield* vi.search(vectors[i]!)
        assert.closeTo(hit!.score, 1, 1e-5)
        assert.strictEqual(hit!.key, i < 1000 ? `again${i}` : `k${i}`)
      }
    }))

  it.effect("evicts the least-recently-hit entry past maxEntries", () =>
    Effect.gen(function*() {
      const [a, b, c, d] = clustered(4, dimensions, 4, 6)
      const vi = yield* index({ maxEntries: 3 })
      yield* vi.add("a", a!)
      yield* vi.add("b", b!)
      yield* vi.add("c", c!)
      yield* vi.touch("a")
      assert.deepStrictEqual(yield* vi.add("d", d!), ["b"])
      assert.deepStrictEqual(yield* vi.add("e", b!), ["c"])
      assert.strictEqual(yield* vi.size, 3)
      const keys = (yield* vi.search(b!, 10)).map((h) => h.key).sort()
      assert.deepStrictEqual(keys, ["a", "d", "e"])
    }))

  it.effect("rebuilds under fresh labels when it runs out of labels, keeping every entry", () =>
    Effect.gen(function*() {
      const vectors = clustered(40, dimensions, 8, 7)
      const vi = yield* index({ maxEntries: 10, labelLimit: 12 })
      for (const [i, v] of vectors.entries()) yield* vi.add(`k${i}`, v)
      assert.strictEqual(yield* vi.size, 10)
      for (let i = 30; i < 40; i++) assert.strictEqual((yield* vi.search(vectors[i]!))[0]!.key, `k${i}`)
    }))

  it.effect("is rebuilt from stored vectors: same answers as the index it replaces", () =>
    Effect.gen(function*() {
      const vectors = clustered(500, dimensions, 20, 8)
      const stored = vectors.map((v, i) => [`k${i}`, Array.from(v)] as const) // as L4 would keep them
      const first = yield* index()
      for (const [key, v] of stored) yield* first.add(key, v)
      const rebuilt = yield* index()
      for (const [key, v] of stored) yield* rebuilt.add(key, v)
      for (const q of clustered(30, dimensions, 20, 9)) {
        assert.deepStrictEqual(yield* rebuilt.search(q, 3), yield* first.search(q, 3))
      }
    }))

  it.effect("rejects bad vectors and k as data, before anything native sees them", () =>
    Effect.gen(function*() {
      const vi = yield* index()
      const good = clustered(1, dimensions, 1, 10)[0]!
      yield* vi.add("good", good)
      const withValue = (value: unknown) => Object.assign(Array.from(good), { 3: value }) as Array<number>
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [new Float32Array(dimensions - 1), "DimensionMismatch"],
        [Array.from({ length: dimensions + 1 }, () => 1), "DimensionMismatch"],
        [[], "DimensionMismatch"],
        [withValue(Number.NaN), "NotFinite"],
        [withValue(Number.POSITIVE_INFINITY), "NotFinite"],
        [withValue(1e39), "NotFinite"],
        [withValue("1"), "NotFinite"],
        [withValue(undefined), "NotFinite"],
        [Float32Array.from(good, (_, i) => (i === 5 ? Number.NaN : 1)), "NotFinite"],
        [new Float32Array(dimensions), "ZeroVector"],
        [{ length: dimensions }, "NotAVector"],
        [new Float64Array(dimensions).fill(1), "NotAVector"],
        ["text", "NotAVector"],
        [null, "NotAVector"]
      ]
      for (const [vector, reason] of cases) {
        assert.strictEqual(yield* failureReason(vi.add("bad", vector as Array<number>)), reason)
        assert.strictEqual(yield* failureReason(vi.search(vector as Array<number>)), reason)
      }
      for (const k of [0, -1, 1.5, Number.NaN, 1025]) {
        assert.strictEqual(yield* failureReason(vi.search(good, k)), "InvalidK")
      }
      assert.isFalse(yield* vi.has("bad"))
      assert.strictEqual((yield* vi.search(good))[0]!.key, "good")
    }))

  it.effect("survives random garbage vectors (fuzz): each is a VectorIndexError or a valid entry", () =>
    Effect.gen(function*() {
      const random = seeded(11)
      const vi = yield* index({ maxEntries: 50 })
      const specials = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-45, 3.5e38, 1e39, Number.MAX_VALUE]
      for (let round = 0; round < 300; round++) {
        const length = random() < 0.8 ? dimensions : Math.floor(random() * 2 * dimensions)
        const vector = Array.from({ length }, () => random() < 0.05 ? specials[Math.floor(random() * specials.length)]! : random() - 0.5)
        const added = yield* Effect.result(vi.add(`f${round}`, vector))
        const searched = yield* Effect.result(vi.search(vector, 1 + Math.floor(random() * 5)))
        assert.strictEqual(Result.isSuccess(added), Result.isSuccess(searched))
      }
      assert.isAtMost(yield* vi.size, 50)
    }))
})

describe("VectorIndex options", () => {
  it.effect("rejects options out of range", () =>
    Effect.gen(function*() {
      for (
        const options of [
          { dimensions: 0, maxEntries: 10 },
          { dimensions: 8, maxEntries: 0 },
          { dimensions: 8, maxEntries: 10, m: 1 },
          { dimensions: 8.5, maxEntries: 10 },
          { dimensions: 8, maxEntries: 10, efSearch: Number.NaN }
        ]
      ) {
        assert.strictEqual(yield* failureReason(make(options)), "InvalidOptions")
      }
    }))
})

describe("VectorIndex save and load (hnsw)", () => {
  const options = { dimensions, maxEntries: 300 }
  /** A temporary directory, removed with the test's scope. */
  const tempDir = Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "vector-index-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

  it.effect("round trip: same answers, same eviction order, removed slots reused", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "index.hnsw")
      const vectors = clustered(320, dimensions, 16, 12)
      const saved = yield* make(options)
      for (let i = 0; i < 300; i++) yield* saved.add(`k${i}`, vectors[i]!)
      for (let i = 0; i < 10; i++) yield* saved.remove(`k${i}`)
      yield* saved.touch("k10")
      yield* saved.save(file)
      const loaded = yield* load(file, options)
      assert.strictEqual(yield* loaded.size, 290)
      for (const q of clustered(20, dimensions, 16, 13)) assert.deepStrictEqual(yield* loaded.search(q, 5), yield* saved.search(q, 5))
      for (let i = 300; i < 310; i++) assert.deepStrictEqual(yield* loaded.add(`k${i}`, vectors[i]!), [])
      assert.deepStrictEqual(yield* loaded.add("k310", vectors[310]!), ["k11"])
      assert.strictEqual((yield* loaded.search(vectors[305]!))[0]!.key, "k305")
      assert.strictEqual((yield* loaded.search(vectors[10]!))[0]!.key, "k10")
    }))

  it.effect("damaged, missing or mismatched files fail as Persistence, never crash", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = join(dir, "index.hnsw")
      const index = yield* make(options)
      for (const [i, v] of clustered(50, dimensions, 5, 14).entries()) yield* index.add(`k${i}`, v)
      yield* index.save(file)
      assert.strictEqual(yield* failureReason(load(file, { ...options, dimensions: dimensions + 1 })), "Persistence")
      assert.strictEqual(yield* failureReason(load(file, { ...options, maxEntries: 10 })), "Persistence")
      assert.strictEqual(yield* failureReason(load(join(dir, "missing.hnsw"), options)), "Persistence")
      const graph = readFileSync(file)
      const flip = () => graph.writeUInt8(graph.readUInt8(graph.length >> 1) ^ 0xff, graph.length >> 1)
      flip()
      writeFileSync(file, graph)
      assert.strictEqual(yield* failureReason(load(file, options)), "Persistence")
      flip()
      writeFileSync(file, graph.subarray(0, 100))
      assert.strictEqual(yield* failureReason(load(file, options)), "Persistence")
      writeFileSync(file, graph)
      const keys = readFileSync(`${file}.json`, "utf8")
      for (const broken of ["{", "[]", keys.replace(/"k1"/, "\"k2\""), keys.replace(/"nextLabel":\d+/, "\"nextLabel\":3")]) {
        writeFileSync(`${file}.json`, broken)
        assert.strictEqual(yield* failureReason(load(file, options)), "Persistence")
      }
      writeFileSync(`${file}.json`, keys)
      assert.strictEqual(yield* (yield* load(file, options)).size, 50)
    }))

  it.effect("an exact index is rebuilt, not saved", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "index.hnsw")
      const index = yield* make({ ...options, kind: "exact" })
      assert.strictEqual(yield* failureReason(index.save(file)), "InvalidOptions")
      assert.strictEqual(yield* failureReason(load(file, { ...options, kind: "exact" })), "InvalidOptions")
    }))
})
