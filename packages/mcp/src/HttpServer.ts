/**
 * The listening `node:http` server in front of {@link HttpTransport}: binds host and port, and on
 * shutdown stops accepting, lets calls in flight finish (up to a grace period), then closes.
 */
import { Context, Data, Effect, Layer } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpTransport } from "./HttpTransport.ts"

/** The server could not bind (port in use, no permission, bad address). */
export class ListenError extends Data.TaggedError("ListenError")<{ readonly message: string }> {}

export interface HttpServerOptions {
  readonly host: string
  /** 0 picks a free port; read the chosen one from the service. */
  readonly port: number
  /** How long calls in flight may run after shutdown starts (default 10000 ms). */
  readonly shutdownGraceMs?: number
}

/** Where the server listens, once it does. */
export class HttpServer extends Context.Service<HttpServer, {
  readonly host: string
  readonly port: number
  /** The base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string
}>()("@tenfold/mcp/HttpServer") {
  static layer = (options: HttpServerOptions) =>
    Layer.effect(
      HttpServer,
      Effect.gen(function*() {
        const transport = yield* HttpTransport
        const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, transport.handle)
        yield* Effect.callback<void, ListenError>((resume) => {
          const onError = (e: NodeJS.ErrnoException) =>
            resume(Effect.fail(new ListenError({
              message: e.code === "EADDRINUSE"
                ? `Port ${options.port} on ${options.host} is already in use (choose another with --port)`
                : `Cannot listen on ${options.host}:${options.port}: ${e.message}`
            })))
          server.once("error", onError)
          server.listen(options.port, options.host, () => {
            server.off("error", onError)
            resume(Effect.void)
          })
        })
        yield* Effect.addFinalizer(() =>
          Effect.gen(function*() {
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
    )
}
