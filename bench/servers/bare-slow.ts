/**
 * `bench:cache` server (a), the ceiling: plain `node:http` that reads and parses the JSON-RPC body
 * and answers the bytes Tenfold answers for a cached `slow` call — precomputed, with the request
 * id spliced in and the `ttlMs` hint counting down as Tenfold's does (fresh 60 s from start, then
 * again) — as if every answer were a cache hit that costs nothing.
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000)
const TTL_MS = 60_000
const started = Date.now()

const head = `{"content":[{"type":"text","text":"hello"}],"ttlMs":`
const tail = `,"cacheScope":"private","resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"tenfold","version":"0.1.0"}}}`

createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string | number; method: string }
    const body = message.method === "tools/call"
      ? `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":${head}${TTL_MS - ((Date.now() - started) % TTL_MS)}${tail}}`
      : `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"error":{"code":-32601,"message":"Method not found"}}`
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body)
  })
}).listen(port, "127.0.0.1", () => console.log(`ready http://127.0.0.1:${port}/mcp`))
