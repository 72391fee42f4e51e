/**
 * `npm run bench:semantic-index`: the semantic tier's lookup cost — `VectorIndex` (HNSW,
 * hnswlib-node) beside an exact Float32Array scan, in the same run, at 1k, 10k and 100k entries
 * of 512 dimensions:
 *
 * 1. Parameter sweep (hnswlib directly, at BENCH_SWEEP_N entries): recall@1 / recall@10 against
 *    the exact scan and search p50 for M × efConstruction × efSearch — the evidence for the
 *    defaults in packages/semantic/src/VectorIndex.ts.
 * 2. Per size, with the shipped defaults: build time, memory growth (RSS; hnswlib allocates
 *    natively), save and load time of the graph, search p50/p99 of `VectorIndex` (hnsw and exact),
 *    recall, and embed (USE-lite) + search p50/p99 for one query text.
 *
 * Vectors: USE-lite embeddings of BENCH_EMBEDDED texts generated from tool-style templates; past
 * those, each entry mixes two real vectors plus a little noise (embedding 100k texts on 2 cores
 * would take most of the run), unit length. Queries: BENCH_QUERIES more generated texts, embedded
 * the same way. Random unit vectors would flatter nothing and test nothing: in 512 dimensions they
 * are all nearly orthogonal.
 *
 * Env: BENCH_SIZES (default "1000,10000,100000"), BENCH_EMBEDDED (real embeddings, 4000),
 * BENCH_QUERIES (HNSW queries per size, 1000), BENCH_EMBED_QUERIES (embed + search queries, 200),
 * BENCH_EXACT_QUERIES (exact-scan queries per size, 100), BENCH_SWEEP_N (10000; 0 skips part 1),
 * BENCH_SEED (7). Writes bench/results/semantic-index.json.
 */
import { Effect } from "effect"
import hnswlib from "hnswlib-node"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Embedder } from "../packages/semantic/src/Embedder.ts"
import { dot, normalize } from "../packages/semantic/src/internal/vector.ts"
import * as UseLiteEmbedder from "../packages/semantic/src/UseLiteEmbedder.ts"
import { load, make, type VectorIndexOptions } from "../packages/semantic/src/VectorIndex.ts"
import { formatTable, machine, writeResults, percentile } from "./support.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const knobs = {
  sizes: (process.env.BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number),
  embedded: env("BENCH_EMBEDDED", 4000),
  queries: env("BENCH_QUERIES", 1000),
  embedQueries: env("BENCH_EMBED_QUERIES", 200),
  exactQueries: env("BENCH_EXACT_QUERIES", 100),
  sweepN: env("BENCH_SWEEP_N", 10_000),
  seed: env("BENCH_SEED", 7)
}
const DIMENSIONS = 512

/** mulberry32 with a Box–Muller normal on top. */
const generator = (seed: number) => {
  const uniform = () => {
    seed = (seed + 0x6D2B79F5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
  return { uniform, normal }
}

/** Fillers for the query templates: tool-style requests a cache in front of MCP tools would see. */
const fill = {
  city: ["Paris", "Berlin", "Tokyo", "Lagos", "Lima", "Oslo", "Cairo", "Delhi", "Austin", "Quebec", "Seoul", "Nairobi", "Porto", "Denver", "Hanoi", "Zurich", "Perth", "Dublin", "Bogota", "Kyoto"],
  topic: ["connection pooling", "rate limits", "OAuth scopes", "cache invalidation", "vector search", "TLS certificates", "retry budgets", "log rotation", "schema migrations", "feature flags", "backpressure", "cold starts", "memory leaks", "load balancing", "webhooks", "pagination"],
  thing: ["invoice", "pull request", "ticket", "order", "meeting", "deployment", "customer record", "build", "report", "playlist"],
  unit: ["miles", "kilometres", "pounds", "kilograms", "litres", "gallons", "celsius", "fahrenheit"],
  day: ["today", "tomorrow", "on Monday", "this weekend", "next week", "on Friday evening"],
  person: ["Alice", "Bob", "Carmen", "Deepak", "Eun-ji", "Farid", "Grace", "Hiro"]
}
type Slot = keyof typeof fill
const templates: ReadonlyArray<string> = [
  "what is the weather in {city} {day}", "will it rain in {city} {day}", "forecast for {city} {day}",
  "find flights from {city} to {city} {day}", "cheapest train from {city} to {city}", "hotels near the centre of {city}",
  "explain {topic}", "how do I debug {topic} in production", "best practices for {topic}", "search the docs for {topic}",
  "show the latest {thing} from {person}", "close the {thing} assigned to {person}", "list every open {thing} {day}",
  "convert {n} {unit} to {unit}", "how many {unit} are in {n} {unit}", "remind {person} about the {thing} {day}",
  "summarise the {thing} about {topic}", "who owns the {thing} for {city}", "schedule a call with {person} {day} about {topic}",
  "translate the {thing} for {person} into the language of {city}"
]

/** `count` distinct query texts from the templates (seeded). */
const texts = (count: number, seed: number) => {
  const { uniform } = generator(seed)
  const pick = <A>(xs: ReadonlyArray<A>) => xs[Math.floor(uniform() * xs.length)]!
  const out = new Set<string>()
  while (out.size < count) {
    out.add(pick(templates).replace(/\{(\w+)\}/g, (_, slot: string) => slot === "n" ? String(1 + Math.floor(uniform() * 500)) : pick(fill[slot as Slot])))
  }
  return [...out]
}

/**
 * A corpus of `count` unit vectors and the query vectors: USE-lite embeddings of generated
 * texts; past the `embedded` real ones, each entry is a mixture of two real vectors plus noise
 * (embedding 100k texts on 2 cores would take most of the run).
 */
const corpus = (embedded: ReadonlyArray<Float32Array>, count: number, seed: number) => {
  const { normal, uniform } = generator(seed)
  const pick = () => embedded[Math.floor(uniform() * embedded.length)]!
  return Array.from({ length: count }, (_, i) => {
    if (i < embedded.length) return embedded[i]!
    const [a, b] = [pick(), pick()]
    return normalize(Float32Array.from(a, (x, d) => x + 0.5 * b[d]! + normal() * 0.015))
  })
}

const embedAll = (embedder: Embedder["Service"], all: ReadonlyArray<string>) =>
  Effect.forEach(chunks(all, 32), (batch) => embedder.embed(batch)).pipe(Effect.map((batches) => batches.flat()))

const chunks = <A>(xs: ReadonlyArray<A>, size: number) =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size))

const summary = (samples: Array<number>) => {
  const sorted = samples.slice().sort((a, b) => a - b)
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: sorted.length }
}
const ms = (x: number) => x < 0.1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1)
const pct = (x: number) => `${(100 * x).toFixed(1)} %`
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const memoryMiB = () => {
  const { rss, external, arrayBuffers } = process.memoryUsage()
  return { rss: rss / 2 ** 20, external: (external + arrayBuffers) / 2 ** 20 }
}

/** Exact top-k labels by dot product (the ground truth; vectors are unit length). */
const exactTopK = (vectors: ReadonlyArray<Float32Array>, query: Float32Array, k: number) => {
  const scores = vectors.map((v, i) => [i, dot(v, query)] as const)
  return scores.sort((a, b) => b[1] - a[1]).slice(0, k).map(([i]) => i)
}

const recall = (found: ReadonlyArray<ReadonlyArray<number>>, truth: ReadonlyArray<ReadonlyArray<number>>, k: number) => {
  let at1 = 0
  let atK = 0
  found.forEach((f, q) => {
    if (f[0] === truth[q]![0]) at1++
    const want = new Set(truth[q]!.slice(0, k))
    atK += f.slice(0, k).filter((x) => want.has(x)).length / k
  })
  return { at1: at1 / found.length, atK: atK / found.length }
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runSync(effect)

// ---- 1. parameter sweep -------------------------------------------------------------------
const sweep = (vectors: ReadonlyArray<Float32Array>, queries: ReadonlyArray<Float32Array>) => {
  const n = vectors.length
  const truth = queries.map((q) => exactTopK(vectors, q, 10))
  const rows: Array<Record<string, number>> = []
  for (const m of [8, 16, 32]) {
    for (const efConstruction of [64, 100, 200]) {
      const index = new hnswlib.HierarchicalNSW("cosine", DIMENSIONS)
      index.initIndex({ maxElements: n, m, efConstruction, randomSeed: 100 })
      const start = performance.now()
      vectors.forEach((v, i) => index.addPoint(Array.from(v), i))
      const buildMs = performance.now() - start
      for (const efSearch of [16, 32, 64, 128]) {
        index.setEf(efSearch)
        const times: Array<number> = []
        const found = queries.map((q) => {
          const t = performance.now()
          const { neighbors } = index.searchKnn(Array.from(q), 10)
          times.push(performance.now() - t)
          return neighbors
        })
        const r = recall(found, truth, 10)
        rows.push({ m, efConstruction, efSearch, buildMs, recallAt1: r.at1, recallAt10: r.atK, ...summary(times) })
      }
    }
  }
  console.log(`\n1. Parameter sweep: hnswlib at ${n} entries, ${queries.length} queries (k = 10)\n`)
  console.log(formatTable(
    ["M", "efC", "efSearch", "build s", "recall@1", "recall@10", "p50 ms", "p99 ms"],
    rows.map((r) => [String(r.m), String(r.efConstruction), String(r.efSearch), (r.buildMs! / 1000).toFixed(1), pct(r.recallAt1!), pct(r.recallAt10!), ms(r.p50!), ms(r.p99!)]),
    0
  ))
  return { entries: n, queries: queries.length, rows }
}

// ---- 2. VectorIndex per size --------------------------------------------------------------
type Index = Effect.Success<ReturnType<typeof make>>

const build = (kind: "hnsw" | "exact", vectors: ReadonlyArray<Float32Array>) => {
  gc()
  const before = memoryMiB()
  const start = performance.now()
  const options: VectorIndexOptions = { dimensions: DIMENSIONS, maxEntries: vectors.length, kind }
  const index = run(make(options))
  vectors.forEach((v, i) => run(index.add(`k${i}`, v)))
  const buildMs = performance.now() - start
  gc()
  const after = memoryMiB()
  return { index, buildMs, rssGrowthMiB: after.rss - before.rss, externalGrowthMiB: after.external - before.external }
}

const searchAll = (index: Index, queries: ReadonlyArray<Float32Array>) => {
  const times: Array<number> = []
  const found = queries.map((q) => {
    const t = performance.now()
    const hits = run(index.search(q, 10))
    times.push(performance.now() - t)
    return hits.map((h) => Number(h.key.slice(1)))
  })
  return { found, ...summary(times) }
}

/** `save` (synchronous graph write + digest) and `load` (digest check + read) of an HNSW index, in a temporary directory. */
const saveAndLoad = (index: Index, entries: number) =>
  Effect.gen(function*() {
    const dir = mkdtempSync(join(tmpdir(), "bench-vector-index-"))
    const file = join(dir, "index.hnsw")
    try {
      let start = performance.now()
      yield* index.save(file)
      const saveMs = performance.now() - start
      start = performance.now()
      const loaded = yield* load(file, { dimensions: DIMENSIONS, maxEntries: entries })
      const loadMs = performance.now() - start
      if ((yield* loaded.size) !== entries) throw new Error("loaded index lost entries")
      return { saveMs, loadMs, fileMiB: statSync(file).size / 2 ** 20 }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

/** One query text at a time, as a tool call would: embed, then search. */
const embedAndSearch = (embedder: Embedder["Service"], index: Index, queryTexts: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    for (const text of queryTexts) {
      const start = performance.now()
      const [vector] = yield* embedder.embed([text])
      run(index.search(vector!, 1))
      times.push(performance.now() - start)
    }
    return summary(times)
  })

const measureSize = (embedder: Embedder["Service"], embedded: ReadonlyArray<Float32Array>, queries: ReadonlyArray<Float32Array>, queryTexts: ReadonlyArray<string>, n: number) =>
  Effect.gen(function*() {
    const vectors = corpus(embedded, n, knobs.seed + n)
    const hnsw = build("hnsw", vectors)
    const hnswSearch = searchAll(hnsw.index, queries)
    const persistence = yield* saveAndLoad(hnsw.index, n)
    const embedPlusSearch = yield* embedAndSearch(embedder, hnsw.index, queryTexts.slice(0, knobs.embedQueries))
    const exactQueries = queries.slice(0, knobs.exactQueries)
    const r = recall(hnswSearch.found.slice(0, exactQueries.length), exactQueries.map((q) => exactTopK(vectors, q, 10)), 10)
    const exact = build("exact", vectors)
    const exactSearch = searchAll(exact.index, exactQueries)
    console.error(`measured ${n} entries`)
    return {
      entries: n,
      hnsw: { buildMs: hnsw.buildMs, rssGrowthMiB: hnsw.rssGrowthMiB, externalGrowthMiB: hnsw.externalGrowthMiB, p50: hnswSearch.p50, p99: hnswSearch.p99, queries: hnswSearch.n, recallAt1: r.at1, recallAt10: r.atK },
      embedPlusSearch,
      persistence,
      exact: { buildMs: exact.buildMs, rssGrowthMiB: exact.rssGrowthMiB, externalGrowthMiB: exact.externalGrowthMiB, p50: exactSearch.p50, p99: exactSearch.p99, queries: exactSearch.n }
    }
  })

const main = Effect.gen(function*() {
  const embedder = yield* Embedder
  const all = texts(knobs.embedded + knobs.queries, knobs.seed)
  const start = performance.now()
  const allVectors = yield* embedAll(embedder, all)
  const embedMs = performance.now() - start
  console.error(`embedded ${all.length} texts in ${(embedMs / 1000).toFixed(1)} s (includes model load)`)
  const embedded = allVectors.slice(0, knobs.embedded)
  const queries = allVectors.slice(knobs.embedded)
  const queryTexts = all.slice(knobs.embedded)
  const sweepResult = knobs.sweepN > 0 ? sweep(corpus(embedded, knobs.sweepN, knobs.seed), queries.slice(0, 500)) : undefined
  const sizes: Array<Effect.Success<ReturnType<typeof measureSize>>> = []
  for (const n of knobs.sizes) sizes.push(yield* measureSize(embedder, embedded, queries, queryTexts, n))

  console.log(`\n2. VectorIndex (shipped defaults) beside the exact scan, ${DIMENSIONS} dimensions: search k = 10; embed + search = one USE-lite embed (worker thread) + search k = 1\n`)
  console.log(formatTable(
    ["entries", "build s", "RSS MiB", "p50 ms", "p99 ms", "recall@1", "recall@10", "embed+search p50", "p99", "exact p50 ms", "exact p99 ms", "exact RSS MiB", "p50 speed-up"],
    sizes.map((s) => [
      String(s.entries),
      (s.hnsw.buildMs / 1000).toFixed(1),
      s.hnsw.rssGrowthMiB.toFixed(0),
      ms(s.hnsw.p50),
      ms(s.hnsw.p99),
      pct(s.hnsw.recallAt1),
      pct(s.hnsw.recallAt10),
      ms(s.embedPlusSearch.p50),
      ms(s.embedPlusSearch.p99),
      ms(s.exact.p50),
      ms(s.exact.p99),
      s.exact.rssGrowthMiB.toFixed(0),
      `${(s.exact.p50 / s.hnsw.p50).toFixed(0)}×`
    ]),
    0
  ))
  console.log(`\nRestart: rebuild (add every vector) vs save + load of the graph\n`)
  console.log(formatTable(
    ["entries", "rebuild s", "save s", "load s", "file MiB"],
    sizes.map((s) => [String(s.entries), (s.hnsw.buildMs / 1000).toFixed(2), (s.persistence.saveMs / 1000).toFixed(2), (s.persistence.loadMs / 1000).toFixed(2), s.persistence.fileMiB.toFixed(0)]),
    0
  ))
  const largest = sizes.at(-1)!
  const verdict = (x: number) => `${x <= 5 ? "PASS" : "MISS"} (${ms(x)} ms)`
  console.log(`\nGoal p50 ≤ 5 ms at ${largest.entries} entries — search: ${verdict(largest.hnsw.p50)}; embed + search: ${verdict(largest.embedPlusSearch.p50)}`)
  const file = writeResults("semantic-index.json", {
    date: new Date().toISOString(),
    ...machine(),
    knobs,
    vectors: `USE-lite embeddings of ${knobs.embedded} generated tool-style queries; beyond them, a mixture of two plus noise. Queries: ${knobs.queries} other generated texts`,
    embedMs,
    sweep: sweepResult,
    sizes
  })
  console.log(`results: ${file}`)
})

Effect.runPromise(main.pipe(Effect.scoped, Effect.provide(UseLiteEmbedder.layer())))
