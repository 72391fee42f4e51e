/**
 * The semantic cache (L3) through MCP: a tool opted in by configuration answers a paraphrased call
 * from the cached result of the first, marked in `_meta`, without running again; a call that
 * changes a name runs the tool.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { SemanticTier } from "@tenfold/semantic"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { probes, type RunningServer, startServer } from "./support.ts"

let server: RunningServer
let client: Client
beforeAll(async () => {
  server = await startServer({ cacheTools: { lookup: { shared: true, semantic: { argument: "q" } } } })
  client = new Client({ name: "tenfold-e2e", version: "1.0.0" })
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)))
})
afterAll(async () => {
  await client?.close()
  await server?.close()
})

/** Waits until the semantic tier has embedded what the calls so far stored (it does so in the background). */
const semanticIdle = () =>
  server.runtime.runPromise(Effect.flatMap(Effect.serviceOption(SemanticTier), (tier) => {
    expect(Option.isSome(tier)).toBe(true)
    return Option.isSome(tier) ? tier.value.idle : Effect.void
  }))

const lookup = async (q: string) => {
  const result = await client.callTool({ name: "lookup", arguments: { q } })
  return result as { content: Array<{ type: string; text: string }>; _meta?: Record<string, unknown> }
}

describe("semantic cache (L3)", () => {
  it("answers a paraphrase from the cached result, marked in _meta, without running the tool", async () => {
    const before = probes.lookups
    const first = await lookup("weather in Paris today")
    expect(first._meta?.["io.tenfold/semantic"]).toBeUndefined()
    await semanticIdle()
    const second = await lookup("today's weather in Paris")
    expect(probes.lookups).toBe(before + 1)
    expect(second.content).toEqual(first.content)
    expect(second._meta?.["io.tenfold/semantic"]).toMatchObject({ query: "weather in Paris today", model: "use-lite" })
    expect((second._meta?.["io.tenfold/semantic"] as { score: number }).score).toBeGreaterThanOrEqual(0.8)
  })

  it("runs the tool when the texts name different things", async () => {
    const before = probes.lookups
    await lookup("weather in Rome today")
    await semanticIdle()
    const other = await lookup("weather in Oslo today")
    expect(probes.lookups).toBe(before + 2)
    expect(other.content[0]!.text).toContain("Oslo")
    expect(other._meta?.["io.tenfold/semantic"]).toBeUndefined()
  })
})
