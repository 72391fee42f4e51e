/**
 * `npm run bench:semantic-partition`: what searching one partition costs the semantic tier. L3
 * compares a call only with entries of its partition (same tool, scope and other arguments); it
 * keeps one HNSW `VectorIndex` for all entries and searches it with a key filter. Beside that, in
 * the same run: the same search without a filter (what one partition holding everything costs)
 * and an exact scan of the partition's own vectors (the alternative of one list per partition).
 *
 * N entries (BENCH_N, default 10000) of 512 dimensions in P partitions (BENCH_PARTITIONS, default
 * "1,10,100,1000,10000"), k = 4 (the tier's candidates), BENCH_QUERIES (1000) queries each.
 * Vectors: unit vectors around 200 random centres plus noise (seeded), so near neighbours exist;
 * this measures the search's cost, not its quality (see bench:semantic-index for recall on real
 * embeddings). Writes bench/results/semantic-partition.json.
 */
import { Effect } from "effect"
import { normalize } from "../packages/semantic/src/internal/vector.ts"
import { make as makeVectorIndex } from "../packages/semantic/src/VectorIndex.ts"
import { formatTable, machine, percentile, writeResults } from "./support.ts"

const dimensions = 512
const n = Number(process.env.BENCH_N ?? 10_000)
const partitionCounts = (process.env.BENCH_PARTITIONS ?? "1,10,100,1000,10000").split(",").map(Number)
const queries = Number(process.env.BENCH_QUERIES ?? 1000)
const k = 4

let seed = 7
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: dimensions }, () => random() - 0.5))
const around = () => normalize(Float32Array.from(centres[Math.floor(random() * centres.length)]!, (c) => c + (random() - 0.5) * 0.2))

const vectors = Array.from({ length: n }, around)
const probes = Array.from({ length: queries }, around)

const time = (run: () => void) => {
  const started = performance.now()
  run()
  return performance.now() - started
}
const summary = (samples: Array<number>) => {
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) }
}

const program = Effect.gen(function*() {
  const index = yield* makeVectorIndex({ dimensions, maxEntries: n })
  const built = time(() => {
    for (let i = 0; i < n; i++) Effect.runSync(index.add(`e${i}`, vectors[i]!))
  })
  const unfiltered = summary(probes.map((q) => time(() => Effect.runSync(index.search(q, k)))))
  const rows: Array<Record<string, unknown>> = []
  for (const partitions of partitionCounts) {
    const partitionOf = (i: number) => i % partitions
    const members = Array.from({ length: partitions }, (): Array<number> => [])
    for (let i = 0; i < n; i++) members[partitionOf(i)]!.push(i)
    const filtered = summary(probes.map((q, j) => {
      const wanted = j % partitions
      return time(() => Effect.runSync(index.search(q, k, (key) => partitionOf(Number(key.slice(1))) === wanted)))
    }))
    const scan = summary(probes.map((q, j) => time(() => {
      let best = -2
      for (const i of members[j % partitions]!) {
        const v = vectors[i]!
        let score = 0
        for (let d = 0; d < dimensions; d++) score += v[d]! * q[d]!
        if (score > best) best = score
      }
    })))
    rows.push({ partitions, perPartition: n / partitions, filtered, scan })
  }
  return { built, unfiltered, rows }
})

const result = Effect.runSync(program)
const ms = (x: number) => x.toFixed(3)
console.log(`semantic partition search: ${n} entries × ${dimensions} dims, k = ${k}, ${queries} queries; HNSW built in ${(result.built / 1000).toFixed(1)} s`)
console.log(`HNSW without a filter: p50 ${ms(result.unfiltered.p50)} ms, p99 ${ms(result.unfiltered.p99)} ms\n`)
console.log(formatTable(
  ["partitions", "entries each", "HNSW + filter p50", "p99", "exact scan of the partition p50", "p99"],
  result.rows.map((row) => {
    const filtered = row.filtered as { p50: number; p99: number }
    const scan = row.scan as { p50: number; p99: number }
    return [String(row.partitions), String(row.perPartition), ms(filtered.p50), ms(filtered.p99), ms(scan.p50), ms(scan.p99)]
  }),
  2
))
console.log(`\nwrote ${writeResults("semantic-partition.json", { machine: machine(), n, dimensions, k, queries, ...result })}`)
