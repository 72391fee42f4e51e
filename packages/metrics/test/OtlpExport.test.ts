import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, Metric, Scope } from "effect"
import { makeJsonLogger } from "../src/Logging.ts"
import * as Otlp from "../src/Otlp.ts"
import { ToolCallTracing } from "../src/Tracing.ts"
import * as OtlpReceiver from "./support/OtlpReceiver.ts"

const traceId = "0af7651916cd43dd8448eb211c80319c"
const clientSpanId = "b7ad6b7169203331"

describe("Otlp.layer", () => {
  it.effect("exports tool-call spans and Effect metrics to an OTLP/HTTP receiver with the configured headers, flushing when the layer closes", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.acquireRelease(Effect.promise(() => OtlpReceiver.start()), (r) => Effect.promise(() => r.close()))
      const options = Effect.runSync(Otlp.optionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "otlp-test", OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=s%3Dcret" }, "9.9.9"))!
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Otlp.layer(options), scope)
      // the layer provides the tool-call spans when traces are exported (its type promises nothing)
      const tracing = Context.getOrUndefined(context, ToolCallTracing)
      assert.isDefined(tracing)
      yield* Effect.gen(function*() {
        yield* tracing!.call(
          { id: "a-1", tool: "echo", params: { name: "echo", _meta: { traceparent: `00-${traceId}-${clientSpanId}-01` } }, sessionId: "s-1" },
          tracing!.run("echo", Effect.succeed("ok")),
          () => undefined
        )
        yield* Metric.update(Metric.counter("tenfold_otlp_test_total", { incremental: true }), 3)
      }).pipe(Effect.provide(context))
      yield* Scope.close(scope, Exit.void)

      yield* Effect.promise(() => receiver.waitFor("the tool-call span", () => receiver.spans().some((s) => s.name === "tools/call echo")))
      yield* Effect.promise(() => receiver.waitFor("the test metric", () => receiver.metricNames().has("tenfold_otlp_test_total")))
      const call = receiver.spans().find((s) => s.name === "tools/call echo")!
      const run = receiver.spans().find((s) => s.name === "execute_tool echo")!
      assert.strictEqual(call.traceId, traceId)
      assert.strictEqual(call.parentSpanId, clientSpanId)
      assert.strictEqual(call.kind, 2) // SPAN_KIND_SERVER
      assert.strictEqual(call.attributes["mcp.session.id"], "s-1")
      assert.strictEqual(call.attributes["jsonrpc.request.id"], "a-1")
      assert.strictEqual(call.resource["service.name"], "otlp-test")
      assert.strictEqual(call.resource["service.version"], "9.9.9")
      assert.strictEqual(run.parentSpanId, call.spanId)
      assert.isTrue([...receiver.contentTypes()].every((type) => type.startsWith("application/json")))
      assert.deepStrictEqual([...receiver.headerValues("x-api-key")], ["s=cret"])
    }))

  it.effect("says as a warning, once per signal and briefly, that the collector refused the exports; closing still succeeds", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.acquireRelease(Effect.promise(() => OtlpReceiver.start({ refuse: 400 })), (r) => Effect.promise(() => r.close()))
      const options = Effect.runSync(Otlp.optionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }))!
      const lines: Array<Record<string, unknown>> = []
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Otlp.layer(options), scope).pipe(
        Effect.provide(Logger.layer([makeJsonLogger((line) => void lines.push(JSON.parse(line)))]))
      )
      const tracing = Context.getOrUndefined(context, ToolCallTracing)!
      // the spans go through the tracer the layer installs
      for (let i = 0; i < 3; i++) yield* tracing.call({ id: i, tool: "echo", params: {}, sessionId: undefined }, Effect.void, () => undefined).pipe(Effect.provide(context))
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(receiver.spans().length > 0)
      // one line per signal: the spans flushed at shutdown, and the metrics (through the SDK's error handler)
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => String(line.message))
      assert.strictEqual(warnings.length, 2)
      assert.isTrue(warnings.every((w) => w.startsWith("OpenTelemetry: ") && w.includes("Bad Request") && w.length < 1200))
      assert.isTrue(warnings.some((w) => w.includes("spans")) && warnings.some((w) => w.includes("metrics export failed")))
    }))
})
