/**
 * The Embedder: turns texts into unit-length vectors, so that the cosine similarity of two texts is
 * the dot product of their vectors. One interface, several backends (`UseLiteEmbedder`, the
 * default, works offline; a `transformers` backend loads a local ONNX model). Backends load their
 * model lazily, on first use, and run it off the event loop.
 */
import { Context, Data, type Effect } from "effect"
import * as vector from "./internal/vector.ts"

/** Why an embedding failed; a caller treats every reason as "no semantic answer", never as a failed tool call. */
export type EmbedFailure =
  /** The queue of waiting texts is full: the caller asked faster than the model embeds. */
  | "Overloaded"
  /** The model could not be loaded (missing files, bad format). */
  | "ModelLoad"
  /** The worker running the model died while the request was in it; the next request gets a new worker. */
  | "WorkerCrashed"
  /** The backend was shut down (its layer's scope closed) before the request was answered. */
  | "Closed"
  /** The model ran and failed. */
  | "Backend"

/** An embedding request that did not produce vectors; `reason` says which kind of failure, `detail` what happened. */
export class EmbedError extends Data.TaggedError("EmbedError")<{
  readonly reason: EmbedFailure
  readonly model: string
  readonly detail: string
}> {
  override get message() {
    return `embedding with ${this.model} failed (${this.reason}): ${this.detail}`
  }
}

/** Local text embeddings for the semantic tier and `search_documents`: one vector per text, unit length. */
export class Embedder extends Context.Service<Embedder, {
  /** The model's name as reported in figures and `_meta` (e.g. "use-lite"). Vectors of different models never mix. */
  readonly model: string
  /** The length of every vector this embedder returns. */
  readonly dimensions: number
  /** Texts longer than this many characters are cut to it before embedding (the model sees a bounded input). */
  readonly maxTextLength: number
  /**
   * One unit-length vector per text, in order. Requests arriving together are embedded in one
   * batch; the first call loads the model. Fails with `Overloaded` rather than queueing without bound.
   */
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Float32Array>, EmbedError>
}>()("@tenfold/semantic/Embedder") {}

/** The cosine similarity of two unit vectors of the same model: their dot product, in [-1, 1]. */
export const cosine: (a: Float32Array, b: Float32Array) => number = vector.dot
