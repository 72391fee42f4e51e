/**
 * @tenfold/server — the `tenfold` binary's parts, for tests and for apps that want the built-in tools.
 */
export { builtinTools, textStats } from "./tools/index.ts"
export { statsLayer, statsTool } from "./tools/stats.ts"
export { fetchUrlLayer, fetchUrlOptions, fetchUrlTool } from "./tools/fetchUrl/index.ts"
export type { FetchUrlOptions, FetchUrlSettings } from "./tools/fetchUrl/index.ts"
export { helpText, parse, UsageError } from "./Cli.ts"
export { runWorkflowLayer, runWorkflowTool } from "./tools/runWorkflow/index.ts"
export type { RunWorkflowInput, RunWorkflowServices } from "./tools/runWorkflow/index.ts"
export { searchDocumentsLayer, searchDocumentsOptions, searchDocumentsTool } from "./tools/searchDocuments/index.ts"
export type { SearchDocumentsOptions, SearchDocumentsOutput } from "./tools/searchDocuments/index.ts"
