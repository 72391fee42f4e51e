import { assert, describe, it, layer } from "@effect/vitest"
import { AutoTokenizer, env } from "@huggingface/transformers"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EmbedError, Embedder } from "../src/Embedder.ts"
import * as Guard from "../src/Guard.ts"
import { normalize } from "../src/internal/vector.ts"
import * as TransformersEmbedder from "../src/TransformersEmbedder.ts"
import { dim, embeddingRow, maxLength, vocab, writeTinyModel } from "./fixtures/tiny-model/TinyModel.ts"

const root = mkdtempSync(join(tmpdir(), "tenfold-tiny-model-"))
const model = "tenfold/tiny"
writeTinyModel(join(root, model))

const ids = (...tokens: ReadonlyArray<string>) => tokens.map((token) => vocab.indexOf(token))

/** What mean pooling over the unmasked tokens, then normalising, must give: computed from the embedding table. */
const expected = (tokenIds: ReadonlyArray<number>): Float32Array => {
  const sum = new Float32Array(dim)
  for (const id of tokenIds) embeddingRow(id).forEach((value, j) => (sum[j]! += value / tokenIds.length))
  return normalize(sum)
}

const assertClose = (actual: Float32Array, wanted: Float32Array) => {
  assert.strictEqual(actual.length, wanted.length)
  actual.forEach((value, j) => assert.approximately(value, wanted[j]!, 1e-5, `component ${j}`))
}

const failure = <A>(exit: Exit.Exit<A, EmbedError>): EmbedError => {
  assert.isTrue(Exit.isFailure(exit))
  const error = Exit.findErrorOption(exit)
  assert.isTrue(error._tag === "Some")
  return (error as { value: EmbedError }).value
}

describe("tiny model fixture", () => {
  it.effect("tokenises a known sentence into known ids (lowercase, WordPiece ##s, [UNK], [CLS]…[SEP])", () =>
    Effect.promise(async () => {
      env.allowRemoteModels = false
      env.localModelPath = root
      const tokenizer = await AutoTokenizer.from_pretrained(model)
      const encoded = tokenizer("The weather in Paris: tools, quokkas?")
      assert.deepStrictEqual(
        (encoded.input_ids.tolist() as Array<Array<bigint>>)[0]!.map(Number),
        ids("[CLS]", "the", "weather", "in", "paris", "[UNK]", "tool", "##s", ",", "[UNK]", "?", "[SEP]")
      )
    }))
})

layer(TransformersEmbedder.layer({ localModelPath: root, model, maxBatch: 4, maxTextLength: 200, cacheSize: 0 }))("TransformersEmbedder", (it) => {
  it.effect("reads its dimensions from config.json and names the model", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      assert.strictEqual(embedder.dimensions, dim)
      assert.strictEqual(embedder.model, model)
    }))

  it.effect("cuts texts at the Guard's maxTextLength unless told otherwise", () =>
    Effect.gen(function*() {
      const built = yield* TransformersEmbedder.make({ localModelPath: root, model })
      assert.strictEqual(built.embedder.maxTextLength, Guard.maxTextLength)
    }))

  it.effect("embeds a sentence as the normalised mean of its token rows", () =>
    Effect.gen(function*() {
      const [vector] = yield* (yield* Embedder).embed(["The weather in Paris."])
      assertClose(vector!, expected(ids("[CLS]", "the", "weather", "in", "paris", ".", "[SEP]")))
    }))

  it.effect("pools over the attention mask: a short text padded in a batch with a long one keeps its own mean", () =>
    Effect.gen(function*() {
      const [short, long] = yield* (yield* Embedder).embed(["paris", "the weather in london , not paris"])
      assertClose(short!, expected(ids("[CLS]", "paris", "[SEP]")))
      assertClose(long!, expected(ids("[CLS]", "the", "weather", "in", "london", ",", "not", "paris", "[SEP]")))
    }))

  it.effect("returns unit vectors, one per text, in order; [] for []", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const vectors = yield* embedder.embed(["cache", "search docs", "fast tool call", "the server"])
      assert.strictEqual(vectors.length, 4)
      for (const vector of vectors) assert.approximately(Math.hypot(...vector), 1, 1e-6)
      assert.deepStrictEqual(yield* embedder.embed([]), [])
    }))

  it.effect("a batch (split into several model runs past maxBatch) equals embedding one by one", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const texts = ["cache", "the weather in paris", "search the docs", "not fast", "from london to paris", "tool calls", "?"]
      const together = yield* embedder.embed(texts)
      const alone = yield* Effect.forEach(texts, (text) => Effect.map(embedder.embed([text]), (v) => v[0]!))
      together.forEach((vector, i) => assertClose(vector, alone[i]!))
    }))

  it.effect("requests that arrive together are answered each with their own vectors", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const texts = ["paris", "london", "cache server", "weather", "query", "docs"]
      const results = yield* Effect.forEach(texts, (text) => embedder.embed([text]), { concurrency: "unbounded" })
      results.forEach(([vector], i) => assertClose(vector!, expected([2, ...ids(...texts[i]!.split(" ")), 3])))
    }))

  it.effect("unknown words embed as [UNK]", () =>
    Effect.gen(function*() {
      const [unknown] = yield* (yield* Embedder).embed(["zebra quokka"])
      assertClose(unknown!, expected(ids("[CLS]", "[UNK]", "[UNK]", "[SEP]")))
    }))

  // transformers.js truncates after adding the special tokens, so the final [SEP] is cut too.
  it.effect("text past the model's max length is truncated to its first tokens", () =>
    Effect.gen(function*() {
      const [long, huge] = yield* (yield* Embedder).embed(["paris ".repeat(50), "london ".repeat(10_000)])
      assertClose(long!, expected(ids("[CLS]", ...Array<string>(maxLength - 1).fill("paris"))))
      assertClose(huge!, expected(ids("[CLS]", ...Array<string>(maxLength - 1).fill("london"))))
    }))

  it.effect("text past maxTextLength is cut before tokenising", () =>
    Effect.gen(function*() {
      const [cut] = yield* (yield* Embedder).embed([`${"a".repeat(250)} paris`])
      assertClose(cut!, expected(ids("[CLS]", "[UNK]", "[SEP]")))
    }))

  it.effect("fuzz: arbitrary strings (control characters, surrogates, emoji, empty) give unit vectors", () =>
    Effect.gen(function*() {
      let seed = 7
      const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0)
      const texts = Array.from({ length: 200 }, () =>
        String.fromCharCode(...Array.from({ length: next() % 300 }, () => next() % 0x10000)))
      const vectors = yield* (yield* Embedder).embed(["", ...texts])
      assert.strictEqual(vectors.length, 201)
      for (const vector of vectors) assert.approximately(Math.hypot(...vector), 1, 1e-5)
    }))
})

/** The error of embedding one text with a fresh embedder built from `options`. */
const firstEmbedError = (options: TransformersEmbedder.TransformersEmbedderOptions) =>
  Effect.gen(function*() {
    const embedder = yield* Embedder
    return failure(yield* Effect.exit(embedder.embed(["paris"])))
  }).pipe(Effect.provide(TransformersEmbedder.layer(options)))

describe("TransformersEmbedder errors", () => {
  it.effect("a missing model directory fails the layer with a ModelLoad error naming the directory", () =>
    Effect.gen(function*() {
      const missing = join(root, "nowhere")
      const error = failure(yield* Effect.exit(Layer.build(TransformersEmbedder.layer({ localModelPath: missing, model }))))
      assert.strictEqual(error.reason, "ModelLoad")
      assert.include(error.message, join(missing, model))
    }))

  it.effect("with dimensions given, nothing is loaded at start: the first embed fails, offline, naming the directory", () =>
    Effect.gen(function*() {
      const missing = join(root, "nowhere")
      const built = yield* TransformersEmbedder.make({ localModelPath: missing, model, dimensions: dim })
      assert.strictEqual(built.workersStarted(), 0)
      const error = failure(yield* Effect.exit(built.embedder.embed(["paris"])))
      assert.strictEqual(built.workersStarted(), 1)
      assert.strictEqual(error.reason, "ModelLoad")
      assert.include(error.detail, join(missing, model))
      assert.include(error.detail, "allowRemoteModels=false")
    }))

  it.effect("a model that failed to load is loaded again by the next embed, in the same worker, once its files are there", () =>
    Effect.gen(function*() {
      const later = mkdtempSync(join(tmpdir(), "tenfold-model-later-"))
      const built = yield* TransformersEmbedder.make({ localModelPath: later, model, dimensions: dim })
      assert.strictEqual(failure(yield* Effect.exit(built.embedder.embed(["paris"]))).reason, "ModelLoad")
      writeTinyModel(join(later, model))
      const [vector] = yield* built.embedder.embed(["paris"])
      assertClose(vector!, expected(ids("[CLS]", "paris", "[SEP]")))
      assert.strictEqual(built.workersStarted(), 1)
    }))

  it.effect("without @huggingface/transformers installed, the layer builds and the first embed fails with ModelLoad saying to install it", () =>
    Effect.gen(function*() {
      // resolved from a directory with no node_modules above it, as from an install without the optional peer
      const elsewhere = join(mkdtempSync(join(tmpdir(), "tenfold-no-transformers-")), "index.js")
      const built = yield* TransformersEmbedder.make({ localModelPath: root, model }, elsewhere)
      assert.strictEqual(built.workersStarted(), 0)
      const error = failure(yield* Effect.exit(built.embedder.embed(["paris"])))
      assert.strictEqual(error.reason, "ModelLoad")
      assert.include(error.detail, "npm install @huggingface/transformers")
      const again = failure(yield* Effect.exit(built.embedder.embed(["paris"])))
      assert.include(again.detail, "npm install @huggingface/transformers")
    }))

  it.effect("a corrupt ONNX file or a missing tokenizer is a ModelLoad error; dimensions that disagree with the model are too", () =>
    Effect.gen(function*() {
      const noTokenizerRoot = mkdtempSync(join(tmpdir(), "tenfold-no-tokenizer-"))
      writeTinyModel(join(noTokenizerRoot, model))
      rmSync(join(noTokenizerRoot, model, "tokenizer.json"))
      const noTokenizer = yield* firstEmbedError({ localModelPath: noTokenizerRoot, model })
      assert.strictEqual(noTokenizer.reason, "ModelLoad")
      assert.include(noTokenizer.detail, "tokenizer.json")
      const badRoot = mkdtempSync(join(tmpdir(), "tenfold-bad-model-"))
      writeTinyModel(join(badRoot, model))
      writeFileSync(join(badRoot, model, "onnx", "model.onnx"), "not a protobuf")
      const corrupt = yield* firstEmbedError({ localModelPath: badRoot, model })
      assert.strictEqual(corrupt.reason, "ModelLoad")
      assert.include(corrupt.detail, join(badRoot, model))
      const error = yield* firstEmbedError({ localModelPath: root, model, dimensions: 4 })
      assert.strictEqual(error.reason, "ModelLoad")
      assert.include(error.detail, "8-dimensional")
    }))

  it.effect("a model whose output cannot be normalised (all zero, or infinite) fails with Backend, never a NaN vector", () =>
    Effect.gen(function*() {
      const zeroRoot = mkdtempSync(join(tmpdir(), "tenfold-zero-model-"))
      writeTinyModel(join(zeroRoot, model), () => new Float32Array(dim))
      assert.strictEqual((yield* firstEmbedError({ localModelPath: zeroRoot, model })).reason, "Backend")
      const infiniteRoot = mkdtempSync(join(tmpdir(), "tenfold-infinite-model-"))
      writeTinyModel(join(infiniteRoot, model), (id) => id === vocab.indexOf("paris") ? new Float32Array(dim).fill(Infinity) : embeddingRow(id))
      assert.strictEqual((yield* firstEmbedError({ localModelPath: infiniteRoot, model })).reason, "Backend")
    }))

  it.effect("more texts than maxQueue fail at once with Overloaded; after the scope closes, Closed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(TransformersEmbedder.layer({ localModelPath: root, model, maxQueue: 4 }), scope)
      const embedder = Context.get(context, Embedder)
      assert.strictEqual(failure(yield* Effect.exit(embedder.embed(["a", "b", "c", "d", "e"]))).reason, "Overloaded")
      assert.strictEqual((yield* embedder.embed(["a", "b", "c", "d"])).length, 4)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(failure(yield* Effect.exit(embedder.embed(["a"]))).reason, "Closed")
    }))
})
