/**
 * `npm run bench:semantic-tier`: what L3 costs and gives on the call path, through the real
 * TieredCache (L1 + L4 in a temporary directory), the USE-lite embedder and the SemanticTier,
 * beside the same cache without L3 in the same run:
 *
 * 1. a miss that computes and stores (the tool answers at once), with and without L3: with it,
 *    the miss first asks L3, which embeds the query when its partition holds entries (the
 *    store's own embedding is queued and runs in the background);
 * 2. after the writes are embedded, a paraphrase of a stored query: `serve` time of the semantic
 *    answer (pull, embed, search, Guard, value read, `_meta` mark, promotion), and how many hit;
 * 3. a miss in a partition that holds nothing (another argument differs): L3 embeds nothing, so
 *    this is the cost of L3 on the path when it cannot answer — its queued write included.
 *
 * BENCH_N stored queries (default 1000, generated from templates; the queue is let drain every
 * 128 stores, untimed, so none is dropped), BENCH_QUERIES lookups (200).
 * Writes bench/results/semantic-tier.json.
 */
import { CacheTiers, MemoryTier, PersistentTier, Policy, RedisTier, TieredCache } from "@tenfold/cache"
import { Context, Effect, Layer, Option } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SemanticTier } from "../packages/semantic/src/SemanticTier.ts"
import * as UseLiteEmbedder from "../packages/semantic/src/UseLiteEmbedder.ts"
import { formatTable, machine, percentile, writeResults } from "./support.ts"

const n = Number(process.env.BENCH_N ?? 1000)
const queries = Number(process.env.BENCH_QUERIES ?? 200)

const cities = ["Paris", "London", "Rome", "Berlin", "Madrid", "Oslo", "Vienna", "Prague", "Lisbon", "Dublin", "Warsaw", "Athens", "Zurich", "Milan", "Munich", "Lyon", "Porto", "Seville", "Krakow", "Budapest"]
const topics = ["weather", "traffic", "air quality", "museum opening hours", "train strikes", "concerts", "restaurant reviews", "hotel prices", "parking rules", "public holidays"]
const days = ["today", "tomorrow", "this weekend", "on Monday", "next week"]
/** The i-th stored query and its paraphrase (same facts, other words). */
const stored = (i: number) => {
  const city = cities[i % cities.length]!
  const topic = topics[Math.floor(i / cities.length) % topics.length]!
  const day = days[Math.floor(i / (cities.length * topics.length)) % days.length]!
  const variant = Math.floor(i / (cities.length * topics.length * days.length))
  return { query: `${topic} in ${city} ${day}${variant === 0 ? "" : ` #${variant}`}`, paraphrase: `${city} ${topic} ${day}${variant === 0 ? "" : ` #${variant}`}` }
}

const policy = Policy.resolve({ readOnly: true, declared: { shared: true, ttl: 3_600_000, semantic: { argument: "query" } }, configured: undefined })!
const compute = (query: string) => Effect.succeed({ value: JSON.stringify({ content: [{ type: "text", text: `answer for ${query}` }] }), cacheable: true })

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const started = performance.now()
    const value = yield* effect
    return { value, ms: performance.now() - started }
  })
const summary = (samples: Array<number>) => {
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) }
}

const cacheWith = (dir: string, semantic: boolean) =>
  Effect.gen(function*() {
    const exact = Layer.mergeAll(MemoryTier.layer(), PersistentTier.layer({ dir }))
    const l3 = semantic ? SemanticTier.layer({ dir }).pipe(Layer.provide(exact), Layer.provide(UseLiteEmbedder.layer())) : Layer.empty
    const context = yield* Layer.build(TieredCache.layer().pipe(
      Layer.provideMerge(CacheTiers.layer([RedisTier, PersistentTier, SemanticTier])),
      Layer.provideMerge(Layer.merge(exact, l3))
    ))
    const cache = Context.get(context, TieredCache)
    const serve = (query: string, extra: Record<string, unknown> = {}) =>
      Effect.suspend(() => {
        const served = cache.serve(Policy.key("search", policy, undefined, { query, ...extra })!, policy, compute(query))
        return Effect.isEffect(served) ? served : Effect.succeed(served)
      })
    return { serve, tier: Option.getOrUndefined(Context.getOption(context, SemanticTier)) }
  })

const program = Effect.gen(function*() {
  const dirs = [mkdtempSync(join(tmpdir(), "bench-l3-")), mkdtempSync(join(tmpdir(), "bench-l3-"))]
  yield* Effect.addFinalizer(() => Effect.sync(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }))))
  const withL3 = yield* cacheWith(dirs[0]!, true)
  const without = yield* cacheWith(dirs[1]!, false)
  // the first semantic use loads the model: not part of the figures
  yield* withL3.serve("warm up the model")
  yield* withL3.tier!.idle

  const storeWith: Array<number> = []
  const storeWithout: Array<number> = []
  for (let i = 0; i < n; i++) {
    const { query } = stored(i)
    storeWithout.push((yield* timed(without.serve(query))).ms)
    storeWith.push((yield* timed(withL3.serve(query))).ms)
    // stores arrive faster than one CPU embeds them: let the queue drain now and then (untimed), so none is dropped
    if (i % 128 === 127) yield* withL3.tier!.idle
  }
  const embedLast = yield* timed(withL3.tier!.idle)

  const hits: Array<number> = []
  let semantic = 0
  for (let q = 0; q < queries; q++) {
    const { paraphrase } = stored(Math.floor((q * n) / queries))
    const { ms, value } = yield* timed(withL3.serve(paraphrase))
    hits.push(ms)
    if (value.source === "semantic") semantic++
  }
  const empty: Array<number> = []
  for (let q = 0; q < queries; q++) {
    empty.push((yield* timed(withL3.serve(stored(q).paraphrase, { units: "imperial" }))).ms)
  }
  return {
    storeWithout: summary(storeWithout),
    storeWith: summary(storeWith),
    embedLastSeconds: embedLast.ms / 1000,
    paraphrase: { ...summary(hits), hitRate: semantic / queries },
    emptyPartition: summary(empty),
    dropped: withL3.tier!.stats().dropped
  }
})

const result = await Effect.runPromise(Effect.scoped(program))
const ms = (x: number) => x.toFixed(3)
console.log(`semantic tier on the call path: ${n} stored queries, ${queries} lookups, USE-lite, L1 + L4 (+ L3)\n`)
console.log(formatTable(["measure", "", "p50 ms", "p99 ms"], [
  ["miss without L3: compute + store", "", ms(result.storeWithout.p50), ms(result.storeWithout.p99)],
  ["miss with L3: L3 lookup (embed + search) + compute + store", "", ms(result.storeWith.p50), ms(result.storeWith.p99)],
  ["paraphrase answered by L3", `${(result.paraphrase.hitRate * 100).toFixed(1)} % hit`, ms(result.paraphrase.p50), ms(result.paraphrase.p99)],
  ["miss with L3, empty partition: no embedding + compute + store (write queued)", "", ms(result.emptyPartition.p50), ms(result.emptyPartition.p99)]
]))
console.log(`\nthe background embedding of the last stores finished ${result.embedLastSeconds.toFixed(1)} s after the last store; dropped writes: ${result.dropped}`)
console.log(`wrote ${writeResults("semantic-tier.json", { machine: machine(), n, queries, ...result })}`)
