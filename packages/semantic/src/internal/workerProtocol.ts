/**
 * What an embedding worker thread and the `WorkerEmbedder` that owns it exchange: the worker's
 * start data, one batch of texts in, one flat vector buffer (or a failure) out, and the shape of
 * the model-specific part each backend plugs into the shared worker program. A worker answers each
 * batch before it receives the next.
 */

/** One batch to embed; texts are already cut to the embedder's maximum length. */
export interface BatchRequest {
  readonly texts: ReadonlyArray<string>
}

/** The worker's answer to one batch: `texts.length` unit vectors laid end to end, or why not. */
export type BatchReply =
  | { readonly _tag: "Vectors"; readonly data: Float32Array }
  | { readonly _tag: "Failed"; readonly reason: "ModelLoad" | "Backend"; readonly detail: string }

/** The worker's `workerData`. */
export interface WorkerStart<Settings> {
  /** The module packages are resolved from, as if it required them (the backend's own file, or the bundle). */
  readonly resolveFrom: string
  /** The length of every vector; a model that returns another length fails to load. */
  readonly dimensions: number
  /** The backend's own settings, passed to its `LoadModel`. */
  readonly settings: Settings
}

/** How a backend reaches its packages from inside the worker, resolved from `WorkerStart.resolveFrom`. */
export interface WorkerModules {
  /** `require` a CommonJS package. */
  readonly require: (id: string) => unknown
  /** `import` a package (for ESM-only ones). */
  readonly import: (id: string) => Promise<unknown>
}

/** Embeds one batch inside the worker: `texts.length × dimensions` numbers (normalised by the worker program). */
export type EmbedBatch = (texts: ReadonlyArray<string>) => Promise<Float32Array>

/**
 * A backend's model-specific part, run inside the worker on its first batch (again on the next
 * batch if it throws). Its source text is evaluated in the worker, so it must be self-contained:
 * it may use its parameters and globals, never a binding of the module that declares it.
 */
export type LoadModel<Settings> = (settings: Settings, modules: WorkerModules) => Promise<EmbedBatch>
