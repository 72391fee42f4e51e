import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"
import { Worker } from "node:worker_threads"
import { cosine, Embedder } from "../src/Embedder.ts"
import * as Guard from "../src/Guard.ts"
import { prepare, truncate } from "../src/internal/WorkerEmbedder.ts"
import * as UseLiteEmbedder from "../src/UseLiteEmbedder.ts"
import * as WorkerEmbedder from "../src/internal/WorkerEmbedder.ts"
import { dim, writeTinyModel } from "./fixtures/tiny-model/TinyModel.ts"

const useLite = (options?: UseLiteEmbedder.UseLiteOptions) => UseLiteEmbedder.make(options)

/** A use-lite embedder whose first worker runs `script` instead (with eval); every worker started is pushed to `workers`. */
const firstWorkerThenUseLite = (script: string, workers: Array<Worker>) =>
  WorkerEmbedder.make({
    model: UseLiteEmbedder.model,
    dimensions: UseLiteEmbedder.dimensions,
    startWorker: () => {
      const worker = workers.length === 0 ? new Worker(script, { eval: true }) : UseLiteEmbedder.workerStarter()()
      workers.push(worker)
      return worker
    },
    maxBatch: 8,
    maxQueue: 64,
    maxTextLength: 100
  })

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i]!)), 0)

const failureReason = <A>(exit: Exit.Exit<A, { readonly reason: string }>) =>
  Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail" ? exit.cause.reasons[0].error.reason : "no failure"

describe("use-lite Embedder", () => {
  it.effect("returns one 512-dimension unit vector per text, in order", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const vectors = yield* embedder.embed(["the weather in Paris", "", "!!!", "the weather in Paris"])
      assert.strictEqual(embedder.dimensions, 512)
      assert.strictEqual(vectors.length, 4)
      for (const v of vectors) {
        assert.strictEqual(v.length, 512)
        assert.closeTo(cosine(v, v), 1, 1e-5)
      }
      assert.closeTo(cosine(vectors[0]!, vectors[3]!), 1, 1e-5)
      assert.deepStrictEqual(yield* embedder.embed([]), [])
    }).pipe(Effect.provide(UseLiteEmbedder.layer())))

  it.effect("puts paraphrases closer together than unrelated texts", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const [weather, paraphrase, unrelated, stock, stockParaphrase] = yield* embedder.embed([
        "what is the weather like in London today",
        "how is today's weather in London",
        "recipe for chocolate chip cookies",
        "show me the share price of Apple",
        "what does Apple stock trade at"
      ])
      assert.isAbove(cosine(weather!, paraphrase!), cosine(weather!, unrelated!))
      assert.isAbove(cosine(weather!, paraphrase!), cosine(weather!, stock!))
      assert.isAbove(cosine(stock!, stockParaphrase!), cosine(stock!, unrelated!))
    }).pipe(Effect.provide(UseLiteEmbedder.layer())))

  it.effect("embeds a batch, and concurrent requests, exactly as it embeds texts one by one", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const texts = ["find flights to Rome", "cancel my order 1234", "a", "list open issues in the repo", "héllo wörld ✓"]
      const batch = yield* embedder.embed(texts)
      const oneByOne = yield* Effect.forEach(texts, (t) => Effect.map(embedder.embed([t]), (vs) => vs[0]!))
      const concurrent = yield* Effect.forEach(texts, (t) => Effect.map(embedder.embed([t]), (vs) => vs[0]!), {
        concurrency: "unbounded"
      })
      texts.forEach((_, i) => {
        assert.isBelow(maxDifference(batch[i]!, oneByOne[i]!), 1e-5)
        assert.isBelow(maxDifference(concurrent[i]!, oneByOne[i]!), 1e-5)
      })
    }).pipe(Effect.provide(UseLiteEmbedder.layer({ maxBatch: 3, cacheSize: 0 }))))

  it.effect("starts no worker before the first embed", () =>
    Effect.gen(function*() {
      const built = yield* useLite()
      assert.strictEqual(built.workersStarted(), 0)
      yield* built.embedder.embed(["first use"])
      yield* built.embedder.embed(["second use"])
      assert.strictEqual(built.workersStarted(), 1)
    }))

  it.effect("fails the batch of a crashed worker with WorkerCrashed and starts a new one for the next", () =>
    Effect.gen(function*() {
      const crashing = 'require("node:worker_threads").parentPort.on("message", () => { throw new Error("boom") })'
      const built = yield* firstWorkerThenUseLite(crashing, [])
      const crashed = yield* Effect.exit(built.embedder.embed(["lost with the worker"]))
      assert.strictEqual(failureReason(crashed), "WorkerCrashed")
      const [vector] = yield* built.embedder.embed(["served by its replacement"])
      assert.strictEqual(vector!.length, 512)
      assert.strictEqual(built.workersStarted(), 2)
    }))

  it.effect("a worker that keeps crashing is not restarted for every batch: after two crashes in a row the next start waits, longer each time", () =>
    Effect.gen(function*() {
      const crashing = 'require("node:worker_threads").parentPort.on("message", () => { throw new Error("boom") })'
      const built = yield* WorkerEmbedder.make({
        model: "crashing",
        dimensions: 4,
        startWorker: () => new Worker(crashing, { eval: true })
      })
      const attempt = (text: string) => Effect.exit(built.embedder.embed([text]))
      assert.strictEqual(failureReason(yield* attempt("one")), "WorkerCrashed")
      assert.strictEqual(built.workersStarted(), 1)
      // the first crash may be a one-off: its replacement starts at once
      assert.strictEqual(failureReason(yield* attempt("two")), "WorkerCrashed")
      assert.strictEqual(built.workersStarted(), 2)
      // two in a row: no worker for a second, the batches fail at once
      const waiting = yield* attempt("three")
      assert.strictEqual(failureReason(waiting), "WorkerCrashed")
      assert.strictEqual(built.workersStarted(), 2)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(failureReason(yield* attempt("four")), "WorkerCrashed")
      assert.strictEqual(built.workersStarted(), 3)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(failureReason(yield* attempt("five")), "WorkerCrashed")
      assert.strictEqual(built.workersStarted(), 3)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(failureReason(yield* attempt("six")), "WorkerCrashed")
      assert.strictEqual(built.workersStarted(), 4)
    }))

  it.effect("survives a worker that dies between batches, and starts a new one for the next", () =>
    Effect.gen(function*() {
      const workers: Array<Worker> = []
      const answersThenDies = `const { parentPort } = require("node:worker_threads")
        parentPort.once("message", ({ texts }) => {
          parentPort.postMessage({ _tag: "Vectors", data: new Float32Array(texts.length * 512) })
          setImmediate(() => { throw new Error("dies while idle") })
        })`
      const built = yield* firstWorkerThenUseLite(answersThenDies, workers)
      yield* built.embedder.embed(["answered before the worker died"])
      yield* Effect.promise(() => new Promise((resolve) => workers[0]!.once("exit", resolve)))
      const [vector] = yield* built.embedder.embed(["served by its replacement"])
      assert.closeTo(cosine(vector!, vector!), 1, 1e-5)
      assert.strictEqual(built.workersStarted(), 2)
    }))

  it.effect("refuses texts past its queue bound with Overloaded, without starting a worker", () =>
    Effect.gen(function*() {
      const built = yield* useLite({ maxQueue: 4 })
      const tooMany = yield* Effect.exit(built.embedder.embed(["a", "b", "c", "d", "e"]))
      assert.strictEqual(failureReason(tooMany), "Overloaded")
      assert.strictEqual(built.workersStarted(), 0)
      const waiting = yield* Effect.forkChild(built.embedder.embed(["a", "b", "c"]), { startImmediately: true })
      const onTop = yield* Effect.exit(built.embedder.embed(["d", "e"]))
      assert.strictEqual(failureReason(onTop), "Overloaded")
      assert.strictEqual((yield* Fiber.join(waiting)).length, 3)
      assert.strictEqual((yield* built.embedder.embed(["d", "e"])).length, 2)
    }))

  it.effect("fails what waits, and what comes after, with Closed once its scope closes", () =>
    Effect.gen(function*() {
      const { embedder, waiting } = yield* Effect.scoped(Effect.gen(function*() {
        const built = yield* useLite()
        const waiting = yield* Effect.forkDetach(built.embedder.embed(["never answered"]), { startImmediately: true })
        return { embedder: built.embedder, waiting }
      }))
      assert.strictEqual(failureReason(yield* Fiber.await(waiting)), "Closed")
      assert.strictEqual(failureReason(yield* Effect.exit(embedder.embed(["too late"]))), "Closed")
    }))

  it.effect("embeds a long text as its first maxTextLength characters", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const prefix = "word ".repeat(40)
      const [long] = yield* embedder.embed([prefix + "x".repeat(1_000_000)])
      const [cut] = yield* embedder.embed([prefix.trimEnd()])
      assert.isBelow(maxDifference(long!, cut!), 1e-5)
    }).pipe(Effect.provide(UseLiteEmbedder.layer({ maxTextLength: 200, cacheSize: 0 }))))

  it.effect("cuts texts at the Guard's maxTextLength by default (the semantic tier never reads past it)", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      assert.strictEqual(embedder.maxTextLength, Guard.maxTextLength)
      const kept = "word ".repeat(Guard.maxTextLength / 5)
      const [long] = yield* embedder.embed([kept + "tail ".repeat(1000)])
      const [cut] = yield* embedder.embed([kept.trimEnd()])
      assert.isBelow(maxDifference(long!, cut!), 1e-5)
    }).pipe(Effect.provide(UseLiteEmbedder.layer({ cacheSize: 0 }))))

  it.effect("gives a unit vector for any text (fuzz)", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      let seed = 7
      const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
      const texts = Array.from({ length: 64 }, () =>
        String.fromCodePoint(...Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 0x10ffff) & 0xd7ff)))
      const vectors = yield* embedder.embed(texts)
      assert.strictEqual(vectors.length, texts.length)
      for (const v of vectors) assert.closeTo(cosine(v, v), 1, 1e-4)
    }).pipe(Effect.provide(UseLiteEmbedder.layer())))
})

/** Answers each batch with rows filled with 100 × its batch number + its number of texts: shows which run a vector came from. */
const countingWorker = `const { parentPort } = require("node:worker_threads")
let batches = 0
parentPort.on("message", ({ texts }) => {
  batches++
  parentPort.postMessage({ _tag: "Vectors", data: new Float32Array(texts.length * 512).fill(batches * 100 + texts.length) })
})`

describe("recently embedded texts", () => {
  it.effect("are answered without the model, as is a text asked twice at once; the least recently used goes first", () =>
    Effect.gen(function*() {
      const { embedder } = yield* WorkerEmbedder.make({
        model: "counting",
        dimensions: 512,
        startWorker: () => new Worker(countingWorker, { eval: true }),
        cacheSize: 2
      })
      const run = (texts: ReadonlyArray<string>) => Effect.map(embedder.embed(texts), (vectors) => vectors.map((v) => v[0]))
      assert.deepStrictEqual(yield* run(["a", "a"]), [101, 101])
      const [kept] = yield* embedder.embed(["a"])
      assert.strictEqual(kept![0], 101)
      kept!.fill(-1)
      assert.deepStrictEqual(yield* run(["a"]), [101])
      assert.deepStrictEqual(yield* run(["b", "c"]), [202, 202])
      assert.deepStrictEqual(yield* run(["a"]), [301])
      const together = yield* Effect.all([run(["d"]), run(["d"]), run(["a", "d"])], { concurrency: "unbounded" })
      assert.deepStrictEqual(together, [[401], [401], [301, 401]])
      assert.deepStrictEqual(yield* run(["e"]), [501])
    }))

  it.effect("are compared after cutting and normalising: texts that only differ past maxTextLength share one run", () =>
    Effect.gen(function*() {
      const { embedder } = yield* WorkerEmbedder.make({
        model: "counting",
        dimensions: 512,
        startWorker: () => new Worker(countingWorker, { eval: true }),
        maxTextLength: 10
      })
      const vectors = yield* embedder.embed(["ﬁne words and more", "fine words", "other"])
      assert.deepStrictEqual(vectors.map((v) => v[0]), [102, 102, 102])
    }))
})

describe("prepare", () => {
  it("normalises with NFKC and cuts after normalising, so an expanding character cannot pass the bound", () => {
    assert.strictEqual(prepare("ﬁne", 10), "fine")
    const expanded = prepare("\ufdfa".repeat(100), 50)
    assert.isAtMost(expanded.length, 50)
    assert.isAtLeast(expanded.length, 45)
    assert.strictEqual(expanded, expanded.normalize("NFKC"))
  })
})

describe("truncate", () => {
  it("keeps short texts, cuts at a nearby space, never splits a surrogate pair", () => {
    assert.strictEqual(truncate("short", 10), "short")
    assert.strictEqual(truncate("aaaaaaaaaaaaaaaaaa bbbb", 20), "aaaaaaaaaaaaaaaaaa")
    assert.strictEqual(truncate("a".repeat(30), 20), "a".repeat(20))
    assert.strictEqual(truncate("a".repeat(19) + "😀", 20), "a".repeat(19))
  })
})

const repository = join(import.meta.dirname, "..", "..", "..")
const run = promisify(execFile)

describe("from a bundle", () => {
  // The server ships as one file bundled by services/server/bundle.js: nothing of this package lies
  // beside it, and its dependencies are found through node_modules as an installed bundle finds them.
  it.effect("both backends embed from a one-file bundle built by the server's bundler, with no worker file beside it", () =>
    Effect.promise(async () => {
      const dir = mkdtempSync(join(repository, "node_modules", ".tenfold-bundle-test-"))
      try {
        const source = join(repository, "packages", "semantic", "src")
        writeFileSync(join(dir, "entry.ts"), `
          import { Effect } from "effect"
          import * as UseLiteEmbedder from ${JSON.stringify(join(source, "UseLiteEmbedder.ts"))}
          import * as TransformersEmbedder from ${JSON.stringify(join(source, "TransformersEmbedder.ts"))}
          const [localModelPath, model] = process.argv.slice(2)
          const summary = (v) => ({ length: v.length, norm: Math.hypot(...v) })
          const program = Effect.gen(function*() {
            const useLite = yield* UseLiteEmbedder.make()
            const transformers = yield* TransformersEmbedder.make({ localModelPath, model })
            const [a] = yield* useLite.embedder.embed(["hello from a bundle"])
            const [b] = yield* transformers.embedder.embed(["the weather in paris"])
            return { useLite: summary(a), transformers: summary(b) }
          })
          Effect.runPromise(Effect.scoped(program)).then((result) => console.log(JSON.stringify(result)))
        `)
        await run(process.execPath, [join(repository, "services", "server", "bundle.js"), join(dir, "entry.ts"), join(dir, "out", "bundle.js")])
        assert.deepStrictEqual(readdirSync(join(dir, "out")).sort(), ["bundle.js", "bundle.js.map"])
        writeTinyModel(join(dir, "models", "tenfold", "tiny"))
        const { stdout } = await run(process.execPath, [join(dir, "out", "bundle.js"), join(dir, "models"), "tenfold/tiny"], { timeout: 60_000 })
        const result = JSON.parse(stdout) as Record<string, { length: number; norm: number }>
        assert.strictEqual(result.useLite!.length, UseLiteEmbedder.dimensions)
        assert.closeTo(result.useLite!.norm, 1, 1e-5)
        assert.strictEqual(result.transformers!.length, dim)
        assert.closeTo(result.transformers!.norm, 1, 1e-5)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))
})
