/**
 * The messages between an embedding worker thread and the `WorkerEmbedder` that owns it: one batch
 * of texts in, one flat vector buffer (or a failure) out. A worker answers each batch before it
 * receives the next.
 */

/** One batch to embed; texts are already cut to the embedder's maximum length. */
export interface BatchRequest {
  readonly texts: ReadonlyArray<string>
}

/** The worker's answer to one batch: `texts.length` unit vectors laid end to end, or why not. */
export type BatchReply =
  | { readonly _tag: "Vectors"; readonly data: Float32Array }
  | { readonly _tag: "Failed"; readonly reason: "ModelLoad" | "Backend"; readonly detail: string }
