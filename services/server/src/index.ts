/**
 * @tenfold/server — the `tenfold` binary's parts, for tests and for apps that want the built-in tools.
 */
export { builtinTools, textStats } from "./tools/index.ts"
export { helpText, parse, UsageError } from "./Cli.ts"
