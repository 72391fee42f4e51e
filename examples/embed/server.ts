/**
 * Tenfold embedded in an app: the runtime with one custom tool, served over Streamable HTTP on
 * PORT (default 8080; 0 picks a free port) until SIGINT or SIGTERM, which close the server
 * gracefully — new requests are refused, calls in flight finish — before the process exits 0.
 */
import { HttpServer } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { Cause, Effect, Exit, Fiber, Layer } from "effect"
import { convertLength } from "./tools/convertLength.ts"

const config = Config.resolve({ port: Number(process.env.PORT ?? 8080) })

const runtime = Tenfold.layer(config, { serverInfo: { name: "embed-example", version: "0.1.0" }, tools: [convertLength] })
const announce = Layer.effectDiscard(HttpServer.use((server) => Effect.sync(() => console.error(`listening on ${server.url}${config.path}`))))
const app = announce.pipe(Layer.provideMerge(Tenfold.serveHttp(config)), Layer.provide(runtime))

const main = Effect.runFork(Layer.launch(app))
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void Effect.runFork(Fiber.interrupt(main)))
}
main.addObserver((exit) => {
  const failed = Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
  if (failed) console.error(Cause.pretty(exit.cause))
  else console.error("stopped")
  process.exitCode = failed ? 1 : 0
})
