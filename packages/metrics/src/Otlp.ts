/**
 * OTLP export of traces and metrics (OTLP/HTTP, JSON) through @effect/opentelemetry, turned on by
 * the standard OpenTelemetry environment variables. This module reads the settings and is cheap
 * to import: the OpenTelemetry SDK is imported only when `layer` is built, so a server without
 * `OTEL_EXPORTER_OTLP_*` never loads it.
 */
import { Context, Data, Effect, Layer } from "effect"

/** Where and how to export; built by {@link optionsFromEnv} or by an embedding app. */
export interface OtlpOptions {
  /** Full URL of the OTLP/HTTP traces endpoint (`…/v1/traces`); undefined = no traces. */
  readonly tracesUrl: string | undefined
  /** Full URL of the OTLP/HTTP metrics endpoint (`…/v1/metrics`); undefined = no metrics. */
  readonly metricsUrl: string | undefined
  /** Headers sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`, e.g. an API key). */
  readonly headers: Readonly<Record<string, string>>
  /** `service.name` of the resource (`OTEL_SERVICE_NAME`, default "tenfold"). */
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  /** Time between metric exports (`OTEL_METRIC_EXPORT_INTERVAL`, default 60000 ms). */
  readonly metricIntervalMs: number
}

/**
 * Exports the metrics as they are now, at once (provided by {@link layer} when metrics are
 * exported). The runtime runs it when it starts to close, before its own series leave the
 * registry, so the last export at shutdown still holds the request and tool histograms.
 */
export class OtlpFlush extends Context.Service<OtlpFlush, Effect.Effect<void>>()("@tenfold/metrics/OtlpFlush") {}

/** An `OTEL_*` variable that cannot be used (an endpoint that is not an http(s) URL, a bad interval). */
export class OtlpConfigError extends Data.TaggedError("OtlpConfigError")<{ readonly message: string }> {}

const DEFAULT_METRIC_INTERVAL_MS = 60_000

/** `k1=v1,k2=v2` (values percent-encoded), as the OpenTelemetry spec writes header and attribute lists. */
const parseKeyValues = (text: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  if (text === undefined) return out
  for (const entry of text.split(",")) {
    const at = entry.indexOf("=")
    if (at <= 0) continue
    const key = entry.slice(0, at).trim()
    try {
      if (key !== "") out[key] = decodeURIComponent(entry.slice(at + 1).trim())
    } catch {
      // a value that is not valid percent-encoding is skipped, as the SDKs do
    }
  }
  return out
}

const isTrue = (text: string | undefined) => text?.trim().toLowerCase() === "true"

/** The URL of one signal: its own variable as it is, else the base endpoint plus `v1/<signal>`. */
const signalUrl = (env: Record<string, string | undefined>, signal: "TRACES" | "METRICS") =>
  Effect.gen(function*() {
    if (env[`OTEL_${signal}_EXPORTER`]?.trim() === "none") return undefined
    const own = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim()
    const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
    const url = own !== undefined && own !== ""
      ? own
      : base !== undefined && base !== ""
      ? `${base.replace(/\/+$/, "")}/v1/${signal.toLowerCase()}`
      : undefined
    if (url === undefined) return undefined
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      return yield* new OtlpConfigError({ message: `the OTLP ${signal.toLowerCase()} endpoint must be an http(s) URL, got "${url}"` })
    }
    return url
  })

/**
 * The export settings the standard variables ask for, or undefined when they ask for none: no
 * `OTEL_EXPORTER_OTLP_ENDPOINT` nor per-signal endpoint, or `OTEL_SDK_DISABLED=true`.
 */
export const optionsFromEnv = (env: Record<string, string | undefined>, serviceVersion?: string) =>
  Effect.gen(function*() {
    if (isTrue(env.OTEL_SDK_DISABLED)) return undefined
    const tracesUrl = yield* signalUrl(env, "TRACES")
    const metricsUrl = yield* signalUrl(env, "METRICS")
    if (tracesUrl === undefined && metricsUrl === undefined) return undefined
    const interval = env.OTEL_METRIC_EXPORT_INTERVAL?.trim()
    const metricIntervalMs = interval === undefined || interval === "" ? DEFAULT_METRIC_INTERVAL_MS : Number(interval)
    if (!Number.isInteger(metricIntervalMs) || metricIntervalMs <= 0) {
      return yield* new OtlpConfigError({ message: `OTEL_METRIC_EXPORT_INTERVAL must be a positive whole number of ms, got "${interval}"` })
    }
    const serviceName = env.OTEL_SERVICE_NAME?.trim()
    return {
      tracesUrl,
      metricsUrl,
      headers: { ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS) },
      serviceName: serviceName === undefined || serviceName === "" ? "tenfold" : serviceName,
      serviceVersion,
      metricIntervalMs
    } satisfies OtlpOptions
  })

/** A one-line summary for the start-up line (endpoints only; headers may hold secrets). */
export const describe = (options: OtlpOptions): string =>
  [
    options.tracesUrl === undefined ? undefined : `traces to ${options.tracesUrl}`,
    options.metricsUrl === undefined ? undefined : `metrics to ${options.metricsUrl}`
  ].filter((s) => s !== undefined).join(", ")

/**
 * Exports as `options` say for as long as the layer lives: installs the OpenTelemetry tracer as
 * Effect's `Tracer` and provides `ToolCallTracing` spans (when traces are on), and exports every
 * Effect `Metric` (cache, request, process metrics) periodically (when metrics are on). Closing
 * the layer flushes what is pending. The SDK is imported when the layer is built.
 */
export const layer = (options: OtlpOptions): Layer.Layer<never> =>
  Layer.unwrap(Effect.map(Effect.promise(() => import("./internal/OtlpSdk.ts")), (sdk) => sdk.layer(options)))
