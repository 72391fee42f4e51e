/**
 * The worker thread that runs a transformers.js feature-extraction pipeline for
 * `TransformersEmbedder`, speaking `workerProtocol`. Its source is a string evaluated by
 * `new Worker(source, { eval: true })`, so no worker file has to sit next to the caller's
 * `import.meta.url` (the server is bundled into one file); transformers is imported by the path
 * the main thread resolved. The model loads on the first batch; a failed load is tried again on
 * the next one (the files may have been copied in since).
 */

/** What the worker is started with (its `workerData`). */
export interface WorkerSettings {
  /** Absolute path of the `@huggingface/transformers` entry the worker imports. */
  readonly transformersPath: string
  readonly localModelPath: string
  readonly model: string
  /** `<localModelPath>/<model>`, named in every load failure. */
  readonly directory: string
  readonly allowRemoteModels: boolean
  readonly dtype: string
  readonly dimensions: number
}

/** The worker's program (CommonJS, as `eval` workers are). */
export const workerSource = `
const { parentPort, workerData: settings } = require("node:worker_threads")
const { pathToFileURL } = require("node:url")
let extractor
const load = async () => {
  const { env, pipeline } = await import(pathToFileURL(settings.transformersPath).href)
  env.allowLocalModels = true
  env.allowRemoteModels = settings.allowRemoteModels
  env.useFSCache = settings.allowRemoteModels
  env.localModelPath = settings.localModelPath
  env.cacheDir = settings.localModelPath
  return pipeline("feature-extraction", settings.model, { dtype: settings.dtype, device: "cpu" })
}
const failed = (reason, detail) =>
  ({ _tag: "Failed", reason, detail: detail.slice(0, 2000) + " (model directory: " + settings.directory + ")" })
parentPort.on("message", async ({ texts }) => {
  let reason = "ModelLoad"
  try {
    extractor ??= await load()
    reason = "Backend"
    const output = await extractor(texts, { pooling: "mean", normalize: true })
    if (output.dims[1] !== settings.dimensions) {
      return parentPort.postMessage(failed("ModelLoad",
        "the model returns " + output.dims[1] + "-dimensional vectors, " + settings.dimensions + " were configured"))
    }
    const data = Float32Array.from(output.data)
    if (!data.every(Number.isFinite)) return parentPort.postMessage(failed("Backend", "the model produced a vector that cannot be normalised (zero or not finite)"))
    parentPort.postMessage({ _tag: "Vectors", data }, [data.buffer])
  } catch (error) {
    parentPort.postMessage(failed(reason, String(error instanceof Error ? error.message : error)))
  }
})
`
