/**
 * `npm run bench:semantic -- [--pairs FILE] [--out FILE] [--holdout FRACTION] [--model-path DIR --model NAME]`: how often the
 * semantic tier (L3) would serve a cached answer, right and wrong, on a labelled set of query pairs.
 *
 * FILE is JSONL, one pair a line: `{"tool", "a", "b", "same": true|false, "kind"?}` — `same` says a
 * user asking `b` would accept the answer cached for `a`. Default: the project's own set,
 * bench/semantic/pairs.jsonl. Both texts are embedded with the shipped embedder (USE-lite, through
 * the `Embedder` service), or with a local ONNX sentence model through the transformers backend
 * (`--model-path` its root directory, `--model` its directory under it, offline). For each
 * threshold, three rules:
 *
 * - `guard`: the tier as shipped, `Guard.accept` — the facts agree and the cosine reaches the
 *   threshold, raised for each content word the texts do not share (`Guard.requiredCosine`);
 * - `facts`: cosine ≥ threshold AND `Guard.agree` (the facts alone, without the content words);
 * - `cosine`: a hit when cosine ≥ threshold (the seed's rule).
 *
 * Printed per threshold: the share of `same` pairs that hit, the share of the other pairs that hit
 * with a 95 % Wilson interval, and the wrong hits by kind; `*` marks `Guard.defaultThreshold`. With
 * `--holdout F` (default 1/3 for the project's set, 0 for another file) the last F of the pairs
 * (those written last) are reported apart: the default threshold is chosen on the first part only,
 * the held-out part checks it. Without `--pairs`, the sets written apart are checked too:
 * bench/semantic/fresh-pairs.jsonl (60 pairs written after the first threshold was chosen),
 * own-pairs.jsonl (113 pairs written before `accept`'s content-word rule was first run on them),
 * blind1-pairs.jsonl (226) and blind2-pairs.jsonl (206), each written by someone who never saw the
 * Guard or the other sets (each was unseen when first run; both have been seen since), and
 * probe-pairs.jsonl (36, hard negatives written to probe a revision). The default is chosen as the threshold with the most paraphrase hits (pooled) while
 * ≤ 1 % of the other pairs hit in every part and set and pooled ("threshold safe on every set").
 * Also the Guard's cost per call (µs, median and p99, over the pairs and over
 * 1000-character random texts). Writes bench/results/semantic.json (or `--out FILE`).
 */
import { cosine, Embedder, Guard, TransformersEmbedder, UseLiteEmbedder } from "@tenfold/semantic"
import { Effect } from "effect"
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { type Pair, projectPairs, readPairs } from "./semantic/pairs.ts"
import { formatTable, machine, writeResults, percentile } from "./support.ts"

interface Scored extends Pair {
  readonly cosine: number
  readonly facts: readonly [Guard.Facts, Guard.Facts]
  readonly guard: Guard.Verdict
}

const { values: args } = parseArgs({
  options: {
    pairs: { type: "string" },
    out: { type: "string" },
    holdout: { type: "string" },
    "model-path": { type: "string" },
    model: { type: "string" }
  }
})
const pairsFile = args.pairs === undefined ? projectPairs : resolve(args.pairs)
const holdout = Number(args.holdout ?? (pairsFile === projectPairs ? 1 / 3 : 0))
const thresholds = Array.from({ length: 14 }, (_, i) => Math.round((0.3 + i * 0.05) * 100) / 100)
const rules = ["guard", "facts", "cosine"] as const
type Rule = typeof rules[number]

/** Wilson score interval (95 %) for `hits` out of `n`. */
const wilson = (hits: number, n: number): readonly [number, number] => {
  if (n === 0) return [0, 1]
  const z = 1.96
  const p = hits / n
  const centre = (p + z * z / (2 * n)) / (1 + z * z / n)
  const half = (z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

const hits = (pair: Scored, rule: Rule, threshold: number) =>
  rule === "guard"
    ? Guard.accept(pair.facts[0], pair.facts[1], pair.cosine, threshold).agree
    : pair.cosine >= threshold && (rule === "cosine" || pair.guard.agree)

/** The figures of one rule at one threshold over `pairs`. */
const evaluate = (pairs: ReadonlyArray<Scored>, rule: Rule, threshold: number) => {
  const same = pairs.filter((p) => p.same)
  const others = pairs.filter((p) => !p.same)
  const sameHits = same.filter((p) => hits(p, rule, threshold)).length
  const wrong = others.filter((p) => hits(p, rule, threshold))
  const wrongByKind: Record<string, number> = {}
  for (const p of wrong) wrongByKind[p.kind] = (wrongByKind[p.kind] ?? 0) + 1
  const [low, high] = wilson(wrong.length, others.length)
  const hitCount = sameHits + wrong.length
  return {
    rule,
    threshold,
    paraphraseHitRate: same.length === 0 ? 0 : sameHits / same.length,
    wrongHitRate: others.length === 0 ? 0 : wrong.length / others.length,
    wrongHitInterval: [low, high] as const,
    wrongShareOfHits: hitCount === 0 ? 0 : wrong.length / hitCount,
    sameHits,
    same: same.length,
    wrongHits: wrong.length,
    others: others.length,
    wrongByKind
  }
}
type Row = ReturnType<typeof evaluate>

const pct = (x: number) => `${(x * 100).toFixed(1)} %`
const kinds = (byKind: Record<string, number>) =>
  Object.entries(byKind).toSorted(([, x], [, y]) => y - x).map(([kind, n]) => `${kind} ${n}`).join(", ") || "-"

const printTable = (title: string, rows: ReadonlyArray<Row>) => {
  console.log(`\n${title}`)
  console.log(formatTable(
    ["rule", "threshold", "same hit", "others hit", "95 % interval", "wrong of hits", "wrong hits by kind"],
    rows.map((r) => [
      r.rule,
      `${r.threshold.toFixed(2)}${r.threshold === Guard.defaultThreshold ? " *" : ""}`,
      `${pct(r.paraphraseHitRate)} (${r.sameHits}/${r.same})`,
      `${pct(r.wrongHitRate)} (${r.wrongHits}/${r.others})`,
      `${pct(r.wrongHitInterval[0])} – ${pct(r.wrongHitInterval[1])}`,
      pct(r.wrongShareOfHits),
      kinds(r.wrongByKind)
    ]),
    2
  ))
}

/** The threshold this set would choose: the most `same` hits with ≤ 1 % of the others hit (ties: the higher threshold). */
const bestThreshold = (rows: ReadonlyArray<Row>) =>
  rows.filter((r) => r.rule === "guard" && r.wrongHitRate <= 0.01)
    .toSorted((x, y) => y.paraphraseHitRate - x.paraphraseHitRate || y.threshold - x.threshold)[0]?.threshold


/**
 * Microseconds per call of `run` over `items`, `rounds` times: wall time median and p99, and the
 * mean CPU time of this thread per call (`cpuMean`) — on a shared machine the wall p99 of a call
 * that takes ~1 ms is mostly other processes' time slices; the CPU mean is the call's own cost.
 */
const microseconds = <A>(items: ReadonlyArray<A>, rounds: number, run: (item: A) => unknown) => {
  const times: Array<number> = []
  const cpuStart = process.threadCpuUsage()
  for (let round = 0; round < rounds; round++) {
    for (const item of items) {
      const start = process.hrtime.bigint()
      run(item)
      times.push(Number(process.hrtime.bigint() - start) / 1000)
    }
  }
  const cpu = process.threadCpuUsage(cpuStart)
  times.sort((x, y) => x - y)
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), cpuMean: (cpu.user + cpu.system) / times.length, calls: times.length }
}

/**
 * The Guard's cost over text pairs: `check` (both texts read), and `agree` alone — what the tier
 * pays per candidate, having read the query once and kept each stored query's facts.
 */
const guardCost = (pairs: ReadonlyArray<readonly [string, string]>, rounds: number) => {
  const read = pairs.map(([a, b]) => [Guard.facts(a), Guard.facts(b)] as const)
  return {
    check: microseconds(pairs, rounds, ([a, b]) => Guard.check(a, b)),
    agree: microseconds(read, rounds, ([a, b]) => Guard.agree(a, b)),
    accept: microseconds(read, rounds, ([a, b]) => Guard.accept(a, b, 0.9))
  }
}

/**
 * Random lower-case topic words up to `length` characters, all starting with "b" (no numbers, names
 * or prepositions, so two such texts agree on facts): the worst case for `accept`'s content-word
 * check, which then compares each of its (at most 32) words with each of the other text's.
 */
const randomWords = (length: number) => {
  let text = ""
  while (text.length < length - 10) {
    text += "b" + Array.from({ length: 3 + Math.floor(Math.random() * 5) }, () => "bcdfghklmnprstvz"[Math.floor(Math.random() * 16)]).join("") + "o "
  }
  return text
}

const randomText = (length: number) => {
  const alphabet = "abcXYZ 0123456789 .,:;!?\"'`/\\_-@#()[]{}<>$€%°‘’“”\n\u0001"
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("")
}

/** The sets checked beside the project's own (written apart from it), when `--pairs` is not given. */
const checkSets = pairsFile === projectPairs
  ? ["fresh-pairs.jsonl", "own-pairs.jsonl", "blind1-pairs.jsonl", "blind2-pairs.jsonl", "probe-pairs.jsonl"].map((name) => fileURLToPath(new URL(`semantic/${name}`, import.meta.url)))
  : []

const atDefault = (table: ReadonlyArray<Row>, rule: Rule) => table.find((r) => r.rule === rule && r.threshold === Guard.defaultThreshold)

const main = Effect.gen(function*() {
  const embedder = yield* Embedder
  let embedMs = 0
  const score = Effect.fnUntraced(function*(pairs: ReadonlyArray<Pair>) {
    const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))]
    const started = performance.now()
    const vectors = yield* embedder.embed(texts)
    embedMs += performance.now() - started
    const vectorOf = new Map(texts.map((t, i) => [t, vectors[i]!]))
    return pairs.map((p): Scored => {
      const facts = [Guard.facts(p.a), Guard.facts(p.b)] as const
      return { ...p, cosine: cosine(vectorOf.get(p.a)!, vectorOf.get(p.b)!), facts, guard: Guard.agree(...facts) }
    })
  })
  const pairs = readPairs(pairsFile)
  const scored = yield* score(pairs)
  const cut = Math.round(scored.length * (1 - holdout))
  const parts = holdout > 0 ? { first: scored.slice(0, cut), heldOut: scored.slice(cut) } : undefined
  const tableOf = (set: ReadonlyArray<Scored>) => rules.flatMap((rule) => thresholds.map((t) => evaluate(set, rule, t)))

  const all = tableOf(scored)
  console.log(`${pairs.length} pairs from ${pairsFile} (${pairs.filter((p) => p.same).length} same), embedded with ${embedder.model}`)
  printTable(`All pairs — * = Guard.defaultThreshold (${Guard.defaultThreshold})`, all)
  const firstTable = parts === undefined ? undefined : tableOf(parts.first)
  const heldOutTable = parts === undefined ? undefined : tableOf(parts.heldOut)
  if (firstTable !== undefined && heldOutTable !== undefined && parts !== undefined) {
    printTable(`First ${parts.first.length} pairs (the tuning part: the rule and the default threshold are chosen here)`, firstTable)
    printTable(`Held-out last ${parts.heldOut.length} pairs (written last; not used to choose anything)`, heldOutTable)
  }
  const checks: Array<{ file: string; pairs: number; table: ReadonlyArray<Row> }> = []
  const pooled = [...scored]
  for (const file of checkSets) {
    const set = yield* score(readPairs(file))
    pooled.push(...set)
    const table = tableOf(set)
    printTable(`Check set ${file} (${set.length} pairs, ${set.filter((p) => p.same).length} same; written apart, not used to choose anything)`, table)
    checks.push({ file, pairs: set.length, table })
  }
  const chosenOn = firstTable ?? all
  const pooledTable = checks.length === 0 ? undefined : tableOf(pooled)
  console.log(`\nthreshold this set would choose (guard, ≤ 1 % others hit, ${firstTable === undefined ? "all pairs" : "first part"}): ${bestThreshold(chosenOn) ?? "none"}`)
  // the default: the most paraphrase hits (pooled) with ≤ 1 % of the others hit in every part and set
  const everySet = [all, ...(firstTable === undefined ? [] : [firstTable]), ...(heldOutTable === undefined ? [] : [heldOutTable]), ...checks.map((c) => c.table), ...(pooledTable === undefined ? [] : [pooledTable])]
  const safeEverywhere = thresholds.filter((t) => everySet.every((table) => (table.find((r) => r.rule === "guard" && r.threshold === t)?.wrongHitRate ?? 1) <= 0.01))
    .toSorted((x, y) => ((pooledTable ?? all).find((r) => r.rule === "guard" && r.threshold === y)!.paraphraseHitRate - (pooledTable ?? all).find((r) => r.rule === "guard" && r.threshold === x)!.paraphraseHitRate) || y - x)[0]
  console.log(`threshold safe on every set (most ${pooledTable === undefined ? "" : "pooled "}paraphrase hits with ≤ 1 % of the others hit in ${everySet.length} tables): ${safeEverywhere ?? "none"}`)
  if (pooledTable !== undefined) {
    const row = atDefault(pooledTable, "guard")
    console.log(`threshold all ${pooled.length} pairs pooled would choose (the project's set and the check sets): ${bestThreshold(pooledTable) ?? "none"}; at the default: ${row === undefined ? "-" : `${pct(row.paraphraseHitRate)} / ${pct(row.wrongHitRate)} (${row.wrongHits}/${row.others})`}`)
  }

  const shipped = atDefault(all, "guard")
  const refusals: Record<string, number> = {}
  for (const p of scored) {
    const verdict = Guard.accept(p.facts[0], p.facts[1], p.cosine)
    if (!verdict.agree) refusals[verdict.reason] = (refusals[verdict.reason] ?? 0) + 1
  }
  const missedSame = scored.filter((p) => p.same && !hits(p, "guard", Guard.defaultThreshold))
  console.log(`refusals by reason at the default (all pairs): ${kinds(refusals)}`)
  console.log(`same pairs missed at the default: ${missedSame.length} (${missedSame.filter((p) => !p.guard.agree).length} refused on facts, the rest on similarity or topic)`)

  const cost = guardCost(pairs.map((p) => [p.a, p.b] as const), 20)
  const long = Array.from({ length: 200 }, () => [randomText(Guard.maxTextLength), randomText(Guard.maxTextLength)] as const)
  const words = Array.from({ length: 200 }, () => [randomWords(Guard.maxTextLength), randomWords(Guard.maxTextLength)] as const)
  const costLong = guardCost(long, 5)
  const costWords = guardCost(words, 5)
  const line = (name: string, c: ReturnType<typeof microseconds>) =>
    `${name} ${c.p50.toFixed(1)} / ${c.p99.toFixed(1)} µs (median / p99 wall; CPU mean ${c.cpuMean.toFixed(1)})`
  const lines = (c: ReturnType<typeof guardCost>) => `${line("check", c.check)}; ${line("agree", c.agree)}; ${line("accept", c.accept)}`
  console.log(`Guard over the pairs: ${lines(cost)}`)
  console.log(`Guard over random ${Guard.maxTextLength}-character texts: ${lines(costLong)}`)
  console.log(`Guard over random ${Guard.maxTextLength}-character texts of topic words with one initial (facts agree; accept's worst case): ${lines(costWords)}`)
  const goal = (row: Row | undefined) => row !== undefined && row.paraphraseHitRate >= 0.8 && row.wrongHitRate <= 0.01
  const verdictLine = (name: string, row: Row | undefined) =>
    console.log(`${goal(row) ? "PASS" : "MISS"} goal ≥ 80 % of same pairs hit with ≤ 1 % of the others hit at ${Guard.defaultThreshold}, ${name}: ${row === undefined ? "-" : `${pct(row.paraphraseHitRate)} / ${pct(row.wrongHitRate)}`}`)
  verdictLine(pairsFile, shipped)
  if (firstTable !== undefined && heldOutTable !== undefined) {
    verdictLine("tuning part", atDefault(firstTable, "guard"))
    verdictLine("held-out part", atDefault(heldOutTable, "guard"))
  }
  for (const check of checks) verdictLine(check.file, atDefault(check.table, "guard"))

  const results = {
    machine: machine(),
    embedder: embedder.model,
    pairsFile,
    pairs: pairs.length,
    threshold: Guard.defaultThreshold,
    firstWordFactor: Guard.firstWordFactor,
    unsharedWordFactor: Guard.unsharedWordFactor,
    safeOnEverySet: safeEverywhere,
    paraphraseHitRate: shipped?.paraphraseHitRate,
    wrongHitRate: shipped?.wrongHitRate,
    wrongHitInterval: shipped?.wrongHitInterval,
    factsOnlyAtDefault: atDefault(all, "facts"),
    bareCosineAtDefault: atDefault(all, "cosine"),
    table: all,
    holdout: parts === undefined || firstTable === undefined || heldOutTable === undefined ? undefined : {
      firstPairs: parts.first.length,
      heldOutPairs: parts.heldOut.length,
      first: atDefault(firstTable, "guard"),
      heldOut: atDefault(heldOutTable, "guard"),
      heldOutBareCosine: atDefault(heldOutTable, "cosine"),
      chosenOnFirst: bestThreshold(firstTable),
      firstTable,
      heldOutTable
    },
    pooled: pooledTable === undefined ? undefined : {
      pairs: pooled.length,
      atDefault: atDefault(pooledTable, "guard"),
      chosen: bestThreshold(pooledTable),
      table: pooledTable
    },
    checks: checks.map(({ file, pairs, table }) => ({
      file,
      pairs,
      atDefault: atDefault(table, "guard"),
      factsOnlyAtDefault: atDefault(table, "facts"),
      bareCosineAtDefault: atDefault(table, "cosine"),
      table
    })),
    refusalsAtDefault: refusals,
    guardMicros: { pairs: cost, randomMaxLength: costLong, randomWordsMaxLength: costWords },
    embedMs
  }
  const written = args.out === undefined ? writeResults("semantic.json", results) : (writeFileSync(args.out, JSON.stringify(results, null, 2) + "\n"), args.out)
  console.log(`results: ${written}`)
})

const modelPath = args["model-path"]
const embedder = modelPath === undefined || args.model === undefined
  ? UseLiteEmbedder.layer({ maxQueue: 4096 })
  : TransformersEmbedder.layer({ localModelPath: resolve(modelPath), model: args.model, maxQueue: 4096 })
await Effect.runPromise(main.pipe(Effect.provide(embedder)))
