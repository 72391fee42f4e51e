/**
 * The upstream of `npm run bench:connections`: plain `node:http` with keep-alive. `GET /small`
 * answers 1 KiB; `GET /large?bytes=N` streams N bytes in 64 KiB writes, waiting for `drain` (so a
 * slow reader slows it down instead of making it buffer). `GET /connections` answers how many TCP
 * connections were accepted since the last time it was asked (its own included). Port from argv[2];
 * prints `ready <url>`.
 */
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? 3000)
const small = Buffer.alloc(1024, 97)
const chunk = Buffer.alloc(64 * 1024, 98)

let connections = 0

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://upstream")
  if (url.pathname === "/connections") {
    res.end(String(connections))
    connections = 0
    return
  }
  if (url.pathname === "/large") {
    const total = Number(url.searchParams.get("bytes") ?? 0)
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total })
    let sent = 0
    const pump = () => {
      while (sent < total) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent)
        sent += piece.length
        if (!res.write(piece)) return void res.once("drain", pump)
      }
      res.end()
    }
    return pump()
  }
  res.writeHead(200, { "content-type": "text/plain", "content-length": small.length })
  res.end(small)
})
server.on("connection", () => void connections++)
server.keepAliveTimeout = 60_000
server.listen(port, "127.0.0.1", () => console.log(`ready http://127.0.0.1:${port}`))
process.on("SIGTERM", () => server.close(() => process.exit(0)))
