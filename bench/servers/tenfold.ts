/**
 * Benchmark server (c): Tenfold serving one `echo` tool on 127.0.0.1:<port>/mcp, or with
 * BENCH_TOOLS=n the n tools of catalog.ts instead, listed BENCH_PAGE_SIZE per page.
 * BENCH_TELEMETRY=0 turns telemetry off (no request, tool or executor metrics, no alerts).
 * BENCH_RESOURCES=0 and BENCH_WORKERS=<n> set `resources` and `workers` (default: the runtime's
 * defaults), to compare the admission and placement in use on the same bench.
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { NodeRuntime } from "@effect/platform-node"
import { HttpServer, Tool } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { Effect, Layer, Schema } from "effect"
import { pageSize, toolCount, wireTools } from "./catalog.ts"

/** The tool all three benchmark servers answer: returns its `text` argument as one text block. */
export const echo = Tool.make({
  name: "echo",
  description: "Echo the input text",
  input: Schema.Struct({ text: Schema.String }),
  annotations: { readOnlyHint: true },
  // bench:http measures the protocol path (every call runs the tool); bench:cache measures caching
  cache: false,
  handler: ({ text }) => Effect.succeed(text)
})

const catalog = toolCount > 1
  ? wireTools(toolCount).map(({ inputSchema, ...wire }) =>
    Tool.make({ ...wire, input: Tool.jsonSchema(inputSchema), cache: false, handler: () => Effect.succeed("ok") })
  )
  : [echo]

const config = Config.resolve({
  port: Number(process.argv[2] ?? process.env.PORT ?? 3000),
  cacheDir: "",
  pageSize,
  telemetry: process.env.BENCH_TELEMETRY !== "0",
  ...(process.env.BENCH_RESOURCES === undefined ? {} : { resources: process.env.BENCH_RESOURCES !== "0" }),
  ...(process.env.BENCH_WORKERS === undefined ? {} : { workers: Number(process.env.BENCH_WORKERS) })
})
const announce = Layer.effectDiscard(HttpServer.use((server) => Effect.sync(() => console.log(`ready ${server.url}${config.path}`))))

NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provideMerge(Tenfold.serveHttp(config)), Layer.provide(Tenfold.layer(config, { tools: catalog }))))
)
