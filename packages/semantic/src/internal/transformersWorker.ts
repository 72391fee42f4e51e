/**
 * The model part of the `transformers` worker: a transformers.js feature-extraction pipeline,
 * mean-pooled over the attention mask. `@huggingface/transformers` is an optional peer dependency,
 * imported here, on the first batch, so a server that never uses this backend never needs it.
 * Runs inside the worker program of `embeddingWorker.ts`, so it is self-contained (see `LoadModel`).
 */
import type { EmbedBatch, LoadModel, WorkerModules } from "./workerProtocol.ts"

/** What the model part needs (part of the worker's `workerData`). */
export interface TransformersSettings {
  readonly localModelPath: string
  readonly model: string
  /** `<localModelPath>/<model>`, named in every load failure. */
  readonly directory: string
  readonly allowRemoteModels: boolean
  readonly dtype: string
}

interface Transformers {
  readonly env: Record<string, unknown>
  pipeline(task: string, model: string, options: Record<string, unknown>): Promise<
    (texts: ReadonlyArray<string>, options: Record<string, unknown>) => Promise<{ readonly data: Float32Array }>
  >
}

/** Loads the pipeline in the worker; a missing package or model fails with a message that says what to do. */
export const loadTransformers: LoadModel<TransformersSettings> = async (
  settings: TransformersSettings,
  modules: WorkerModules
): Promise<EmbedBatch> => {
  const missing = (error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code
    return (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") && String(error).includes("@huggingface/transformers")
  }
  let transformers: Transformers
  try {
    transformers = await modules.import("@huggingface/transformers") as Transformers
  } catch (error) {
    throw new Error(
      missing(error)
        ? "the transformers backend needs the optional package @huggingface/transformers, which is not installed: " +
          "run `npm install @huggingface/transformers` beside @tenfold/semantic"
        : `cannot load @huggingface/transformers: ${error instanceof Error ? error.message : String(error)}`
    )
  }
  const { env, pipeline } = transformers
  env.allowLocalModels = true
  env.allowRemoteModels = settings.allowRemoteModels
  env.useFSCache = settings.allowRemoteModels
  env.localModelPath = settings.localModelPath
  env.cacheDir = settings.localModelPath
  const extractor = await pipeline("feature-extraction", settings.model, { dtype: settings.dtype, device: "cpu" })
    .catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (model directory: ${settings.directory})`)
    })
  return async (texts) => (await extractor(texts, { pooling: "mean", normalize: true })).data
}
