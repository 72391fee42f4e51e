/**
 * The listening `node:http` server: binds host and port, routes each request (the MCP endpoint
 * of {@link HttpTransport}, then the {@link HttpRoutes} table) behind one gate, bounds what slow
 * or numerous clients can hold (header and body timeouts, connections in total and per client
 * address), and on shutdown stops accepting, lets calls in flight finish, then closes.
 */
import { Context, Data, Effect, Layer, Option } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { Health } from "./Health.ts"
import { HttpRoutes } from "./HttpRoutes.ts"
import { HttpTransport } from "./HttpTransport.ts"
import { DENIED } from "./internal/Gate.ts"
import { pathOf } from "./internal/Headers.ts"
import { Quota } from "./internal/Quota.ts"
import { replyError, RETRY_AFTER_MS, TRANSPORT_ERROR } from "./internal/Reply.ts"

/** The server could not bind (port in use, no permission, bad address). */
export class ListenError extends Data.TaggedError("ListenError")<{ readonly message: string }> {}

export interface HttpServerOptions {
  readonly host: string
  /** 0 picks a free port; read the chosen one from the service. */
  readonly port: number
  /** How long calls in flight may run after shutdown starts (default 10000 ms). */
  readonly shutdownGraceMs?: number
  /**
   * Time a client gets to send a request's headers, counted from its first byte, and to send its
   * first request on a new connection (default 30000 ms). Slowloris sockets are closed after it.
   */
  readonly headersTimeoutMs?: number
  /**
   * Time a client gets to send a whole request, headers and body (default 60000 ms); answers 408
   * after it. Responses (SSE streams, slow calls) are not limited.
   */
  readonly requestTimeoutMs?: number
  /** Open connections on this server; more are answered 503 and closed (default 1000). */
  readonly maxConnections?: number
  /** Open connections from one client address (default 200); more are answered 503 and closed. */
  readonly maxConnectionsPerAddress?: number
}

/** Where the server listens, once it does. */
export class HttpServer extends Context.Service<HttpServer, {
  readonly host: string
  readonly port: number
  /** The base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string
}>()("@tenfold/mcp/HttpServer") {
  static layer = (options: HttpServerOptions) => Layer.effect(HttpServer, make(options))
}

/** What a refused connection receives before it is closed. */
const REFUSED = `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${Math.ceil(RETRY_AFTER_MS / 1000)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`

export const make = (options: HttpServerOptions) =>
  Effect.gen(function*() {
    const transport = yield* HttpTransport
    const routes = Option.getOrUndefined(yield* Effect.serviceOption(HttpRoutes))
    const health = Option.getOrUndefined(yield* Effect.serviceOption(Health))
    const headersTimeout = options.headersTimeoutMs ?? 30_000
    const requestTimeout = Math.max(options.requestTimeoutMs ?? 60_000, headersTimeout)
    const connections = new Quota(options.maxConnections ?? 1000, options.maxConnectionsPerAddress ?? 200)
    /** Connections that have not sent a request yet: closed when silent for the headers timeout. */
    const fresh = new WeakSet<Socket>()
    let listening = false

    /** Routes one request: the MCP endpoint first (the hot path), then the route table; all behind the gate. */
    const route = (req: IncomingMessage, res: ServerResponse): void => {
      if (fresh.delete(req.socket)) req.socket.setTimeout(0)
      try {
        const path = pathOf(req.url)
        const found = path === transport.path ? undefined : routes?.find(path)
        if (found === undefined && path !== transport.path) {
          return replyError(res, 404, null, TRANSPORT_ERROR, `Not Found: the MCP endpoint is ${transport.path}`)
        }
        const principal = transport.gate(req, res)
        if (principal === DENIED) return
        if (found === undefined) transport.serve(req, res, principal)
        else found.handle(req, res, principal)
      } catch (error) {
        transport.defect(res, error)
      }
    }

    const server = createServer({
      keepAliveTimeout: 65_000,
      headersTimeout,
      requestTimeout,
      // how often Node looks for requests past their timeouts
      connectionsCheckingInterval: Math.min(1000, headersTimeout)
    }, route)

    server.on("connection", (socket: Socket) => {
      const address = socket.remoteAddress ?? ""
      if (connections.take(address) !== undefined) {
        socket.on("error", () => {})
        // closed once the refusal is written, so nothing it sends is ever handled
        socket.end(REFUSED, () => socket.destroy())
        return
      }
      socket.once("close", () => connections.release(address))
      fresh.add(socket)
      socket.setTimeout(headersTimeout)
    })

    yield* Effect.callback<void, ListenError>((resume) => {
      const onError = (e: NodeJS.ErrnoException) =>
        resume(Effect.fail(
          new ListenError({
            message: e.code === "EADDRINUSE"
              ? `Port ${options.port} on ${options.host} is already in use (choose another with --port)`
              : `Cannot listen on ${options.host}:${options.port}: ${e.message}`
          })
        ))
      server.once("error", onError)
      server.listen(options.port, options.host, () => {
        server.off("error", onError)
        resume(Effect.void)
      })
    })
    listening = true
    if (health !== undefined) yield* health.register("http", Effect.sync(() => listening))
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        listening = false
        server.close()
        server.closeIdleConnections()
        yield* transport.drain(options.shutdownGraceMs ?? 10_000)
        server.closeAllConnections()
      })
    )
    const address = server.address() as AddressInfo
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address
    return HttpServer.of({ host: options.host, port: address.port, url: `http://${host}:${address.port}` })
  })
