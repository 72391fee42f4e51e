/**
 * The OpenTelemetry SDK side of `Otlp.layer`, imported only when export is on: a tracer provider
 * with a batching OTLP/HTTP span exporter, and a periodic OTLP/HTTP metric reader fed with
 * Effect's metrics by @effect/opentelemetry. Its submodules are imported one by one (the package
 * index pulls in `NodeSdk`, which needs @opentelemetry/sdk-trace-node).
 */
import * as OtelMetrics from "@effect/opentelemetry/OtelMetrics"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Tracer } from "effect"
import type { OtlpOptions } from "../Otlp.ts"
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
        (provider) =>
          Effect.promise(() => provider.forceFlush().finally(() => provider.shutdown())).pipe(
            Effect.ignore,
            Effect.timeoutOption(SHUTDOWN_TIMEOUT_MS)
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

const metrics = (url: string, headers: Record<string, string>, intervalMs: number) =>
  OtelMetrics.layer(
    () => new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url, headers }), exportIntervalMillis: intervalMs }),
    { shutdownTimeout: SHUTDOWN_TIMEOUT_MS }
  )

/** What `Otlp.layer(options)` builds once the SDK is imported: traces and metrics as `options` ask, over one resource. */
export const layer = (options: OtlpOptions) =>
  Layer.mergeAll(
    options.tracesUrl === undefined ? Layer.empty : traces(options.tracesUrl, { ...options.headers }),
    options.metricsUrl === undefined ? Layer.empty : metrics(options.metricsUrl, { ...options.headers }, options.metricIntervalMs)
  ).pipe(
    Layer.provide(Resource.layerFromEnv({
      "service.name": options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { "service.version": options.serviceVersion })
    }))
  )
