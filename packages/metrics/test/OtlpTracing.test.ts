import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import { assert, describe, it } from "@effect/vitest"
import {
  PROTOCOL_VERSION_META_KEY as SDK_PROTOCOL_VERSION,
  TRACEPARENT_META_KEY as SDK_TRACEPARENT,
  TRACESTATE_META_KEY as SDK_TRACESTATE
} from "@modelcontextprotocol/server"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Semconv from "@opentelemetry/semantic-conventions/incubating"
import { Effect, Layer, Logger, References, Result } from "effect"
import * as OtlpSdk from "../src/internal/OtlpSdk.ts"
import { jsonLine, makeJsonLogger } from "../src/Logging.ts"
import * as Otlp from "../src/Otlp.ts"
import * as Tracing from "../src/Tracing.ts"
import { ToolCallTracing } from "../src/Tracing.ts"

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const clientSpanId = "00f067aa0ba902b7"
const traceparent = `00-${traceId}-${clientSpanId}-01`

/** A real OpenTelemetry tracer provider exporting to memory, under the tool-call spans `Otlp.layer` installs. */
const spansLayer = () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, layer: OtlpSdk.spans(Layer.succeed(OtelTracer.OtelTracerProvider, provider)) }
}

/** A JSON-lines logger collecting its lines. */
const collectingLogger = () => {
  const lines: Array<Record<string, unknown>> = []
  const layer = Logger.layer([makeJsonLogger((line) => void lines.push(JSON.parse(line)))])
  return { lines, layer }
}

const request = (meta?: Record<string, unknown>): Tracing.ToolCallRequest => ({
  id: 7,
  tool: "echo",
  params: { name: "echo", arguments: {}, ...(meta === undefined ? {} : { _meta: meta }) },
  sessionId: undefined
})

const noError = () => undefined

describe("traceContext", () => {
  it("reads the W3C traceparent and tracestate under the SDK's _meta keys", () => {
    assert.strictEqual(Tracing.TRACEPARENT_META_KEY, SDK_TRACEPARENT)
    assert.strictEqual(Tracing.TRACESTATE_META_KEY, SDK_TRACESTATE)
    assert.strictEqual(Tracing.PROTOCOL_VERSION_META_KEY, SDK_PROTOCOL_VERSION)
    assert.deepStrictEqual(Tracing.traceContext({ traceparent, tracestate: "vendor=x" }), {
      traceId,
      spanId: clientSpanId,
      traceFlags: 1,
      traceState: "vendor=x"
    })
  })

  it("rejects what the W3C rules reject", () => {
    for (
      const bad of [
        `ff-${traceId}-${clientSpanId}-01`,
        `00-${"0".repeat(32)}-${clientSpanId}-01`,
        `00-${traceId}-${"0".repeat(16)}-01`,
        `00-${traceId.toUpperCase()}-${clientSpanId}-01`,
        `00-${traceId}-${clientSpanId}-01-extra`,
        `00-${traceId}-${clientSpanId}`,
        `00-${traceId}x-${clientSpanId}-01`,
        42,
        null
      ]
    ) assert.strictEqual(Tracing.traceContext({ traceparent: bad }), undefined, String(bad))
    assert.strictEqual(Tracing.traceContext(undefined), undefined)
    assert.strictEqual(Tracing.traceContext("traceparent"), undefined)
    // a later version may append fields
    assert.strictEqual(Tracing.traceContext({ traceparent: `01-${traceId}-${clientSpanId}-01-more` })?.traceId, traceId)
    // an oversized tracestate is dropped, the trace continues
    assert.strictEqual(Tracing.traceContext({ traceparent, tracestate: "v=".padEnd(600, "x") })?.traceState, undefined)
  })

  it("never throws on arbitrary _meta values (fuzz)", () => {
    let seed = 12345
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const alphabet = "0123456789abcdefABCDEF-xz \u0000\u{1F600}"
    const text = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("")
    const values: Array<() => unknown> = [
      () => text(Math.floor(random() * 80)),
      () => `00-${text(32)}-${text(16)}-${text(2)}`,
      () => random() * 1e9,
      () => ({ toString: () => traceparent }),
      () => [traceparent],
      () => `00-${traceId}-${clientSpanId}-01`.padEnd(100_000, "-")
    ]
    for (let i = 0; i < 5000; i++) {
      const meta = random() < 0.1 ? values[i % values.length]!() : { traceparent: values[i % values.length]!(), tracestate: values[(i + 1) % values.length]!() }
      const context = Tracing.traceContext(meta)
      if (context !== undefined) {
        assert.match(context.traceId, /^[0-9a-f]{32}$/)
        assert.match(context.spanId, /^[0-9a-f]{16}$/)
        assert.isTrue(context.traceState === undefined || context.traceState.length <= Tracing.MAX_TRACESTATE_LENGTH)
      }
    }
  })
})

describe("ToolCallTracing spans", () => {
  it.effect("a call's span continues the client's trace, with the MCP attributes, and the answer is unchanged", () => {
    const { exporter, layer } = spansLayer()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      const meta = { traceparent, tracestate: "vendor=x", [Tracing.PROTOCOL_VERSION_META_KEY]: "2026-07-28" }
      const answer = yield* tracing.call(request(meta), tracing.run("echo", Effect.succeed("ok")), noError)
      assert.strictEqual(answer, "ok")
      const spans = exporter.getFinishedSpans()
      const call = spans.find((s) => s.name === "tools/call echo")!
      const run = spans.find((s) => s.name === "execute_tool echo")!
      assert.strictEqual(call.spanContext().traceId, traceId)
      assert.strictEqual(call.parentSpanContext?.spanId, clientSpanId)
      assert.strictEqual(call.parentSpanContext?.traceState?.get("vendor"), "x")
      assert.strictEqual(call.kind, SpanKind.SERVER)
      assert.strictEqual(call.status.code, SpanStatusCode.OK)
      assert.strictEqual(call.attributes[Semconv.ATTR_MCP_METHOD_NAME], "tools/call")
      assert.strictEqual(call.attributes[Semconv.ATTR_GEN_AI_TOOL_NAME], "echo")
      assert.strictEqual(call.attributes[Semconv.ATTR_GEN_AI_OPERATION_NAME], Semconv.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL)
      assert.strictEqual(call.attributes[Semconv.ATTR_JSONRPC_REQUEST_ID], "7")
      assert.strictEqual(call.attributes[Semconv.ATTR_MCP_PROTOCOL_VERSION], "2026-07-28")
      assert.strictEqual(run.parentSpanContext?.spanId, call.spanContext().spanId)
      assert.strictEqual(run.spanContext().traceId, traceId)
    }).pipe(Effect.provide(layer))
  })

  it.effect("without a traceparent the call starts a trace of its own", () => {
    const { exporter, layer } = spansLayer()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      yield* tracing.call(request({ traceparent: "garbage" }), Effect.succeed("ok"), noError)
      const [call] = exporter.getFinishedSpans()
      assert.isDefined(call)
      assert.notStrictEqual(call!.spanContext().traceId, traceId)
      assert.isUndefined(call!.parentSpanContext)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an error answer marks the span with error.type and the JSON-RPC code; the caller still gets it", () => {
    const { exporter, layer } = spansLayer()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      const answer = yield* tracing.call(request({ traceparent }), Effect.succeed("error answer"), () => "-32602")
      assert.strictEqual(answer, "error answer")
      const [call] = exporter.getFinishedSpans()
      assert.strictEqual(call!.status.code, SpanStatusCode.ERROR)
      assert.strictEqual(call!.attributes[Semconv.ATTR_ERROR_TYPE], "-32602")
      assert.strictEqual(call!.attributes[Semconv.ATTR_RPC_RESPONSE_STATUS_CODE], "-32602")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a failed run marks its span and the call's as a tool_error", () => {
    const { exporter, layer } = spansLayer()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      const run = tracing.run("echo", Effect.fail("boom")).pipe(Effect.catch(() => Effect.succeed("isError result")))
      assert.strictEqual(yield* tracing.call(request(), run, noError), "isError result")
      const spans = exporter.getFinishedSpans()
      const call = spans.find((s) => s.name === "tools/call echo")!
      assert.strictEqual(spans.find((s) => s.name === "execute_tool echo")!.status.code, SpanStatusCode.ERROR)
      assert.strictEqual(call.status.code, SpanStatusCode.ERROR)
      assert.strictEqual(call.attributes[Semconv.ATTR_ERROR_TYPE], Tracing.TOOL_ERROR)
      assert.isUndefined(call.attributes[Semconv.ATTR_RPC_RESPONSE_STATUS_CODE])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a client-chosen tool name stays out of the span, and a long request id is cut", () => {
    const { exporter, layer } = spansLayer()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      const id = "x".repeat(100_000)
      yield* tracing.call({ id, tool: undefined, params: { name: "y".repeat(100_000) }, sessionId: undefined }, Effect.succeed("ok"), () => "-32602")
      const [call] = exporter.getFinishedSpans()
      assert.strictEqual(call!.name, "tools/call")
      assert.isUndefined(call!.attributes[Semconv.ATTR_GEN_AI_TOOL_NAME])
      assert.strictEqual(call!.attributes[Semconv.ATTR_JSONRPC_REQUEST_ID], `${"x".repeat(Tracing.MAX_REQUEST_ID_LENGTH)}…`)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a log inside a call carries its request id, tool, and the ids of its span", () => {
    const { exporter, layer } = spansLayer()
    const logs = collectingLogger()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      yield* tracing.call(request({ traceparent }), Effect.log("inside the tool"), noError)
      const [line] = logs.lines
      const [call] = exporter.getFinishedSpans()
      assert.strictEqual(line!.message, "inside the tool")
      assert.strictEqual(line!.level, "INFO")
      assert.strictEqual(line!.requestId, 7)
      assert.strictEqual(line!.tool, "echo")
      assert.strictEqual(line!.traceId, traceId)
      assert.strictEqual(line!.spanId, call!.spanContext().spanId)
      assert.isString(line!.time)
    }).pipe(Effect.provide(Layer.merge(layer, logs.layer)))
  })
})

describe("ToolCallTracing logs only", () => {
  it.effect("logs carry the request id and the client's trace id; error answers are logged at debug", () => {
    const logs = collectingLogger()
    return Effect.gen(function*() {
      const tracing = yield* ToolCallTracing
      yield* tracing.call(request({ traceparent }), Effect.log("inside"), noError)
      yield* tracing.call({ id: "r-2", tool: undefined, params: { name: "nope" }, sessionId: undefined }, Effect.succeed("error"), () => "-32602")
      assert.deepInclude(logs.lines[0], { message: "inside", requestId: 7, tool: "echo", traceId, spanId: clientSpanId })
      assert.deepInclude(logs.lines[1], { level: "DEBUG", message: "tools/call answered JSON-RPC error -32602", requestId: "r-2" })
      assert.isUndefined(logs.lines[1]!.tool)
      assert.isUndefined(logs.lines[1]!.traceId)
    }).pipe(
      Effect.provide(Layer.merge(ToolCallTracing.layerLogs, logs.layer)),
      Effect.provideService(References.MinimumLogLevel, "Debug")
    )
  })
})

describe("Logging.jsonLine", () => {
  it("writes one parseable line whatever the annotations hold, and annotations do not replace its own fields", () => {
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    const line = jsonLine({ time: "t", level: "INFO", message: "m\nsecond line", annotations: { big: 10n, circular, fn: () => 1, time: "forged", level: "FATAL" } })
    assert.isTrue(line.endsWith("\n") && line.indexOf("\n") === line.length - 1)
    assert.deepStrictEqual(JSON.parse(line), { time: "t", level: "INFO", message: "m\nsecond line", big: "10n", circular: { a: 1 } })
  })
})

describe("Otlp.optionsFromEnv", () => {
  const options = (env: Record<string, string>) => Effect.runSync(Effect.result(Otlp.optionsFromEnv(env, "1.2.3")))

  it("is off without an endpoint, or when the SDK is disabled", () => {
    assert.deepStrictEqual(options({}), Result.succeed(undefined))
    assert.deepStrictEqual(options({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "TRUE" }), Result.succeed(undefined))
  })

  it("derives both signal URLs from the base endpoint, per-signal ones as they are", () => {
    const on = options({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "https://m.example/custom",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=s%3Dcret, x-team = core ,broken",
      OTEL_SERVICE_NAME: "edge"
    })
    assert.deepStrictEqual(on, Result.succeed({
      tracesUrl: "http://collector:4318/v1/traces",
      metricsUrl: "https://m.example/custom",
      headers: { "api-key": "s=cret", "x-team": "core" },
      serviceName: "edge",
      serviceVersion: "1.2.3",
      metricIntervalMs: 60_000
    }))
  })

  it("honours OTEL_TRACES_EXPORTER=none, the default service name and the export interval", () => {
    const on = options({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none", OTEL_METRIC_EXPORT_INTERVAL: "500" })
    assert.isTrue(Result.isSuccess(on))
    const value = Result.getOrThrow(on)!
    assert.strictEqual(value.tracesUrl, undefined)
    assert.strictEqual(value.metricsUrl, "http://c:4318/v1/metrics")
    assert.strictEqual(value.serviceName, "tenfold")
    assert.strictEqual(value.metricIntervalMs, 500)
  })

  it("fails with OtlpConfigError on an endpoint that is not http(s) or a bad interval", () => {
    const envs: ReadonlyArray<Record<string, string>> = [
      { OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://c:4317" },
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_METRIC_EXPORT_INTERVAL: "soon" }
    ]
    for (const env of envs) {
      const result = options(env)
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "OtlpConfigError", JSON.stringify(env))
    }
  })
})
