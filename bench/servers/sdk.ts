/**
 * Benchmark server (b): the MCP SDK v2 served as its docs show — `createMcpHandler` (one
 * `McpServer` per request) + `toNodeHandler` on `node:http`, with the same tool as its peers:
 * `echo` (bench:http), or with BENCH_TOOL=slow the read-only `slow` tool that answers after 20 ms
 * on every call (bench:cache; the SDK has no result cache).
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { toNodeHandler, localhostHostValidation, localhostOriginValidation } from "@modelcontextprotocol/node"
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server"
import { createServer } from "node:http"
import { setTimeout as delay } from "node:timers/promises"
import * as z from "zod/v4"

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000)
const tool = process.env.BENCH_TOOL === "slow"
  ? { name: "slow", description: "Answer the input text after 20 ms", delayMs: 20 }
  : { name: "echo", description: "Echo the input text", delayMs: 0 }

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: "bench-sdk", version: "1.0.0" })
  server.registerTool(
    tool.name,
    { description: tool.description, inputSchema: z.object({ text: z.string() }), annotations: { readOnlyHint: true } },
    async ({ text }) => {
      if (tool.delayMs > 0) await delay(tool.delayMs)
      return { content: [{ type: "text", text }] }
    }
  )
  return server
})

const nodeHandler = toNodeHandler(handler)
const validateHost = localhostHostValidation()
const validateOrigin = localhostOriginValidation()
createServer((req, res) => {
  if (!validateHost(req, res) || !validateOrigin(req, res)) return
  void nodeHandler(req, res)
}).listen(port, "127.0.0.1", () => console.log(`ready http://127.0.0.1:${port}/mcp`))
