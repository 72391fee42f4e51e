/**
 * `bench/scheduler-overload.ts` server: Tenfold serving `hold` (answers after BENCH_HOLD_MS,
 * default 50, never cached), `echo` and `rss` (the process's peak resident set, KiB). With
 * BENCH_RESOURCES=1 (the default) admission is the resource manager and `hold` is a profiled
 * `search` tool whose calls (`limit: 0`) each take one of BENCH_CAPACITY network permits, with
 * BENCH_QUEUE waiting per pool; with BENCH_RESOURCES=0 it is the counting admission with
 * BENCH_CAPACITY running and BENCH_QUEUE queued. Port from argv[2]; prints `ready <url>`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { HttpServer, Tool } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { Effect, Layer, Schema } from "effect"

const holdMs = Number(process.env.BENCH_HOLD_MS ?? 50)
const capacity = Number(process.env.BENCH_CAPACITY ?? 10)
const queue = Number(process.env.BENCH_QUEUE ?? 10)
const resources = process.env.BENCH_RESOURCES !== "0"

const hold = Tool.make({
  name: "hold",
  description: `Answer after ${holdMs} ms`,
  input: Tool.jsonSchema({ type: "object" }),
  cache: false,
  handler: () => Effect.as(Effect.sleep(holdMs), "held")
})
const echo = Tool.make({
  name: "echo",
  description: "Echo the input text",
  input: Schema.Struct({ text: Schema.String }),
  cache: false,
  handler: ({ text }) => Effect.succeed(text)
})
const rss = Tool.make({
  name: "rss",
  description: "Peak resident set size of the server process, in KiB",
  input: Tool.jsonSchema({ type: "object" }),
  cache: false,
  handler: () => Effect.sync(() => String(process.resourceUsage().maxRSS))
})

const config = Config.resolve({
  port: Number(process.argv[2] ?? process.env.PORT ?? 3000),
  cacheDir: "",
  maxConnectionsPerAddress: 1000,
  maxInflightCalls: 10_000,
  ...(resources
    ? { resources: true, networkPermits: capacity, maxQueuedPerPool: queue, resourceTools: { hold: { operation: "search" } } }
    : { resources: false, maxRunningTools: capacity, maxQueuedTools: queue })
})
const announce = Layer.effectDiscard(HttpServer.use((server) => Effect.sync(() => console.log(`ready ${server.url}${config.path}`))))

NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provideMerge(Tenfold.serveHttp(config)), Layer.provide(Tenfold.layer(config, { tools: [hold, echo, rss] }))))
)
