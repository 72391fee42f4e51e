/**
 * `Tenfold.layer(config)`: the one typed runtime. It provides every Tenfold service an embedding
 * app or the `tenfold` binary needs; later concerns (cache, pools, telemetry) add their layers
 * here. Each service also has its own layer in its package for apps that want only one part.
 */
import {
  Auth,
  Dispatcher,
  EventStore,
  Health,
  HttpRoutes,
  HttpServer,
  HttpTransport,
  Notifications,
  PromptRegistry,
  type PromptDefinition,
  ResourceRegistry,
  type ResourceDefinition,
  type ResourceTemplateDefinition,
  Sessions,
  StdioTransport,
  Tasks,
  type Tool,
  ToolRegistry
} from "@tenfold/mcp"
import { CacheTiers, MemoryTier, PersistentTier, Policy, RedisClient, RedisTier, TieredCache } from "@tenfold/cache"
import { ConnectionPool } from "@tenfold/connections"
import { Admission, Placement, ToolExecutor } from "@tenfold/executor"
import { ResourceManager } from "@tenfold/resources"
import { WorkerPlacement } from "@tenfold/scheduler"
import { EmbedError, Embedder, SemanticTier, TransformersEmbedder, UseLiteEmbedder } from "@tenfold/semantic"
import { Streamer } from "@tenfold/streaming"
import { Alerts, Dashboard, Logging, Otlp, Prometheus, RequestMetrics, Telemetry, ToolCallTracing } from "@tenfold/metrics"
import type { MessageLimits, Protocol, StdioOptions } from "@tenfold/mcp"
import { Cause, Effect, Layer, Option } from "effect"
import type { Config } from "./Config.ts"

/** What a runtime serves besides its configuration. */
export interface Registrations {
  readonly serverInfo?: Protocol.ServerInfo
  readonly tools?: ReadonlyArray<Tool.ToolDefinition<any, any>> // any: tools differ in their schema types
  readonly resources?: ReadonlyArray<ResourceDefinition>
  readonly resourceTemplates?: ReadonlyArray<ResourceTemplateDefinition>
  readonly prompts?: ReadonlyArray<PromptDefinition>
}

export const defaultServerInfo: Protocol.ServerInfo = { name: "tenfold", version: "0.1.0" }

const tokensOf = (config: Config) =>
  Effect.gen(function*() {
    const tokens = new Map<string, string>()
    if (config.tokensFile !== undefined) for (const [t, p] of yield* Auth.readTokensFile(config.tokensFile)) tokens.set(t, p)
    if (config.tokens !== undefined) for (const [t, p] of yield* Auth.parseInline(config.tokens)) tokens.set(t, p)
    return tokens
  })

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.")

/**
 * The tiered result cache as configured: L1 always, L2 (with the Redis bus and lock) with
 * `redisUrl` under `cacheNamespace`, L4 unless `cacheDir` is empty, and L3 (the semantic tier,
 * after the exact tiers) when {@link semanticOn}; nothing when `cache` is false (tool calls then
 * always run). L3 needs the `Embedder` ({@link embedderLayer}); it loads no model at start.
 */
export const cacheLayer = (config: Config, tools: Registrations["tools"] = []) => {
  if (!config.cache) return Layer.empty
  const exact = Layer.mergeAll(
    MemoryTier.layer({ maxBytes: config.cacheMemoryMaxBytes, maxEntries: config.cacheMemoryMaxEntries }),
    config.redisUrl === undefined ? Layer.empty : RedisTier.layer({ url: config.redisUrl, namespace: config.cacheNamespace }),
    config.cacheDir === "" ? Layer.empty : PersistentTier.layer({ dir: config.cacheDir })
  )
  const semantic = semanticOn(config, tools)
    ? SemanticTier.layer({ maxEntries: config.semanticMaxEntries, ...(config.cacheDir === "" ? {} : { dir: config.cacheDir }) }).pipe(Layer.provide(exact))
    : Layer.empty
  return TieredCache.layer().pipe(
    Layer.provideMerge(CacheTiers.layer([RedisTier, PersistentTier, SemanticTier])),
    Layer.provideMerge(Layer.merge(exact, semantic))
  )
}

/**
 * Whether the semantic tier (L3) is built: `semantic` is set, or a tool opts in — by
 * `cacheTools.<tool>.semantic` or by its declaration (`cache: { semantic }`) unless the
 * configuration turns it off. Tools registered later (`ToolRegistry.register`) need `semantic`.
 */
export const semanticOn = (config: Config, tools: Registrations["tools"] = []): boolean => {
  if (!config.cache) return false
  if (config.semantic) return true
  if (Object.values(config.cacheTools).some((options) => options !== false && typeof options.semantic === "object")) return true
  // the tool's policy as ToolRegistry resolves it: the configuration overrides the declaration
  return tools.some((tool) =>
    Policy.resolve({ readOnly: tool.annotations?.readOnlyHint === true, declared: tool.cache, configured: config.cacheTools[tool.name] })?.semantic !== undefined
  )
}

/**
 * The text `Embedder` as configured, shared by the semantic tier (L3) and the tools that embed
 * (`search_documents`): USE-lite by default (offline), or a local ONNX model through transformers
 * (`embedderModelPath` + `embedderModel`, downloads only with `embedderAllowRemote`). Building it
 * loads no model: the first `embed` does. The transformers backend reads the model's
 * `config.json` at build and fails with `EmbedError` "ModelLoad" naming what is missing.
 */
export const embedderLayer = (config: Config): Layer.Layer<Embedder, EmbedError> => {
  // no cache of recent texts shared by every caller: its timing would tell one principal what
  // another asked lately (the semantic tier reuses its own lookups' vectors instead)
  if (config.embedder === "use-lite") return UseLiteEmbedder.layer({ cacheSize: 0 })
  const { embedderModel: model, embedderModelPath: localModelPath } = config
  if (localModelPath === undefined || model === undefined) {
    return Layer.effect(Embedder, Effect.fail(new EmbedError({
      reason: "ModelLoad",
      model: model ?? "(none)",
      detail: "the transformers embedder needs embedderModelPath (--embedder-model-path) and embedderModel (--embedder-model)"
    })))
  }
  return TransformersEmbedder.layer({ localModelPath, model, allowRemoteModels: config.embedderAllowRemote, cacheSize: 0 })
}

/** A Redis URL without its credentials, for logs. */
const withoutCredentials = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.toString()
  } catch {
    return "(unparsable URL)"
  }
}

/** The cache tiers `config` turns on, in words, for the start-up line (Redis credentials never shown). */
export const describeCache = (config: Config, tools: Registrations["tools"] = []): string => {
  if (!config.cache) return "cache off"
  const tiers = [`L1 memory (${Math.round(config.cacheMemoryMaxBytes / 1024 / 1024)} MiB)`]
  if (config.redisUrl !== undefined) tiers.push(`L2 Redis at ${withoutCredentials(config.redisUrl)} (namespace ${config.cacheNamespace})`)
  if (config.cacheDir !== "") tiers.push(`L4 SQLite in ${config.cacheDir}`)
  if (semanticOn(config, tools)) tiers.push(`then L3 semantic (${config.embedder === "use-lite" ? "use-lite" : config.embedderModel ?? "transformers"}, up to ${config.semanticMaxEntries} entries)`)
  return `cache: ${tiers.join(", ")}`
}

/**
 * The tool executor as configured: the default timeout, admission ({@link admissionLayer}) and
 * placement ({@link placementLayer}).
 */
export const executorLayer = (config: Config) =>
  ToolExecutor.layer({ defaultTimeoutMs: config.toolTimeoutMs, metrics: config.telemetry }).pipe(
    Layer.provide(Layer.merge(admissionLayer(config), placementLayer(config)))
  )

/**
 * Where tool runs execute: with `workers` > 0, CPU-bound tools that name their module run on a
 * pool of that many worker threads (started on the first such call); everything else in-process.
 */
export const placementLayer = (config: Config): Layer.Layer<Placement> =>
  config.workers > 0 ? WorkerPlacement.layerPool({ size: config.workers }) : Placement.layerInProcess

/**
 * Admission as configured: with `resources` the resource manager (runs of profiled tools granted
 * from the CPU/memory/network pools, its monitor loop, pool and predictor metrics), else the
 * counting admission alone; either way every run is within the running and queued bounds.
 */
export const admissionLayer = (config: Config) => {
  const bounds = { maxRunning: config.maxRunningTools, maxQueued: config.maxQueuedTools }
  if (!config.resources) return Admission.layer(bounds)
  return ResourceManager.layerAdmission({
    ...bounds,
    memoryBudgetMiB: config.memoryBudgetMib,
    networkPermits: config.networkPermits,
    maxQueuedPerPool: config.maxQueuedPerPool,
    monitorIntervalMs: config.resourceMonitorIntervalMs,
    tools: config.resourceTools,
    metrics: config.telemetry
  })
}

/**
 * The outbound HTTP client as configured: the default profile, per-origin settings and the bound
 * on origins. undici is loaded on the first request, not at start.
 */
export const connectionsLayer = (config: Config) =>
  ConnectionPool.layer({ profile: config.connectionProfile, origins: config.connectionOrigins, maxOrigins: config.maxConnectionOrigins })

/**
 * Telemetry as configured: the `Telemetry` snapshot service always (a sample a second), and with
 * `telemetry` on the request recorders the dispatcher uses and the alert rules over the
 * configured targets. With it off, no request is recorded and no alert evaluated.
 */
export const telemetryLayer = (config: Config): Layer.Layer<Telemetry | Alerts | RequestMetrics> | Layer.Layer<Telemetry> => {
  const telemetry = Telemetry.layer({ alertIntervalMs: config.alertIntervalMs })
  return config.telemetry
    ? Layer.merge(telemetry, flushOnClose).pipe(Layer.provideMerge(Layer.merge(Alerts.layer(alertTargets(config)), RequestMetrics.layer)))
    : telemetry
}

/**
 * When metrics are exported over OTLP: one export as the runtime starts to close, while the
 * request and tool series are still registered (they leave the registry with `RequestMetrics`,
 * before the exporter's own flush at the very end).
 */
const flushOnClose = Layer.effectDiscard(Effect.gen(function*() {
  const flush = yield* Effect.serviceOption(Otlp.OtlpFlush)
  if (Option.isSome(flush)) yield* Effect.addFinalizer(() => flush.value)
}))

/** The alert targets of `config` (0 turns a rule off). */
export const alertTargets = (config: Config) => ({
  avgLatencyMs: config.alertAvgLatencyMs,
  p95LatencyMs: config.alertP95LatencyMs,
  minRequestsPerSecond: config.alertMinRps,
  minCacheHitRate: config.alertMinHitRate,
  maxCpu: config.alertMaxCpu
})

/** Prometheus text at `/metrics` in the route table, behind the gate; nothing when `metrics` or `telemetry` is off, or on stdio. */
export const metricsRoute = (config: Config) =>
  !config.metrics || !config.telemetry || config.stdio
    ? Layer.empty
    : Layer.effectDiscard(Effect.flatMap(Prometheus.handler, (handle) => HttpRoutes.use((routes) => routes.add({ path: "/metrics", handle }))))

/** The executor's runs in spans when `ToolCallTracing` is provided around the runtime; else the executor as it is. */
const tracedRuns = Layer.effect(
  ToolExecutor,
  Effect.gen(function*() {
    const executor = yield* ToolExecutor
    const tracing = yield* Effect.serviceOption(ToolCallTracing)
    if (Option.isNone(tracing)) return executor
    return ToolExecutor.of({ run: (job, args, effect) => tracing.value.run(job.name, executor.run(job, args, effect)), timeoutMs: executor.timeoutMs })
  })
)

/**
 * Logs and tracing as configured, to provide around {@link layer}: the log format and level,
 * OTLP export when `otlp` is given (see `Otlp.optionsFromEnv`), and the tools/call wrapper the
 * dispatcher looks for — spans when traces are exported, else request ids (and the client's
 * trace id) on the logs with `json` logs or `debug` level. With none of these, tools/call is not
 * wrapped and the OpenTelemetry SDK is never imported.
 */
export const observabilityLayer = (config: Config, otlp: Otlp.OtlpOptions | undefined): Layer.Layer<never> => {
  const exported = otlp === undefined ? Layer.empty : Otlp.layer(otlp)
  const calls = otlp?.tracesUrl === undefined && (config.logFormat === "json" || config.logLevel === "debug") ? ToolCallTracing.layerLogs : Layer.empty
  return Layer.mergeAll(Logging.layer(config), exported, calls)
}

/**
 * Every protocol service, configured: registries, result cache, dispatcher, sessions, event
 * store and both transports. Listening on a port is separate ({@link serveHttp}) so tests and embedding apps
 * can mount `HttpTransport.handle` on a server of their own.
 */
export const layer = (config: Config, registrations: Registrations = {}) => {
  const registries = Layer.mergeAll(
    ToolRegistry.layer(registrations.tools ?? [], {
      pageSize: config.pageSize,
      cache: { defaultTtlMs: config.cacheTtlMs, tools: config.cacheTools }
    }),
    ResourceRegistry.layer(registrations.resources ?? [], registrations.resourceTemplates ?? [], { pageSize: config.pageSize }),
    PromptRegistry.layer(registrations.prompts ?? [], { pageSize: config.pageSize })
  )
  const dispatcher = Dispatcher.layer({
    serverInfo: registrations.serverInfo ?? defaultServerInfo,
    maxSubscriptionsPerSession: config.maxSubscriptionsPerSession,
    onDefect: (cause, method) => process.stderr.write(Logging.operatorLine(config.logFormat, `[tenfold] ${method} failed with a defect:\n${Cause.pretty(cause)}`, "ERROR"))
  }).pipe(
    Layer.provideMerge(registries),
    Layer.provideMerge(Tasks.layer({
      maxTasks: config.maxTasks,
      maxTasksPerOwner: config.maxTasksPerPrincipal,
      maxTtlMs: config.taskMaxTtlMs,
      defaultTtlMs: Math.min(600_000, config.taskMaxTtlMs),
      onDefect: (cause) => process.stderr.write(Logging.operatorLine(config.logFormat, `[tenfold] a task failed with a defect:\n${Cause.pretty(cause)}`, "ERROR"))
    })),
    Layer.provideMerge(cacheLayer(config, registrations.tools)),
    Layer.provideMerge(embedderLayer(config)),
    Layer.provideMerge(tracedRuns),
    Layer.provideMerge(executorLayer(config)),
    Layer.provideMerge(telemetryLayer(config)),
    Layer.provideMerge(connectionsLayer(config)),
    Layer.provideMerge(Streamer.layer({ chunkBytes: config.streamChunkBytes, bufferBytes: config.streamBufferBytes, maxStreams: config.maxStreams }))
  )
  const sessions = Sessions.layer({ idleMs: config.sessionIdleMs, maxSessions: config.maxSessions, maxSessionsPerPrincipal: config.maxSessionsPerPrincipal }).pipe(
    Layer.provideMerge(EventStore.layerMemory())
  )
  const http = Layer.unwrap(
    Effect.map(tokensOf(config), (tokens) =>
      HttpTransport.layer({
        path: config.path,
        maxBodyBytes: config.maxBodyBytes,
        allowedHosts: config.allowedHosts,
        allowedOrigins: config.allowedOrigins,
        tokens,
        maxInflightCalls: config.maxInflightCalls,
        maxListenStreams: config.maxListenStreams,
        maxListenStreamsPerPrincipal: config.maxListenStreamsPerPrincipal,
        compression: config.compression ? { thresholdBytes: config.compressionThresholdBytes } : false,
        ...messageLimits(config)
      })
    )
  )
  const health = Layer.mergeAll(Health.routes, redisReadiness, dashboardLayer(config), metricsRoute(config)).pipe(Layer.provideMerge(Layer.merge(Health.layer, HttpRoutes.layer)))
  return Layer.mergeAll(http, StdioTransport.layer, health).pipe(
    Layer.provideMerge(Notifications.layer()),
    Layer.provideMerge(Layer.merge(dispatcher, sessions))
  )
}

/**
 * The live dashboard (`/dashboard` and its event stream `/dashboard/events`) in the route table,
 * over the runtime's `Telemetry`; nothing when `dashboard` or `telemetry` is false, or when serving stdio.
 */
export const dashboardLayer = (config: Config) =>
  !config.dashboard || !config.telemetry || config.stdio
    ? Layer.empty
    : Layer.effectDiscard(Effect.gen(function*() {
      const routes = yield* HttpRoutes
      const dashboard = yield* Dashboard
      yield* Effect.forEach(dashboard.routes, routes.add, { discard: true })
    })).pipe(Layer.provide(Dashboard.layer()))

/** `/readyz` fails while the Redis tier (L2) is configured but unavailable. */
const redisReadiness = Layer.effectDiscard(Effect.gen(function*() {
  const redis = yield* Effect.serviceOption(RedisClient)
  if (Option.isSome(redis)) yield* Health.use((health) => health.register("redis", Effect.sync(() => redis.value.available())))
}))

/** The bounds both transports apply to each client message, as configured. */
export const messageLimits = (config: Config): MessageLimits => ({
  maxJsonDepth: config.maxJsonDepth,
  maxClientCapabilitiesBytes: config.maxClientCapabilitiesBytes,
  maxListenFilterUris: config.maxSubscriptionsPerSession,
  maxListenFilterBytes: config.maxListenFilterBytes
})

/**
 * The options of `tenfold --stdio`'s one connection: its lines bounded like HTTP bodies, its
 * listen streams like one principal's, and the same message bounds as HTTP.
 */
export const stdioOptions = (config: Config): StdioOptions => ({
  shutdownGraceMs: config.shutdownGraceMs,
  maxInflightCalls: config.maxInflightCalls,
  maxLineBytes: config.maxBodyBytes,
  maxListenStreams: config.maxListenStreamsPerPrincipal,
  ...messageLimits(config)
})

/**
 * Listens on `config.host:config.port` with the runtime's HTTP transport, and warns (one line on
 * stderr) when the address is reachable from other hosts while no bearer tokens are configured.
 */
export const serveHttp = (config: Config) =>
  HttpServer.layer({
    host: config.host,
    port: config.port,
    shutdownGraceMs: config.shutdownGraceMs,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress
  }).pipe(Layer.tap(() =>
    Effect.sync(() => {
      if (!isLoopback(config.host) && config.tokens === undefined && config.tokensFile === undefined) {
        process.stderr.write(Logging.operatorLine(
          config.logFormat,
          `tenfold: warning: listening on ${config.host} (not loopback) without bearer tokens; anyone who can reach it may call every tool (set --tokens-file or TENFOLD_TOKENS)`,
          "WARN"
        ))
      }
    })
  ))
