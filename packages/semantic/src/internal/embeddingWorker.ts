/**
 * The one worker program every embedding backend runs: it answers each `BatchRequest` with unit
 * vectors, loading the backend's model (its `LoadModel`) on the first batch and again on the next
 * if that failed (the files may have been copied in since), checks that the model returned
 * `dimensions` finite numbers per text, normalises them and transfers them back.
 *
 * The worker is started from source text (`new Worker(source, { eval: true })`), so no worker file
 * has to lie beside the caller's `import.meta.url`: the server ships as one bundled file. The
 * source is built from the functions' own text (`Function.prototype.toString`), which is why
 * `serve` and every `LoadModel` are self-contained (a coverage tool that instruments their bodies
 * would break them; V8's coverage does not); packages are resolved from the backend's module
 * (`WorkerStart.resolveFrom`), not from the eval'd code's working directory.
 */
import type { MessagePort } from "node:worker_threads"
import { Worker } from "node:worker_threads"
import type { BatchReply, BatchRequest, EmbedBatch, LoadModel, WorkerModules, WorkerStart } from "./workerProtocol.ts"

/** The worker's message loop (runs inside the worker; self-contained). */
function serve(port: MessagePort, start: WorkerStart<unknown>, load: LoadModel<unknown>, modules: WorkerModules): void {
  const { dimensions } = start
  let loading: Promise<EmbedBatch> | undefined
  const describe = (error: unknown) => String(error instanceof Error ? error.message : error).slice(0, 2000)
  const reply = (message: BatchReply) =>
    message._tag === "Vectors" ? port.postMessage(message, [message.data.buffer as ArrayBuffer]) : port.postMessage(message)
  /** Normalises each row in place; false when a row has no direction (all zero) or a value that is not finite. */
  const normalizeRows = (data: Float32Array) => {
    for (let start = 0; start < data.length; start += dimensions) {
      let sum = 0
      for (let i = start; i < start + dimensions; i++) sum += data[i]! * data[i]!
      const norm = Math.sqrt(sum)
      if (!(norm > 0 && Number.isFinite(norm))) return false
      for (let i = start; i < start + dimensions; i++) data[i] = data[i]! / norm
    }
    return true
  }
  port.on("message", async ({ texts }: BatchRequest) => {
    let embed: EmbedBatch
    try {
      embed = await (loading ??= load(start.settings, modules))
    } catch (error) {
      loading = undefined
      return reply({ _tag: "Failed", reason: "ModelLoad", detail: describe(error) })
    }
    try {
      const output = await embed(texts)
      if (output.length !== texts.length * dimensions) {
        const returned = texts.length > 0 ? output.length / texts.length : output.length
        return reply({
          _tag: "Failed",
          reason: "ModelLoad",
          detail: `the model returns ${returned}-dimensional vectors, ${dimensions} were configured`
        })
      }
      // a view into a larger buffer (a wasm heap, a pooled tensor) is copied, so only the vectors cross
      const data = output.byteOffset === 0 && output.buffer.byteLength === output.byteLength ? output : output.slice()
      if (!normalizeRows(data)) {
        return reply({ _tag: "Failed", reason: "Backend", detail: "the model produced a vector that cannot be normalised (zero or not finite)" })
      }
      reply({ _tag: "Vectors", data })
    } catch (error) {
      reply({ _tag: "Failed", reason: "Backend", detail: describe(error) })
    }
  })
}

/** The worker's whole program: wiring in CommonJS (as `eval` workers run), then `serve` with the backend's `load`. */
const programOf = (load: LoadModel<never>): string => `"use strict"
const { parentPort, workerData } = require("node:worker_threads")
const { createRequire } = require("node:module")
const { pathToFileURL } = require("node:url")
const from = createRequire(workerData.resolveFrom)
const modules = { require: (id) => from(id), import: (id) => import(pathToFileURL(from.resolve(id)).href) }
;(${serve.toString()})(parentPort, workerData, (${load.toString()}), modules)
`

/** A function that starts one worker running `load`'s model with `start` (the source is built once, here). */
export const starter = <Settings>(load: LoadModel<Settings>, start: WorkerStart<Settings>, prelude = ""): () => Worker => {
  const source = prelude + programOf(load as LoadModel<never>)
  return () => new Worker(source, { eval: true, workerData: start })
}
