/**
 * The `search_documents` implementation: brings the index in step with the directory (reporting
 * `notifications/progress` while files are embedded, when the caller asked for progress), then
 * answers the best passages. A directory that cannot be read or an embedder that fails is a
 * `ToolError` saying so.
 */
import { Tool } from "@tenfold/mcp"
import { Effect } from "effect"
import type { DocumentIndex } from "./DocumentIndex.ts"
import { DEFAULT_LIMIT, type SearchDocumentsInput, type SearchDocumentsOutput } from "./index.ts"

/** Normalises a `path` filter: `/` separators, no leading `./` or `/`. */
export const prefixOf = (path: string | undefined): string | undefined => {
  if (path === undefined) return undefined
  const normalised = path.replace(/\\/g, "/").replace(/^(\.\/|\/)+/, "")
  return normalised === "" ? undefined : normalised
}

/** The handler over the index `index` builds, for the directory `dir` (named in errors). */
export const handler = (index: Effect.Effect<DocumentIndex>, dir: string) =>
(input: SearchDocumentsInput, ctx: Tool.ToolContext): Effect.Effect<SearchDocumentsOutput, Tool.ToolError> =>
  Effect.gen(function*() {
    const documents = yield* index
    const pathPrefix = prefixOf(input.path)
    const { passages, status } = yield* documents.search(
      input.query,
      { limit: input.limit ?? DEFAULT_LIMIT, ...(pathPrefix === undefined ? {} : { pathPrefix }) },
      (done, total, message) => ctx.progress(done, total, message)
    )
    return {
      passages,
      indexed: { files: status.files, passages: status.chunks, skippedFiles: status.skipped, truncated: status.truncated }
    }
  }).pipe(Effect.mapError((error) => new Tool.ToolError({ message: `search_documents over ${dir}: ${error.message}` })))
