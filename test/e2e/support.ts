/**
 * Test support: a real Tenfold runtime listening on a free loopback port, and raw HTTP helpers
 * for requests a well-behaved client would never send.
 */
import { HttpServer, HttpTransport, ResourceRegistry, Tool, ToolRegistry } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { builtinTools } from "@tenfold/server"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { afterAll, beforeAll } from "vitest"
import * as RedisServer from "../../packages/cache/test/support/RedisServer.ts"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** What the e2e tools record, so tests can see what happened on the server side. */
export const probes = { interrupted: 0, slowCompleted: 0, lookups: 0 }

/** Tools for e2e tests besides the built-in ones: slow, progress-reporting, eliciting. */
export const testTools = [
  Tool.make({
    name: "slow",
    description: "Sleeps for `ms` milliseconds, then answers",
    input: Schema.Struct({ ms: Schema.Int }),
    annotations: { readOnlyHint: true },
    handler: ({ ms }) =>
      Effect.sleep(ms).pipe(
        Effect.map(() => {
          probes.slowCompleted++
          return `slept ${ms}`
        }),
        Effect.onInterrupt(() => Effect.sync(() => void probes.interrupted++))
      )
  }),
  Tool.make({
    name: "count",
    description: "Counts to `to`, reporting progress at each step",
    input: Schema.Struct({ to: Schema.Int }),
    handler: ({ to }, ctx) =>
      Effect.gen(function*() {
        for (let i = 1; i <= to; i++) yield* ctx.progress(i, to, `step ${i}`)
        return `counted to ${to}`
      })
  }),
  Tool.make({
    name: "confirm",
    description: "Asks the user to confirm through elicitation",
    input: Schema.Struct({ question: Schema.String }),
    handler: ({ question }, ctx) =>
      ctx.elicit({ message: question, requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } }).pipe(
        Effect.map((r) => `answer: ${String(r.action)} ${JSON.stringify(r.content ?? {})}`)
      )
  }),
  Tool.make({
    name: "crash",
    description: "Dies with a defect (a bug), to check that no stack trace leaks",
    input: Schema.Struct({}),
    handler: () => Effect.die(new Error("secret internal detail"))
  }),
  Tool.make({
    name: "tick",
    description: "Reports progress `n` times, `ms` apart, then answers",
    input: Schema.Struct({ n: Schema.Int, ms: Schema.Int }),
    handler: ({ ms, n }, ctx) =>
      Effect.gen(function*() {
        for (let i = 1; i <= n; i++) {
          yield* ctx.progress(i, n)
          yield* Effect.sleep(ms)
        }
        return `ticked ${n}`
      })
  }),
  Tool.make({
    name: "lookup",
    description: "A read-only lookup that takes 20 ms; answers who asked and how many lookups ran",
    input: Schema.Struct({ q: Schema.String }),
    annotations: { readOnlyHint: true },
    handler: ({ q }, ctx) =>
      Effect.sleep(20).pipe(Effect.map(() => `${q} for ${ctx.principal ?? "anyone"} (lookup ${++probes.lookups})`))
  }),
  Tool.make({
    name: "flaky_lookup",
    description: "A read-only lookup that fails",
    input: Schema.Struct({ q: Schema.String }),
    annotations: { readOnlyHint: true },
    handler: () => Effect.sync(() => ++probes.lookups).pipe(Effect.andThen(Effect.fail(new Tool.ToolError({ message: "upstream down" }))))
  }),
  Tool.make({
    name: "append",
    description: "Not read-only: never cached",
    input: Schema.Struct({ q: Schema.String }),
    annotations: { readOnlyHint: false },
    handler: ({ q }) => Effect.sync(() => `${q} (lookup ${++probes.lookups})`)
  }),
  Tool.make({
    name: "poll",
    description: "Ends its HTTP stream at once, then answers 100 ms later (the client resumes to get it)",
    input: Schema.Struct({}),
    handler: (_, ctx) => ctx.closeStream.pipe(Effect.andThen(Effect.sleep(100)), Effect.as("polled"))
  }),
  Tool.make({
    name: "regional",
    description: "A tool whose region argument travels in the Mcp-Param-Region header too",
    input: Tool.jsonSchema({ type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" } }, required: ["region"] }),
    handler: (args) => Effect.succeed(`region ${String(args.region)}`)
  }),
  Tool.make({
    name: "whoami",
    description: "Returns the caller's principal",
    input: Schema.Struct({}),
    handler: (_, ctx) => Effect.succeed(ctx.principal ?? "(anonymous)")
  })
]

export interface RunningServer {
  readonly url: string
  readonly runtime: ManagedRuntime.ManagedRuntime<HttpServer | HttpTransport | ToolRegistry | ResourceRegistry, unknown>
  readonly close: () => Promise<void>
}

/** Starts Tenfold with the built-in and test tools on 127.0.0.1 and a free port. */
export const startServer = async (overrides: Config.ConfigInput = {}): Promise<RunningServer> => {
  // an L4 directory of its own, removed on close (unless the test brought its own)
  const ownDir = overrides.cacheDir === undefined ? mkdtempSync(join(tmpdir(), "tenfold-e2e-")) : undefined
  const config = Config.resolve({ port: 0, ...(ownDir === undefined ? {} : { cacheDir: ownDir }) }, overrides)
  const layer = Tenfold.serveHttp(config).pipe(
    Layer.provideMerge(Tenfold.layer(config, { tools: [...builtinTools, ...testTools] }))
  )
  const runtime = ManagedRuntime.make(layer)
  const server = await runtime.runPromise(Effect.gen(function*() {
    return yield* HttpServer
  }))
  const close = async () => {
    await runtime.dispose()
    if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true })
  }
  return { url: `${server.url}${config.path}`, runtime, close }
}

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** Sends one raw HTTP request (any Host header, any body) and collects the whole answer. */
export const raw = (url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) =>
  new Promise<RawResponse>((resolve, reject) => {
    const req = request(url, { method: options.method ?? "POST", headers: options.headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on("error", reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })

export const modernMeta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }

/** Headers a 2026-07-28 client sends for `method` (and `name` for tools/call, prompts/get, resources/read). */
export const modernHeaders = (method: string, name?: string): Record<string, string> => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2026-07-28",
  "mcp-method": method,
  ...(name === undefined ? {} : { "mcp-name": name })
})

/** A 2026-07-28 request body. */
export const modernBody = (id: number, method: string, params: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: modernMeta } })

/**
 * A real `redis-server` and a Tenfold whose L2 is on it, for the tests of one file: started before
 * them, stopped after. Read `redis` and `server` inside the tests (they exist once started).
 */
export const serverWithRedis = () => {
  const running = {} as { redis: RedisServer.RedisServer; server: RunningServer }
  beforeAll(async () => {
    running.redis = await RedisServer.start()
    running.server = await startServer({ redisUrl: running.redis.url })
  })
  afterAll(async () => {
    await running.server?.close()
    await running.redis?.close()
  })
  return running
}
