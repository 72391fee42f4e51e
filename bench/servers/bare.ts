/**
 * Benchmark server (a), the ceiling: plain `node:http` that reads and parses the JSON-RPC body and
 * answers the bytes Tenfold answers, precomputed as bytes, with the request id spliced in: the `echo` tool,
 * or with BENCH_TOOLS=n the first `tools/list` page of the catalog in catalog.ts (BENCH_PAGE_SIZE).
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { createServer } from "node:http"
import { pageSize, toolCount, wireTools } from "./catalog.ts"

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000)

const serverInfo = `"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"tenfold","version":"0.1.0"}}`
const echoTool = `{"name":"echo","description":"Echo the input text","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]},"annotations":{"readOnlyHint":true}}`
const listed = toolCount > 1 ? JSON.stringify(wireTools(toolCount).slice(0, pageSize)).slice(1, -1) : echoTool
const nextCursor = toolCount > pageSize ? `,"nextCursor":${JSON.stringify(Buffer.from(`o:${pageSize}`).toString("base64url"))}` : ""
const results: Record<string, string> = {
  "tools/call": `{"content":[{"type":"text","text":"hello"}],"resultType":"complete",${serverInfo}}`,
  "tools/list": `{"tools":[${listed}]${nextCursor},"resultType":"complete","ttlMs":60000,"cacheScope":"public",${serverInfo}}`
}
// each answer's bytes after the id, encoded once: per request only the id is encoded and copied in
// front of a small one, or written before a large one (past 64 KiB a copy costs more than a second buffer)
const LARGE = 64 * 1024
const tails = new Map(Object.entries(results).map(([method, result]) => [method, Buffer.from(`,"result":${result}}`)]))

createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string | number; method: string }
    const head = `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)}`
    const tail = tails.get(message.method)
    if (tail !== undefined && tail.byteLength > LARGE) {
      // a large answer: the id and the tail as two buffers in one writev, never copied into one
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(head) + tail.byteLength })
      res.cork()
      res.write(head)
      return void res.end(tail)
    }
    const body = tail === undefined
      ? Buffer.from(`${head},"error":{"code":-32601,"message":"Method not found"}}`)
      : Buffer.concat([Buffer.from(head), tail])
    res.writeHead(200, { "content-type": "application/json", "content-length": body.byteLength }).end(body)
  })
}).listen(port, "127.0.0.1", () => console.log(`ready http://127.0.0.1:${port}/mcp`))
