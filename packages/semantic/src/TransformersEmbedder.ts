/**
 * The `transformers` Embedder backend: a sentence-embedding ONNX model (e.g. the files of
 * Xenova/all-MiniLM-L6-v2) run by `@huggingface/transformers` on onnxruntime-node's CPU backend,
 * mean-pooled over the attention mask and normalised. The model is read from a local directory;
 * nothing touches the network unless `allowRemoteModels` is set. It runs in its own worker thread,
 * started on the first `embed` (never at server start), so loading and inference leave the event
 * loop free. `@huggingface/transformers` is an optional peer dependency, imported by that worker:
 * without it the first `embed` fails with "ModelLoad", saying to install it.
 */
import { Effect, Layer } from "effect"
import type { Scope } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { EmbedError, Embedder } from "./Embedder.ts"
import { starter } from "./internal/embeddingWorker.ts"
import { loadTransformers } from "./internal/transformersWorker.ts"
import * as WorkerEmbedder from "./internal/WorkerEmbedder.ts"

/** Where the model is and how much work the backend accepts. */
export interface TransformersEmbedderOptions {
  /** Root directory of local models; the model's files are in `<localModelPath>/<model>/`. */
  readonly localModelPath: string
  /**
   * The model's directory under `localModelPath`, which is also its name on the Hugging Face hub
   * (e.g. "Xenova/all-MiniLM-L6-v2") and the `Embedder.model` that keeps vectors of two models apart.
   */
  readonly model: string
  /** Download missing files from the hub into `localModelPath` (default false: offline). */
  readonly allowRemoteModels?: boolean
  /** Which ONNX file: "fp32" (default) reads `onnx/model.onnx`, "q8" `onnx/model_quantized.onnx`, … */
  readonly dtype?: string
  /** Vector length; by default the `hidden_size` of the model's `config.json`. */
  readonly dimensions?: number
  /** Texts are cut to this many characters before tokenising (default 1000, the Guard's `maxTextLength`). */
  readonly maxTextLength?: number
  /** Most texts in one model run (default 32). */
  readonly maxBatch?: number
  /** Most texts waiting or being embedded before `embed` fails with `Overloaded` (default 1024). */
  readonly maxQueue?: number
  /** How many of the texts embedded last are answered again without the model (default 1024; 0 keeps none). */
  readonly cacheSize?: number
}

/** The directory the model's files are read from. */
const modelDirectory = (options: Pick<TransformersEmbedderOptions, "localModelPath" | "model">): string =>
  join(options.localModelPath, options.model)

const configDimensions = (options: TransformersEmbedderOptions) =>
  Effect.try({
    try: () => {
      const config = JSON.parse(readFileSync(join(modelDirectory(options), "config.json"), "utf8")) as unknown
      const size = typeof config === "object" && config !== null ? (config as Record<string, unknown>).hidden_size : undefined
      if (typeof size !== "number" || !Number.isInteger(size) || size <= 0) throw new Error("it has no positive integer hidden_size")
      return size
    },
    catch: (cause) =>
      new EmbedError({
        reason: "ModelLoad",
        model: options.model,
        detail: `cannot read the model's config.json in ${modelDirectory(options)} (${cause instanceof Error ? cause.message : String(cause)}); ` +
          `copy the model's files there (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx) or set dimensions`
      })
  })

/**
 * Builds the backend in the current scope (with the number of workers it started, for tests and
 * figures). Only `config.json` is read now, when `dimensions` is not given; the worker, the
 * `@huggingface/transformers` package and the model load on the first `embed`, and the worker
 * ends with the scope. `resolveFrom` is the module `@huggingface/transformers` is resolved from
 * (default: this one).
 */
export const make = (
  options: TransformersEmbedderOptions,
  resolveFrom: string = fileURLToPath(import.meta.url)
): Effect.Effect<WorkerEmbedder.WorkerEmbedder, EmbedError, Scope.Scope> =>
  Effect.gen(function*() {
    const dimensions = options.dimensions ?? (yield* configDimensions(options))
    const settings = {
      localModelPath: options.localModelPath,
      model: options.model,
      directory: modelDirectory(options),
      allowRemoteModels: options.allowRemoteModels ?? false,
      dtype: options.dtype ?? "fp32"
    }
    return yield* WorkerEmbedder.make({
      model: options.model,
      dimensions,
      startWorker: starter(loadTransformers, { resolveFrom, dimensions, settings }),
      maxBatch: options.maxBatch,
      maxQueue: options.maxQueue,
      maxTextLength: options.maxTextLength,
      cacheSize: options.cacheSize
    })
  })

/** The Embedder backed by a local ONNX model through transformers.js; fails to build only when `config.json` cannot give the dimensions. */
export const layer = (options: TransformersEmbedderOptions): Layer.Layer<Embedder, EmbedError> =>
  Layer.effect(Embedder, Effect.map(make(options), (built) => built.embedder))
