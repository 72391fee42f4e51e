/**
 * End to end over Streamable HTTP with the real SDK v2 client, in both protocol revisions.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { probes, type RunningServer, startServer } from "./support.ts"

let server: RunningServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

const REVISIONS = [
  { name: "2025-11-25", options: {} },
  { name: "2026-07-28", options: { versionNegotiation: { mode: { pin: "2026-07-28" as const } } } }
] as const

const connect = async (options: object) => {
  const client = new Client({ name: "tenfold-e2e", version: "1.0.0" }, { capabilities: { elicitation: { form: {} } }, ...options })
  client.setRequestHandler("elicitation/create", async () => ({ action: "accept" as const, content: { ok: true } }))
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)))
  return client
}

describe.each(REVISIONS)("over HTTP, revision $name", ({ name, options }) => {
  let client: Client
  beforeAll(async () => {
    client = await connect(options)
  })
  afterAll(() => client.close())

  it("negotiates the revision", () => {
    expect(client.getNegotiatedProtocolVersion()).toBe(name)
  })

  it("lists the built-in tool with its schema and annotations", async () => {
    const { tools } = await client.listTools()
    const textStats = tools.find((t) => t.name === "text_stats")
    expect(textStats?.annotations?.readOnlyHint).toBe(true)
    expect(textStats?.inputSchema.required).toEqual(["text"])
    expect(textStats?.outputSchema?.type).toBe("object")
  })

  it("calls text_stats and gets structured content", async () => {
    const result = await client.callTool({ name: "text_stats", arguments: { text: "The cat sat. The cat ran away!", top: 1 } })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toMatchObject({ words: 7, sentences: 2, topTerms: [{ term: "cat", count: 2 }] })
  })

  it("rejects bad arguments with -32602 naming the field", async () => {
    await expect(client.callTool({ name: "text_stats", arguments: { text: 42 } })).rejects.toThrow(/text/)
  })

  it("rejects an unknown tool", async () => {
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(/Unknown tool: "?no_such_tool"?/)
  })

  it("streams progress notifications before the result", async () => {
    const seen: Array<number> = []
    const result = await client.callTool({ name: "count", arguments: { to: 3 } }, { onprogress: (p) => void seen.push(p.progress) })
    expect(seen).toEqual([1, 2, 3])
    expect(result.content).toEqual([{ type: "text", text: "counted to 3" }])
  })

  it("asks the client for input (elicitation) and finishes with the answer", async () => {
    const result = await client.callTool({ name: "confirm", arguments: { question: "Proceed?" } })
    expect(result.content).toEqual([{ type: "text", text: "answer: accept {\"ok\":true}" }])
  })
})

describe.each([
  { how: "a 2025-11-25 client sends notifications/cancelled", options: REVISIONS[0].options },
  { how: "a 2026-07-28 client closes the request", options: REVISIONS[1].options }
])("cancellation", ({ how, options }) => {
  it(`interrupts the tool's fiber when ${how}`, async () => {
    const client = await connect(options)
    const before = probes.interrupted
    const controller = new AbortController()
    const call = client.callTool({ name: "slow", arguments: { ms: 30_000 } }, { signal: controller.signal })
    await new Promise((r) => setTimeout(r, 200))
    controller.abort()
    await expect(call).rejects.toThrow()
    await expect.poll(() => probes.interrupted, { timeout: 5000 }).toBe(before + 1)
    expect(probes.slowCompleted).toBe(0)
    await client.close()
  })
})
