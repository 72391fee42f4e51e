/**
 * A real node:http server on a free loopback port for the pool's tests, closed with the test's
 * scope: it counts the TCP connections it accepted and the requests it saw, and runs the test's
 * handler for each request.
 */
import { Effect } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

export interface TestServer {
  /** `http://127.0.0.1:<port>` (or the host given). */
  readonly url: string
  readonly port: number
  /** TCP connections accepted so far. */
  readonly connections: () => number
  /** Requests received so far. */
  readonly requests: () => number
  /** Requests whose response has not ended yet. */
  readonly open: () => number
  /** Most requests open at once so far. */
  readonly maxOpen: () => number
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export const start = (handler: Handler, host = "127.0.0.1") =>
  Effect.acquireRelease(
    Effect.callback<{ server: ReturnType<typeof createServer>; sockets: Set<Socket>; state: TestServer }>((resume) => {
      const sockets = new Set<Socket>()
      let connections = 0
      let requests = 0
      let open = 0
      let maxOpen = 0
      const server = createServer((req, res) => {
        requests++
        open++
        maxOpen = Math.max(maxOpen, open)
        res.on("close", () => void open--)
        handler(req, res)
      })
      server.on("connection", (socket) => {
        connections++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, host, () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({
          server,
          sockets,
          state: { url: `http://${host}:${port}`, port, connections: () => connections, requests: () => requests, open: () => open, maxOpen: () => maxOpen }
        }))
      })
    }),
    ({ server, sockets }) =>
      Effect.callback<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))

/** Answers `text` with status 200. */
export const text = (body: string): Handler => (_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) })
  res.end(body)
}
