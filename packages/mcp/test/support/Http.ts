/**
 * Test support for the HTTP modules: a real `node:http` server on a free loopback port for the
 * life of the test's scope, and a raw client that sends any request and reads the answer.
 */
import { Effect } from "effect"
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** Serves `handler` on 127.0.0.1 until the scope closes; returns the base URL. */
export const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly close: () => void }>((resume) => {
      const server = createServer(handler)
      server.listen(0, "127.0.0.1", () => {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resume(Effect.succeed({ url, close: () => server.closeAllConnections() }))
      })
      return Effect.sync(() => server.close())
    }),
    ({ close }) => Effect.sync(close)
  )

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

export interface Send {
  readonly method?: string
  readonly path?: string
  readonly headers?: Record<string, string>
  readonly body?: unknown
}

/** Sends one request (a body that is not a string is sent as JSON) and reads the whole answer. */
export const send = (url: string, options: Send = {}) =>
  Effect.callback<Reply>((resume) => {
    const req = request(`${url}${options.path ?? "/mcp"}`, { method: options.method ?? "POST", headers: options.headers }, (res) => {
      let body = ""
      res.on("data", (chunk: Buffer) => void (body += chunk))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    if (options.body !== undefined) req.write(typeof options.body === "string" ? options.body : JSON.stringify(options.body))
    req.end()
    return Effect.sync(() => req.destroy())
  })

/** An open streaming answer (SSE): its status and headers, and what arrived so far. */
export interface OpenStream {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  /** Waits until the text received so far satisfies `done`, and returns it. */
  readonly until: (done: (text: string) => boolean) => Effect.Effect<string>
  /** Resolves when the server ends the response. */
  readonly ended: Effect.Effect<string>
}

/** Sends a request whose answer stays open; the connection is closed with the scope. */
export const open = (url: string, options: Send = {}) =>
  Effect.acquireRelease(
    Effect.callback<{ stream: OpenStream; destroy: () => void }>((resume) => {
      const req = request(`${url}${options.path ?? "/mcp"}`, { method: options.method ?? "POST", headers: options.headers }, (res) => {
        let text = ""
        let finished = false
        const waiters = new Set<() => void>()
        res.on("data", (chunk: Buffer) => {
          text += chunk
          waiters.forEach((w) => w())
        })
        res.on("close", () => {
          finished = true
          waiters.forEach((w) => w())
        })
        const until = (done: (text: string) => boolean) =>
          Effect.callback<string>((resume) => {
            const check = () => {
              if (done(text) || finished) {
                waiters.delete(check)
                resume(Effect.succeed(text))
              }
            }
            waiters.add(check)
            check()
            return Effect.sync(() => waiters.delete(check))
          })
        resume(Effect.succeed({
          stream: { status: res.statusCode ?? 0, headers: res.headers, until, ended: until(() => finished) },
          destroy: () => req.destroy()
        }))
      })
      req.on("error", () => {})
      if (options.body !== undefined) req.write(typeof options.body === "string" ? options.body : JSON.stringify(options.body))
      req.end()
    }),
    ({ destroy }) => Effect.sync(destroy)
  ).pipe(Effect.map(({ stream }) => stream))

/** The JSON-RPC messages in the `data:` lines of an SSE text. */
export const sseMessages = (text: string): Array<any> =>
  [...text.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!))
