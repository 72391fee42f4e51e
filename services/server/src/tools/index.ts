/**
 * The tools the `tenfold` binary serves out of the box. Each declaration is cheap; its
 * implementation module is imported on the first call.
 */
import { Tool } from "@tenfold/mcp"
import { Schema } from "effect"

const TextStatsInput = Schema.Struct({
  text: Schema.String.annotate({ description: "The text to analyse" }),
  top: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 50 })).annotate({
      description: "How many of the most frequent terms to return (1-50, default 5)"
    })
  )
})
export type TextStatsInput = typeof TextStatsInput.Type

const TextStatsOutput = Schema.Struct({
  characters: Schema.Int,
  words: Schema.Int,
  sentences: Schema.Int,
  uniqueWords: Schema.Int,
  averageWordLength: Schema.Finite,
  readingTimeSeconds: Schema.Int,
  topTerms: Schema.Array(Schema.Struct({ term: Schema.String, count: Schema.Int }))
})
export type TextStatsOutput = typeof TextStatsOutput.Type

export const textStats = Tool.make({
  name: "text_stats",
  title: "Text statistics",
  description:
    "Counts characters, words, sentences and unique words in a text, lists its most frequent terms (stop words excluded) and estimates its reading time.",
  input: TextStatsInput,
  output: TextStatsOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  load: () => import("./textStats.ts").then((m) => m.handler),
  // CPU work: runs on a worker thread when the runtime has workers. The module is found through the
  // package's own exports, so the URL is right from the sources, from dist and from the bundle alike.
  cpuBound: true,
  module: { url: import.meta.resolve("@tenfold/server/tools/text-stats") }
})

/** The built-in tool set. */
export const builtinTools = [textStats] as const
