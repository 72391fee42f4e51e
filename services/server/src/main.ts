/**
 * Entry point of the `tenfold` binary: parse the command line, build `Tenfold.layer(config)`
 * with the built-in tools, and serve HTTP or stdio until SIGINT/SIGTERM (graceful shutdown).
 */
import { NodeRuntime } from "@effect/platform-node"
import { HttpServer, StdioTransport } from "@tenfold/mcp"
import { Logging, Otlp } from "@tenfold/metrics"
import { Tenfold } from "@tenfold/runtime"
import { Cause, Effect, Exit, Layer, Logger } from "effect"
import { readFileSync } from "node:fs"
import { helpText, parse } from "./Cli.ts"
import { fetchUrlLayer, fetchUrlOptions } from "./tools/fetchUrl/index.ts"
import { builtinTools } from "./tools/index.ts"
import { runWorkflowLayer } from "./tools/runWorkflow/index.ts"
import { searchDocumentsLayer, searchDocumentsOptions } from "./tools/searchDocuments/index.ts"
import { statsLayer } from "./tools/stats.ts"

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
const serverInfo = { name: "tenfold", version }

const program = Effect.gen(function*() {
  const command = yield* parse(process.argv.slice(2), process.env)
  if (command._tag === "Help") return void process.stdout.write(helpText)
  if (command._tag === "Version") return void process.stdout.write(`tenfold ${version}\n`)
  const { config } = command
  logFormat = config.logFormat
  const otlp = yield* Otlp.optionsFromEnv(process.env, version)
  // around the runtime: its logger, tracer and the dispatcher's tools/call wrapper reach every layer
  const observability = Tenfold.observabilityLayer(config, otlp)
  if (otlp !== undefined) say(`OpenTelemetry export (OTLP/HTTP): ${Otlp.describe(otlp)}`)
  const runtime = Layer.mergeAll(
    config.telemetry ? statsLayer : Layer.empty,
    fetchUrlLayer(fetchUrlOptions(config, version)),
    searchDocumentsLayer(searchDocumentsOptions(config)),
    runWorkflowLayer
  ).pipe(
    Layer.provideMerge(Tenfold.layer(config, { serverInfo, tools: builtinTools }))
  )
  const cache = Tenfold.describeCache(config, builtinTools)
  if (config.stdio) {
    return yield* StdioTransport.use((stdio) =>
      Effect.sync(() => say(`tenfold ${version} serving MCP on stdio — ${cache}`)).pipe(
        Effect.andThen(stdio.serve(process.stdin, process.stdout, Tenfold.stdioOptions(config))),
        Effect.ensuring(Effect.sync(() => say("tenfold stopped")))
      )
    ).pipe(Effect.provide(runtime), Effect.provide(observability))
  }
  // built last, so released first: "shutting down" is said before calls in flight are drained
  const announce = Layer.effectDiscard(HttpServer.use((server) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        say(`tenfold ${version} serving MCP on ${server.url}${config.path} — ${cache} (Ctrl+C to stop)`)
        if (config.dashboard && config.telemetry) say(`dashboard: ${server.url}/dashboard`)
      }),
      () => Effect.sync(() => say(`tenfold shutting down: calls in flight get up to ${config.shutdownGraceMs} ms`))
    )
  ))
  return yield* Layer.launch(announce.pipe(Layer.provideMerge(Tenfold.serveHttp(config)), Layer.provide(runtime))).pipe(
    Effect.provide(observability),
    Effect.ensuring(Effect.sync(() => say("tenfold stopped")))
  )
}).pipe(
  Effect.catchTags({
    UsageError: (e) => Effect.sync(() => fail(`${e.message}\nRun 'tenfold --help' for usage.`)),
    ConfigError: (e) => Effect.sync(() => fail(`invalid configuration in ${e.source}: ${e.message}`)),
    AuthConfigError: (e) => Effect.sync(() => fail(e.message)),
    ListenError: (e) => Effect.sync(() => fail(e.message)),
    OtlpConfigError: (e) => Effect.sync(() => fail(e.message)),
    EmbedError: (e) => Effect.sync(() => fail(e.message))
  }),
  // stdout belongs to the protocol in --stdio mode; all logs go to stderr in every mode
  Effect.provideService(Logger.LogToStderr, true)
)

/** The format of the operator's lines: human until the configuration says otherwise. */
let logFormat: Logging.LogFormat = "human"

/** A line for the operator, on stderr (stdout belongs to the protocol in --stdio mode). */
function say(line: string) {
  process.stderr.write(Logging.operatorLine(logFormat, line))
}

function fail(message: string) {
  process.stderr.write(Logging.operatorLine(logFormat, `tenfold: ${message}`, "ERROR"))
  process.exitCode = 2
}

// SIGINT/SIGTERM interrupt the program; once the graceful shutdown has run, that is a clean exit
NodeRuntime.runMain(program, {
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? (process.exitCode as number | undefined) ?? 0 : 1)
})
