/**
 * `bench:cache` server (c): Tenfold serving the read-only `slow` tool (20 ms per call) with its
 * result cache as configured by default — L1 memory + L4 SQLite in BENCH_CACHE_DIR (a temporary
 * directory the benchmark makes), fresh for 60 s — so every call after the first is an L1 hit.
 * Port from argv[2] or PORT; prints `ready <url>` on stdout once listening.
 */
import { NodeRuntime } from "@effect/platform-node"
import { HttpServer } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { Effect, Layer } from "effect"
import { slow } from "./slow.ts"

const cacheDir = process.env.BENCH_CACHE_DIR
if (cacheDir === undefined || cacheDir === "") throw new Error("BENCH_CACHE_DIR must name a (temporary) directory")
const config = Config.resolve({ port: Number(process.argv[2] ?? process.env.PORT ?? 3000), cacheDir })
const announce = Layer.effectDiscard(HttpServer.use((server) => Effect.sync(() => console.log(`ready ${server.url}${config.path}`))))

NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provideMerge(Tenfold.serveHttp(config)), Layer.provide(Tenfold.layer(config, { tools: [slow] }))))
)
