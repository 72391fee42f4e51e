/**
 * `search_documents`: semantic search over a directory of text and Markdown files, served when
 * the configuration names one (`documentsDir`, `--documents DIR`). The files are chunked into
 * passages, embedded with the runtime's `Embedder` and held in an HNSW index that follows the
 * directory's changes. Registering the tool reads nothing: the index is built on the first call
 * (or in the background after start with `documentsIndexAtStart`), and its module is imported then.
 */
import { Tool, ToolRegistry } from "@tenfold/mcp"
import type { Config } from "@tenfold/runtime"
import { Embedder } from "@tenfold/semantic"
import { Effect, Layer, Schema, Scope } from "effect"
import { resolve } from "node:path"
import type { DocumentIndex, DocumentIndexOptions } from "./DocumentIndex.ts"

/** Longest query accepted, in characters. */
export const MAX_QUERY_LENGTH = 2000
/** Most passages one call returns (the `limit` argument's ceiling). */
const MAX_LIMIT = 50
/** Passages returned when the call does not say. */
export const DEFAULT_LIMIT = 5
/** Longest `path` prefix accepted. */
const MAX_PATH_LENGTH = 1024

/** The arguments of `search_documents`: a bad one answers -32602 naming it. */
export const SearchDocumentsInput = Schema.Struct({
  query: Schema.String.check(Schema.isMaxLength(MAX_QUERY_LENGTH), Schema.isPattern(/\S/)).annotate({
    description: `What to look for, in words (not blank, at most ${MAX_QUERY_LENGTH} characters)`
  }),
  limit: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_LIMIT })).annotate({
      description: `How many passages to return (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT})`
    })
  ),
  path: Schema.optionalKey(
    Schema.String.check(Schema.isMaxLength(MAX_PATH_LENGTH)).annotate({
      description: "Only search files whose path (relative to the documents directory, with /) starts with this, e.g. \"guides/\""
    })
  )
})
/** The arguments of one `search_documents` call, decoded. */
export type SearchDocumentsInput = typeof SearchDocumentsInput.Type

const Passage = Schema.Struct({
  file: Schema.String,
  startLine: Schema.Int,
  endLine: Schema.Int,
  heading: Schema.String,
  score: Schema.Finite,
  text: Schema.String
})

const SearchDocumentsOutput = Schema.Struct({
  passages: Schema.Array(Passage),
  indexed: Schema.Struct({
    files: Schema.Int,
    passages: Schema.Int,
    skippedFiles: Schema.Int,
    truncated: Schema.Boolean
  })
})
/** What one call answers (also sent as `structuredContent`). */
export type SearchDocumentsOutput = typeof SearchDocumentsOutput.Type

/** What configures `search_documents` ({@link searchDocumentsOptions}). */
export interface SearchDocumentsOptions {
  /** The directory searched (absolute: a relative one is resolved against the working directory at start). */
  readonly dir: string
  /** File name endings indexed (default .md, .markdown, .txt). */
  readonly extensions: ReadonlyArray<string>
  readonly maxFiles: number
  readonly maxFileBytes: number
  /** Build the index in the background right after start instead of on the first call. */
  readonly indexAtStart: boolean
}

/** The `search_documents` options a runtime configuration sets, or undefined when it names no documents directory. */
export const searchDocumentsOptions = (config: Config.Config): SearchDocumentsOptions | undefined =>
  config.documentsDir === undefined ? undefined : {
    dir: resolve(config.documentsDir),
    extensions: config.documentsExtensions,
    maxFiles: config.documentsMaxFiles,
    maxFileBytes: config.documentsMaxFileBytes,
    indexAtStart: config.documentsIndexAtStart
  }

/** The index's bounds and timings for `options`; the fixed ones are documented in the README. */
const indexOptions = (options: SearchDocumentsOptions): DocumentIndexOptions => ({
  dir: options.dir,
  limits: {
    extensions: options.extensions,
    maxFiles: options.maxFiles,
    maxFileBytes: options.maxFileBytes,
    maxEntries: Math.max(100_000, 10 * options.maxFiles)
  },
  maxChunks: 50_000,
  maxTotalBytes: 64 * 1024 * 1024,
  recheckMs: 2000,
  watchedRecheckMs: 30_000,
  debounceMs: 300
})

/** The `search_documents` tool over the index `index` gives (built on its first use). */
export const searchDocumentsTool = (index: Effect.Effect<DocumentIndex>, dir: string) =>
  Tool.make({
    name: "search_documents",
    title: "Search documents",
    description:
      "Semantic search over the server's documents directory (text and Markdown files): returns the passages closest in meaning to the query, best first, each with its file, line range, section heading and similarity score. The first call indexes the directory (progress is reported); later calls see files added, changed or removed since.",
    input: SearchDocumentsInput,
    output: SearchDocumentsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    // not cached: an answer must follow the directory's changes, and no cache entry knows when a file changed
    cache: false,
    load: () => import("./SearchDocuments.ts").then((m) => m.handler(index, dir))
  })

/**
 * Registers `search_documents` in the runtime's `ToolRegistry` over its `Embedder`, when
 * `options` (from {@link searchDocumentsOptions}) names a directory; otherwise adds nothing.
 */
export const searchDocumentsLayer = (options: SearchDocumentsOptions | undefined) =>
  options === undefined ? Layer.empty : Layer.effectDiscard(Effect.gen(function*() {
    const embedder = yield* Embedder
    const registry = yield* ToolRegistry
    const scope = yield* Effect.scope
    const index = yield* Effect.cached(
      Effect.promise(() => import("./DocumentIndex.ts")).pipe(
        Effect.flatMap((m) => m.make(indexOptions(options), embedder)),
        Scope.provide(scope)
      )
    )
    yield* registry.register(searchDocumentsTool(index, options.dir))
    if (options.indexAtStart) {
      yield* Effect.forkIn(
        index.pipe(
          Effect.flatMap((built) => built.refresh()),
          Effect.tap((status) => Effect.logInfo(`search_documents: indexed ${status.files} files (${status.chunks} passages) of ${options.dir}`)),
          Effect.catch((error) => Effect.logWarning(`search_documents: ${error.message}`))
        ),
        scope
      )
    }
  }))
