/**
 * The tool of the `bench:cache` HTTP part, for Tenfold: `slow` answers its `text` argument after
 * 20 ms, is read-only (so Tenfold caches it with the default policy), and is called repeatedly with
 * the same arguments. bare-slow.ts and sdk.ts (BENCH_TOOL=slow) serve the same tool.
 */
import { Tool } from "@tenfold/mcp"
import { Effect, Schema } from "effect"

export const SLOW_MS = 20

export const slow = Tool.make({
  name: "slow",
  description: "Answer the input text after 20 ms",
  input: Schema.Struct({ text: Schema.String }),
  annotations: { readOnlyHint: true },
  handler: ({ text }) => Effect.as(Effect.sleep(SLOW_MS), text)
})
