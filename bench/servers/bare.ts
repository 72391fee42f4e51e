/**
 * Benchmark server (a), the ceiling: plain `node:http` that reads and parses the JSON-RPC body and
 * answers the bytes Tenfold answers for the `echo` tool, precomputed, with the request id spliced in.
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000)

const serverInfo = `"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"tenfold","version":"0.1.0"}}`
const results: Record<string, string> = {
  "tools/call": `{"content":[{"type":"text","text":"hello"}],"resultType":"complete",${serverInfo}}`,
  "tools/list": `{"tools":[{"name":"echo","description":"Echo the input text","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]},"annotations":{"readOnlyHint":true}}],"resultType":"complete","ttlMs":60000,"cacheScope":"public",${serverInfo}}`
}

createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string | number; method: string }
    const result = results[message.method]
    const body = result === undefined
      ? `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"error":{"code":-32601,"message":"Method not found"}}`
      : `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":${result}}`
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body)
  })
}).listen(port, "127.0.0.1", () => console.log(`ready http://127.0.0.1:${port}/mcp`))
