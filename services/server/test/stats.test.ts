import { assert, describe, it } from "@effect/vitest"
import type { Tool } from "@tenfold/mcp"
import { Telemetry } from "@tenfold/metrics"
import { Effect } from "effect"
import { snapshot } from "../../../packages/metrics/test/support/snapshot.ts"
import { statsTool } from "../src/tools/stats.ts"

const group = (i: number) => ({ name: `tool_${i}`, count: i + 1, avgMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, successes: i + 1, failures: 0 })

/** tenfold_stats reads nothing of its call's context. */
const noContext = {} as Tool.ToolContext

describe("tenfold_stats", () => {
  it.effect("answers the snapshot with the busiest tools only, however many tools a gateway serves", () =>
    Effect.gen(function*() {
      const tools = Array.from({ length: 1000 }, (_, i) => group(i))
      const telemetry = Telemetry.of({ snapshot: Effect.succeed(snapshot({ tools })), windowSeconds: 10, sampleIntervalMs: 1000 })
      const result = (yield* statsTool(telemetry).handler!({}, noContext)) as { structuredContent: { tools: ReadonlyArray<{ name: string }> } }
      const names = result.structuredContent.tools.map((t) => t.name)
      assert.strictEqual(names.length, 50)
      assert.strictEqual(names[0], "tool_999")
    }))
})
