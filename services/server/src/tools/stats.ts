/**
 * `tenfold_stats`: the live telemetry snapshot (the one the dashboard shows) for MCP clients, as
 * structured content. It reads the runtime's `Telemetry`, so it is registered by a layer once the
 * runtime is built rather than declared with the static built-in tools.
 */
import { Tool, ToolRegistry } from "@tenfold/mcp"
import { Telemetry, trimmedSnapshot } from "@tenfold/metrics"
import { Effect, Layer, Schema } from "effect"

/** The tool over `telemetry`: every call answers the current snapshot (never cached), cut to the busiest tools and methods as the dashboard shows them. */
export const statsTool = (telemetry: Telemetry["Service"]) =>
  Tool.make({
    name: "tenfold_stats",
    title: "Tenfold statistics",
    description:
      `Live performance figures of this Tenfold server over the last ${telemetry.windowSeconds} s: latency (avg, p50/p95/p99) and requests/s per method and per tool, successes and failures, CPU, memory and event-loop utilisation, cache hit rates per tier, pool use and active alerts.`,
    input: Schema.Struct({}),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    cache: false,
    handler: () => Effect.map(Effect.map(telemetry.snapshot, trimmedSnapshot), (snapshot) => ({ content: [{ type: "text" as const, text: JSON.stringify(snapshot) }], structuredContent: { ...snapshot } }))
  })

/** Registers `tenfold_stats` in the runtime's tool registry, over its `Telemetry`. */
export const statsLayer = Layer.effectDiscard(Effect.gen(function*() {
  const telemetry = yield* Telemetry
  const registry = yield* ToolRegistry
  yield* registry.register(statsTool(telemetry))
}))
