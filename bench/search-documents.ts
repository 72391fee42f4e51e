/**
 * `npm run bench:search-documents`: what `search_documents` costs on a generated corpus, in one run.
 *
 * 1. Indexing: the first embed alone (worker start + use-lite model load), then the whole corpus
 *    (walk, chunk, embed, insert) in wall time and in CPU time of the process (its threads, the
 *    embedder's worker included: the figure that holds on a shared machine), beside a sync after one file changed (only that file embedded
 *    again) and a sync with nothing changed (the size/mtime walk alone).
 * 2. Query latency p50/p99 (embed the query + HNSW search + passages), with the index trusted
 *    (re-check not due) beside a query that re-checks the directory first (`recheckMs` 0: the walk
 *    every call pays when the last check is over 2 s old).
 *
 * 3. Retrieval quality on the project's own package READMEs and docs/architecture.md: for 14
 *    questions written for this, in other words than the READMEs use, is the file that answers it
 *    the best passage's (hit@1) or among the best 3 (hit@3) — beside a keyword baseline (TF-IDF
 *    cosine over the same passages) in the same run.
 *
 * The corpus: BENCH_FILES (100) Markdown files of 4 sections each, written from a few topic
 * vocabularies into a temporary directory. BENCH_QUERIES (200) queries. Writes
 * bench/results/search-documents.json.
 */
import { UseLiteEmbedder } from "@tenfold/semantic"
import { Effect } from "effect"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { chunk } from "../services/server/src/tools/searchDocuments/Chunker.ts"
import { type DocumentIndexOptions, make } from "../services/server/src/tools/searchDocuments/DocumentIndex.ts"
import { formatTable, machine, onExit, percentile, writeResults } from "./support.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const knobs = { files: env("BENCH_FILES", 100), queries: env("BENCH_QUERIES", 200) }
const print = (line: string) => process.stdout.write(line + "\n")

const topics = [
  ["garden", "tomatoes", "watering", "compost", "seedlings", "pruning", "mulch", "frost"],
  ["kitchen", "bread", "dough", "oven", "starter", "flour", "crust", "knead"],
  ["network", "packets", "handshake", "latency", "congestion", "socket", "router", "bandwidth"],
  ["astronomy", "telescope", "planets", "moons", "eyepiece", "magnification", "orbit", "nebula"],
  ["bicycle", "chain", "tyre", "brakes", "gears", "saddle", "spokes", "puncture"]
] as const
const verbs = ["check", "adjust", "clean", "measure", "replace", "compare", "observe", "prepare"]

const sentence = (topic: ReadonlyArray<string>, i: number) =>
  `To ${verbs[i % verbs.length]} the ${topic[1 + (i % 7)]} you ${verbs[(i * 3) % verbs.length]} the ${topic[1 + ((i * 5) % 7)]} every ${2 + (i % 9)} days.`

const document = (n: number) => {
  const topic = topics[n % topics.length]!
  const sections = Array.from({ length: 4 }, (_, s) =>
    `## ${topic[0]} ${topic[1 + ((n + s) % 7)]} part ${s + 1}\n\n${Array.from({ length: 6 }, (_, i) => sentence(topic, n * 31 + s * 7 + i)).join(" ")}\n`)
  return `# Notes on ${topic[0]} ${n}\n\n${sections.join("\n")}`
}

const dir = mkdtempSync(join(tmpdir(), "tenfold-bench-docs-"))
const removeDir = onExit(() => rmSync(dir, { recursive: true, force: true }))
for (let n = 0; n < knobs.files; n++) {
  mkdirSync(join(dir, topics[n % topics.length]![0]), { recursive: true })
  writeFileSync(join(dir, topics[n % topics.length]![0], `note-${n}.md`), document(n))
}

const options = (recheckMs: number): DocumentIndexOptions => ({
  dir,
  limits: { extensions: [".md"], maxFiles: 100_000, maxFileBytes: 1024 * 1024, maxEntries: 1_000_000 },
  maxChunks: 200_000,
  maxTotalBytes: 256 * 1024 * 1024,
  recheckMs,
  watchedRecheckMs: recheckMs,
  debounceMs: 300,
  watch: false
})

const millis = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = process.hrtime.bigint()
    const value = yield* effect
    return [value, millis(start)] as const
  })

interface Latency {
  readonly p50: number
  readonly p99: number
}

/** p50/p99 of each of `runs`, interleaved query by query so that the machine's noise hits them alike. */
const latencies = <E, R>(runs: ReadonlyArray<(i: number) => Effect.Effect<unknown, E, R>>): Effect.Effect<Array<Latency>, E, R> =>
  Effect.gen(function*() {
    const samples = runs.map(() => [] as Array<number>)
    for (let i = 0; i < knobs.queries; i++) {
      for (let r = 0; r < runs.length; r++) samples[r]!.push((yield* timed(runs[r]!(i * runs.length + r)))[1])
    }
    return samples.map((sample) => {
      sample.sort((a, b) => a - b)
      return { p50: percentile(sample, 0.5), p99: percentile(sample, 0.99) }
    })
  })

const queryText = (i: number) => {
  const topic = topics[i % topics.length]!
  // numbered: every query is new to the embedder, which answers a text it embedded before from its cache
  return `how often should I ${verbs[i % verbs.length]} the ${topic[1 + (i % 7)]} (question ${i})`
}

/** Questions about the project, each answered by one file (relative to the repository). */
const QUESTIONS: ReadonlyArray<readonly [string, string]> = [
  ["make answers smaller for clients that accept compressed encodings", "packages/streaming/README.md"],
  ["send a huge tool result without holding all of it in memory", "packages/streaming/README.md"],
  ["avoid a new TCP and TLS handshake for every call to the same API", "packages/connections/README.md"],
  ["block tools from reaching internal network addresses", "packages/connections/README.md"],
  ["reject calls when the server is overloaded rather than letting them wait", "packages/resources/README.md"],
  ["estimate how much CPU and memory a tool call will need", "packages/resources/README.md"],
  ["run heavy computations on other threads", "packages/scheduler/README.md"],
  ["export metrics for Prometheus to scrape", "packages/metrics/README.md"],
  ["share cached results between several server instances", "packages/cache/README.md"],
  ["stop the semantic cache from answering with the wrong result", "packages/semantic/README.md"],
  ["an offline model that turns text into vectors", "packages/semantic/README.md"],
  ["what happens when a tool call takes too long", "packages/executor/README.md"],
  ["how a tool, a resource and a prompt are declared", "packages/mcp/README.md"],
  ["one layer that wires up the whole server", "packages/runtime/README.md"]
]

const repo = fileURLToPath(new URL("..", import.meta.url))
const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? []

/** The keyword baseline: TF-IDF vectors of the same passages, ranked by cosine to the question's. */
const keywordRanker = (passages: ReadonlyArray<{ readonly file: string; readonly text: string }>) => {
  const df = new Map<string, number>()
  const counts = passages.map((p) => {
    const tf = new Map<string, number>()
    for (const w of words(p.text)) tf.set(w, (tf.get(w) ?? 0) + 1)
    for (const w of tf.keys()) df.set(w, (df.get(w) ?? 0) + 1)
    return tf
  })
  const weigh = (tf: Map<string, number>) => {
    const v = new Map<string, number>()
    let norm = 0
    for (const [w, n] of tf) {
      const x = n * Math.log(passages.length / (df.get(w) ?? passages.length))
      v.set(w, x)
      norm += x * x
    }
    return { v, norm: Math.sqrt(norm) || 1 }
  }
  const vectors = counts.map(weigh)
  return (question: string) => {
    const tf = new Map<string, number>()
    for (const w of words(question)) if (df.has(w)) tf.set(w, (tf.get(w) ?? 0) + 1)
    const q = weigh(tf)
    return vectors
      .map(({ norm, v }, i) => {
        let dot = 0
        for (const [w, x] of q.v) dot += x * (v.get(w) ?? 0)
        return { file: passages[i]!.file, score: dot / (norm * q.norm) }
      })
      .sort((a, b) => b.score - a.score)
      .map((r) => r.file)
  }
}

/** hit@1 and hit@3 (by file) of `rank` over the questions. */
const hits = <E, R>(rank: (question: string) => Effect.Effect<ReadonlyArray<string>, E, R>) =>
  Effect.gen(function*() {
    let at1 = 0
    let at3 = 0
    const missed: Array<string> = []
    for (const [question, file] of QUESTIONS) {
      const files = yield* rank(question)
      if (files[0] === file) at1++
      if (files.slice(0, 3).includes(file)) at3++
      else missed.push(question)
    }
    return { at1, at3, missed }
  })

/** Copies the package READMEs and docs/architecture.md into a temporary directory, keeping their paths. */
const projectDocs = () => {
  const docs = mkdtempSync(join(tmpdir(), "tenfold-bench-project-docs-"))
  const paths = ["docs/architecture.md", "services/server/README.md", ...readdirSync(join(repo, "packages")).map((p) => `packages/${p}/README.md`)]
  for (const path of paths) {
    try {
      mkdirSync(join(docs, path, ".."), { recursive: true })
      cpSync(join(repo, path), join(docs, path))
    } catch {
      // a package without a README
    }
  }
  return docs
}

const program = Effect.gen(function*() {
  const embedder = yield* UseLiteEmbedder.make()
  const [, firstEmbedMs] = yield* timed(embedder.embedder.embed(["warm up"]))
  const trusted = yield* make(options(3_600_000), embedder.embedder)
  const cpuBefore = process.cpuUsage()
  const [status, indexMs] = yield* timed(trusted.refresh())
  const cpu = process.cpuUsage(cpuBefore)
  const indexCpuMs = (cpu.user + cpu.system) / 1000
  writeFileSync(join(dir, "garden", "note-0.md"), document(0) + "\n## garden compost extra\n\nTurn the compost heap every week.\n")
  const [, oneChangedMs] = yield* timed(trusted.refresh())
  const [, unchangedMs] = yield* timed(trusted.refresh())
  const rechecking = yield* make(options(0), embedder.embedder)
  yield* rechecking.refresh()
  const [trustedQueries, recheckQueries] = (yield* latencies([
    (i) => trusted.search(queryText(i), { limit: 5 }),
    (i) => rechecking.search(queryText(i), { limit: 5 })
  ])) as [Latency, Latency]

  const docs = projectDocs()
  const removeDocs = onExit(() => rmSync(docs, { recursive: true, force: true }))
  const projectIndex = yield* make({ ...options(3_600_000), dir: docs }, embedder.embedder)
  const projectStatus = yield* projectIndex.refresh()
  const semantic = yield* hits((question) =>
    projectIndex.search(question, { limit: 3 }).pipe(Effect.map(({ passages }) => passages.map((p) => p.file))))
  const listed = readdirSync(docs, { recursive: true, encoding: "utf8" }).filter((p) => p.endsWith(".md"))
  const keyword = yield* hits((question) =>
    Effect.succeed(keywordRanker(listed.flatMap((file) => chunk(readFileSync(join(docs, file), "utf8"), true).map((c) => ({ file, text: `${c.heading}\n${c.text}` }))))(question)))
  rmSync(docs, { recursive: true, force: true })
  removeDocs()

  const round = (ms: number) => Math.round(ms * 10) / 10
  const answer = yield* trusted.search("compost", { limit: 50 })
  const averageChars = answer.passages.reduce((sum, p) => sum + p.text.length, 0) / Math.max(1, answer.passages.length)
  print(`search_documents on ${status.files} generated Markdown files, ${status.chunks} passages of ~${Math.round(averageChars)} characters (use-lite, ${machine().cores} cores)\n`)
  print(formatTable(["step", "ms"], [
    ["first embed (worker start + model load)", String(round(firstEmbedMs))],
    [`index the corpus (${status.files} files), wall`, String(round(indexMs))],
    [`index the corpus, CPU (${round(indexCpuMs / status.chunks)} ms per passage)`, String(round(indexCpuMs))],
    ["sync after one file changed", String(round(oneChangedMs))],
    ["sync with nothing changed (walk only)", String(round(unchangedMs))]
  ], 1))
  print("")
  print(formatTable(["query", "p50 ms", "p99 ms"], [
    ["index trusted (re-check not due)", String(round(trustedQueries.p50)), String(round(trustedQueries.p99))],
    ["re-check first (recheckMs 0)", String(round(recheckQueries.p50)), String(round(recheckQueries.p99))]
  ], 1))
  print("")
  print(`retrieval on the project's docs (${projectStatus.files} files, ${projectStatus.chunks} passages), ${QUESTIONS.length} questions: the answering file ranked`)
  print(formatTable(["ranker", "first", "in top 3"], [
    ["search_documents (use-lite)", `${semantic.at1}/${QUESTIONS.length}`, `${semantic.at3}/${QUESTIONS.length}`],
    ["keywords (TF-IDF, same passages)", `${keyword.at1}/${QUESTIONS.length}`, `${keyword.at3}/${QUESTIONS.length}`]
  ], 1))
  if (semantic.missed.length > 0) print(`search_documents missed: ${semantic.missed.join("; ")}`)
  const file = writeResults("search-documents.json", {
    machine: machine(),
    knobs,
    files: status.files,
    passages: status.chunks,
    firstEmbedMs: round(firstEmbedMs),
    indexMs: round(indexMs),
    indexCpuMs: round(indexCpuMs),
    cpuMsPerPassage: round(indexCpuMs / status.chunks),
    averagePassageChars: Math.round(averageChars),
    passagesPerSecond: Math.round(status.chunks / (indexMs / 1000)),
    oneChangedMs: round(oneChangedMs),
    unchangedMs: round(unchangedMs),
    retrieval: { files: projectStatus.files, passages: projectStatus.chunks, questions: QUESTIONS.length, semantic, keyword },
    query: { trusted: { p50: round(trustedQueries.p50), p99: round(trustedQueries.p99) }, recheck: { p50: round(recheckQueries.p50), p99: round(recheckQueries.p99) } }
  })
  print(`\nwrote ${file}`)
})

await Effect.runPromise(Effect.scoped(program)).finally(() => {
  rmSync(dir, { recursive: true, force: true })
  removeDir()
})
