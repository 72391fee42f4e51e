/**
 * End to end over stdio: the real `tenfold --stdio` binary driven by the SDK v2 client.
 */
import { Client } from "@modelcontextprotocol/client"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../../services/server/bin/tenfold.js", import.meta.url))

describe.each([
  { name: "2025-11-25", options: {} },
  { name: "2026-07-28", options: { versionNegotiation: { mode: { pin: "2026-07-28" as const } } } }
])("over stdio, revision $name", ({ name, options }) => {
  it("lists and calls tools", async () => {
    const client = new Client({ name: "tenfold-e2e", version: "1.0.0" }, options)
    const stderr: Array<string> = []
    const transport = new StdioClientTransport({ command: process.execPath, args: [bin, "--stdio"], stderr: "pipe" })
    transport.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()))
    await client.connect(transport)
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(name)
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).toContain("text_stats")
      const result = await client.callTool({ name: "text_stats", arguments: { text: "one two three" } })
      expect(result.structuredContent).toMatchObject({ words: 3 })
      await expect(client.callTool({ name: "text_stats", arguments: {} })).rejects.toThrow(/text/)
    } finally {
      await client.close()
    }
  })
})
