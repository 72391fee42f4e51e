/**
 * The OpenTelemetry SDK side of `Otlp.layer`, imported only when export is on: a tracer provider
 * with a batching OTLP/HTTP span exporter, and a periodic OTLP/HTTP metric reader fed with
 * Effect's metrics by @effect/opentelemetry. Its submodules are imported one by one (the package
 * index pulls in `NodeSdk`, which needs @opentelemetry/sdk-trace-node).
 */
import * as OtelMetrics from "@effect/opentelemetry/OtelMetrics"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import { diag, DiagLogLevel } from "@opentelemetry/api"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Tracer } from "effect"
import { OtlpFlush, type OtlpOptions } from "../Otlp.ts"
import { ToolCallTracing } from "../Tracing.ts"

/** How long closing the layer waits for the last export. */
const SHUTDOWN_TIMEOUT_MS = 3000

const tracerProvider = (url: string, headers: Record<string, string>) =>
  Layer.effect(
    OtelTracer.OtelTracerProvider,
    Effect.gen(function*() {
      const resource = yield* Resource.Resource
      return yield* Effect.acquireRelease(
        Effect.sync(() =>
          new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, headers }))] })
        ),
        // a refused last export is said, not a defect of the shutdown
        (provider) =>
          Effect.tryPromise(() => provider.forceFlush().finally(() => provider.shutdown())).pipe(
            Effect.catch((e) => Effect.logWarning(`OpenTelemetry: the spans left at shutdown could not be exported: ${String(e.cause).slice(0, MAX_DIAGNOSTIC_TEXT)}`)),
            Effect.timeoutOrElse({
              duration: SHUTDOWN_TIMEOUT_MS,
              orElse: () => Effect.logWarning(`OpenTelemetry: the spans left at shutdown were not exported within ${SHUTDOWN_TIMEOUT_MS} ms (is the collector at ${url} reachable?)`)
            })
          )
      )
    })
  )

/**
 * Effect's tracer over the OpenTelemetry one, without the per-operation hook of
 * `OtelTracer.layer` that mirrors the current span into OpenTelemetry's active context for
 * auto-instrumented libraries: Tenfold has none (and no context manager), and the hook made a
 * traced call about 1.6 times as costly.
 */
const effectTracer = Layer.effect(Tracer.Tracer, Effect.map(OtelTracer.make, (otel) => Tracer.make({ span: (options) => otel.span(options) })))

/** Tool-call spans through the tracers of `provider`, keeping the client's trace flags and trace state. */
export const spans = <E, R>(provider: Layer.Layer<OtelTracer.OtelTracerProvider, E, R>) =>
  ToolCallTracing.layerSpans((context) => OtelTracer.makeExternalSpan(context)).pipe(
    Layer.provideMerge(effectTracer),
    Layer.provide(OtelTracer.layerTracer),
    Layer.provide(provider)
  )

const traces = (url: string, headers: Record<string, string>) => spans(tracerProvider(url, headers))

/** The periodic metric export, and {@link OtlpFlush} over its reader (a failed or slow flush is logged, never a defect). */
const metrics = (url: string, headers: Record<string, string>, intervalMs: number) => {
  let reader: PeriodicExportingMetricReader | undefined
  const flush = Effect.suspend(() => reader === undefined ? Effect.void : Effect.tryPromise(() => reader!.forceFlush())).pipe(
    Effect.catch((e) => Effect.logWarning(`OpenTelemetry: the metrics could not be exported: ${String(e.cause).slice(0, MAX_DIAGNOSTIC_TEXT)}`)),
    Effect.timeoutOrElse({
      duration: SHUTDOWN_TIMEOUT_MS,
      orElse: () => Effect.logWarning(`OpenTelemetry: the metrics were not exported within ${SHUTDOWN_TIMEOUT_MS} ms (is the collector at ${url} reachable?)`)
    })
  )
  return Layer.merge(
    OtelMetrics.layer(
      () => (reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url, headers }), exportIntervalMillis: intervalMs })),
      { shutdownTimeout: SHUTDOWN_TIMEOUT_MS }
    ),
    Layer.succeed(OtlpFlush, flush)
  )
}

/** Least time between two OpenTelemetry warnings in the log (a collector that is down fails every export). */
const DIAGNOSTIC_INTERVAL_MS = 60_000
/** Longest text of one argument of an OpenTelemetry warning put in the log. */
const MAX_DIAGNOSTIC_TEXT = 500

/** An error's message: the SDK's error handler hands over errors as JSON with their stack. */
const readable = (part: unknown): string => {
  if (part instanceof Error) return part.message
  const text = String(part)
  if (!text.startsWith("{") || text.length > 100_000) return text
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    return typeof message === "string" ? message : text
  } catch {
    return text
  }
}

/**
 * OpenTelemetry's own warnings and errors — above all an export that failed (the collector is
 * down or refuses it; the spans are dropped) — as Tenfold warnings, at most one a minute with a
 * count of those left out. Without it the SDK says nothing.
 */
const diagnostics = Layer.effectDiscard(Effect.gen(function*() {
  const run = Effect.runForkWith(yield* Effect.context<never>())
  let last = -Infinity
  let suppressed = 0
  const warn = (message: string, ...args: Array<unknown>) => {
    const now = Date.now()
    if (now - last < DIAGNOSTIC_INTERVAL_MS) return void suppressed++
    last = now
    const text = [message, ...args].map((part) => readable(part).slice(0, MAX_DIAGNOSTIC_TEXT)).join(" ")
    const left = suppressed > 0 ? ` (${suppressed} more in the last minute)` : ""
    suppressed = 0
    run(Effect.logWarning(`OpenTelemetry: ${text}${left}`))
  }
  const quiet = () => {}
  yield* Effect.acquireRelease(
    Effect.sync(() => diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })),
    () => Effect.sync(() => diag.disable())
  )
}))

/** What `Otlp.layer(options)` builds once the SDK is imported: traces and metrics as `options` ask, over one resource. */
export const layer = (options: OtlpOptions) =>
  Layer.mergeAll(
    options.tracesUrl === undefined ? Layer.empty : traces(options.tracesUrl, { ...options.headers }),
    options.metricsUrl === undefined ? Layer.empty : metrics(options.metricsUrl, { ...options.headers }, options.metricIntervalMs)
  ).pipe(
    // built first, released last: the flush at shutdown still reports a failed export
    Layer.provideMerge(diagnostics),
    Layer.provide(Resource.layerFromEnv({
      "service.name": options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { "service.version": options.serviceVersion })
    }))
  )
