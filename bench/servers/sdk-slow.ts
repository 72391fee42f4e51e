/**
 * `bench:cache` server (b): the MCP SDK v2 as in sdk.ts (`createMcpHandler` + `toNodeHandler`),
 * with the read-only `slow` tool, which sleeps 20 ms on every call (the SDK has no result cache).
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { toNodeHandler, localhostHostValidation, localhostOriginValidation } from "@modelcontextprotocol/node"
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server"
import { createServer } from "node:http"
import { setTimeout as delay } from "node:timers/promises"
import * as z from "zod/v4"

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000)

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: "bench-sdk", version: "1.0.0" })
  server.registerTool(
    "slow",
    { description: "Answer the input text after 20 ms", inputSchema: z.object({ text: z.string() }), annotations: { readOnlyHint: true } },
    async ({ text }) => {
      await delay(20)
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
