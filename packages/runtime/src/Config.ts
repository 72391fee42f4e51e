/**
 * Tenfold's configuration: one Effect Schema, read from a JSON file, `TENFOLD_*` environment
 * variables and command-line flags (later sources win), with errors that name the bad field.
 */
import { Profile } from "@tenfold/connections"
import { Features } from "@tenfold/resources"
import { Logging } from "@tenfold/metrics"
import { Data, Effect, Schema } from "effect"
import { readFile } from "node:fs/promises"
import { availableParallelism, homedir } from "node:os"
import { isAbsolute, join } from "node:path"

const { LOG_FORMATS, LOG_LEVELS } = Logging

const Port = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))
const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Millis = NonNegativeInt

/** Per-tool cache settings in a config file; durations in milliseconds. `false` = never cache. */
export const ToolCacheConfig = Schema.Union([
  Schema.Literal(false),
  Schema.Struct({
    ttl: Schema.optionalKey(Millis),
    staleWhileRevalidate: Schema.optionalKey(Millis),
    grace: Schema.optionalKey(Millis),
    shared: Schema.optionalKey(Schema.Boolean),
    maxBytes: Schema.optionalKey(PositiveInt),
    /** Semantic cache (L3) on one text argument: `{ "argument": "query", "threshold": 0.85 }` (threshold default: the tier's); `false` turns off a tool's declared one. */
    semantic: Schema.optionalKey(Schema.Union([
      Schema.Literal(false),
      Schema.Struct({
        argument: Schema.String.check(Schema.isMinLength(1)),
        threshold: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
      })
    ]))
  })
])

/** What the resource manager is told about a tool whose runs it predicts and grants from the pools. */
export const ResourceHintsConfig = Schema.Struct({
  operation: Schema.optionalKey(Schema.Literals(Features.OPERATIONS)),
  complexity: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 10 }))),
  priority: Schema.optionalKey(Schema.Literals(["high", "normal", "low"])),
  costSensitive: Schema.optionalKey(Schema.Boolean)
})

/** Everything a deployment can set; every field is optional and has a documented default. */
export const ConfigInput = Schema.Struct({
  /** Address to bind (default 127.0.0.1). Host/Origin are checked on every bind (DNS rebinding). */
  host: Schema.optionalKey(Schema.String),
  /** TCP port (default 3000; 0 picks a free one). */
  port: Schema.optionalKey(Port),
  /** HTTP path of the MCP endpoint (default /mcp). */
  path: Schema.optionalKey(Schema.String.check(Schema.isStartingWith("/"))),
  /** Serve newline-delimited JSON-RPC on stdin/stdout instead of HTTP (default false). */
  stdio: Schema.optionalKey(Schema.Boolean),
  /** Largest accepted request body in bytes, and longest stdio line (default 4 MiB). */
  maxBodyBytes: Schema.optionalKey(PositiveInt),
  /** Extra allowed origins besides loopback ones, as full origins (`https://app.example.com`): scheme, host and port must match. */
  allowedOrigins: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i)))),
  /** Extra allowed Host header values besides loopback ones. */
  allowedHosts: Schema.optionalKey(Schema.Array(Schema.String)),
  /** File of `token principal` lines; when set (or TENFOLD_TOKENS is), bearer auth is required. */
  tokensFile: Schema.optionalKey(Schema.String),
  /** Inline tokens: `token=principal,token2=principal2`. */
  tokens: Schema.optionalKey(Schema.String),
  /** A 2025-11-25 session with no traffic for this long is closed (default 600000 ms). */
  sessionIdleMs: Schema.optionalKey(PositiveInt),
  /** Most concurrent 2025-11-25 sessions before `initialize` is refused (default 10000). */
  maxSessions: Schema.optionalKey(PositiveInt),
  /** Most concurrent sessions of one principal (or client address without auth); 429 past it (default 1000). */
  maxSessionsPerPrincipal: Schema.optionalKey(PositiveInt),
  /** Most open `subscriptions/listen` streams on the instance; 503 past it (default 10000). */
  maxListenStreams: Schema.optionalKey(PositiveInt),
  /** Most open `subscriptions/listen` streams of one principal (or client address, or stdio connection); 429 / -32000 past it (default 100). */
  maxListenStreamsPerPrincipal: Schema.optionalKey(PositiveInt),
  /** Most tool calls and other requests running at once on the instance; ServerBusy past it (default 1000). */
  maxInflightCalls: Schema.optionalKey(PositiveInt),
  /** Time a client gets to send a request's headers, or its first request on a new connection (default 30000 ms). */
  headersTimeoutMs: Schema.optionalKey(PositiveInt),
  /** Time a client gets to send a whole request, headers and body (default 60000 ms); responses are not limited. */
  requestTimeoutMs: Schema.optionalKey(PositiveInt),
  /** Most open HTTP connections (default 1000); more are answered 503 and closed. */
  maxConnections: Schema.optionalKey(PositiveInt),
  /** Most open HTTP connections from one client address (default 200). */
  maxConnectionsPerAddress: Schema.optionalKey(PositiveInt),
  /** Items per page of tools/resources/prompts lists (default 100). */
  pageSize: Schema.optionalKey(PositiveInt),
  /** Time a cancelled or shutting-down call gets to finish (default 10000 ms). */
  shutdownGraceMs: Schema.optionalKey(Millis),
  /** Cache tool results at all (default true). */
  cache: Schema.optionalKey(Schema.Boolean),
  /** Redis URL for the shared L2 cache (and cross-instance invalidation); none by default. */
  redisUrl: Schema.optionalKey(Schema.String.check(Schema.isStartingWith("redis"))),
  /** Directory of the persistent L4 cache (SQLite); "" turns L4 off (default: the user cache directory, see {@link userCacheDir}). */
  cacheDir: Schema.optionalKey(Schema.String),
  /** Namespace of this deployment's keys and channels in Redis, so deployments sharing a Redis never see each other's entries (default "default"). */
  cacheNamespace: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  /** L1 bound in bytes (default 64 MiB). */
  cacheMemoryMaxBytes: Schema.optionalKey(PositiveInt),
  /** L1 bound in entries (default 100000). */
  cacheMemoryMaxEntries: Schema.optionalKey(PositiveInt),
  /** Default time a cached result stays fresh (default 60000 ms). */
  cacheTtlMs: Schema.optionalKey(Millis),
  /** Per-tool cache settings, overriding what tools declare (config file only). */
  cacheTools: Schema.optionalKey(Schema.Record(Schema.String, ToolCacheConfig)),
  /** Timeout of a tool call whose tool declares none (default 300000 ms; 0 = none). */
  toolTimeoutMs: Schema.optionalKey(Millis),
  /** Tool calls running at once (default 256); more wait in the queue. */
  maxRunningTools: Schema.optionalKey(PositiveInt),
  /** Tool calls waiting for a slot (default 1024); past it a call answers ServerBusy (-32000). */
  maxQueuedTools: Schema.optionalKey(NonNegativeInt),
  /** Worker threads that run CPU-bound tools (those declaring `cpuBound` and a `module`) off the event loop (default: one per core, at most 256; 0 = every tool in-process). */
  workers: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 256 }))),
  /** Predict and grant the runs of profiled tools (`resourceTools`, CPU-bound tools) from the CPU/memory/network pools (default true); false: only the running/queued bounds above. */
  resources: Schema.optionalKey(Schema.Boolean),
  /** MiB the memory pool grants to profiled tool runs (default 1024). */
  memoryBudgetMib: Schema.optionalKey(PositiveInt),
  /** Permits of the network pool: concurrent transfers of profiled tool runs (default 64). */
  networkPermits: Schema.optionalKey(PositiveInt),
  /** Profiled runs that may wait for each resource pool (default 256); past it ServerBusy (-32000) with retryAfterMs. */
  maxQueuedPerPool: Schema.optionalKey(NonNegativeInt),
  /** Time between two monitor-and-adjust steps of the resource manager (default 10000 ms; 0 = none). */
  resourceMonitorIntervalMs: Schema.optionalKey(Millis),
  /** Tools whose runs are predicted and granted from the pools, with their hints: `{ "search_docs": { "operation": "search", "priority": "high" } }` (config file only). */
  resourceTools: Schema.optionalKey(Schema.Record(Schema.String, ResourceHintsConfig)),
  /** `resources/subscribe` URIs one session may hold, and resource URIs one `subscriptions/listen` filter may name (default 1000). */
  maxSubscriptionsPerSession: Schema.optionalKey(PositiveInt),
  /** MCP tasks kept at once on this instance, running or finished (default 10000); past it -32000. */
  maxTasks: Schema.optionalKey(PositiveInt),
  /** MCP tasks one principal (2026-07-28) or session (2025-11-25) may hold at once (default 256); past it -32000 with retryAfterMs. */
  maxTasksPerPrincipal: Schema.optionalKey(PositiveInt),
  /** Longest an MCP task is kept, whatever TTL its client asks for (default 3600000 ms; the default TTL is 10 minutes or this, if lower). */
  taskMaxTtlMs: Schema.optionalKey(PositiveInt),
  /** Deepest nesting of arrays and objects in one message (HTTP body or stdio line), checked before parsing; 400 / -32600 past it (default 512). */
  maxJsonDepth: Schema.optionalKey(PositiveInt),
  /** Largest `capabilities` of `initialize` a session keeps, in characters of JSON; -32602 past it (default 16384). */
  maxClientCapabilitiesBytes: Schema.optionalKey(PositiveInt),
  /** Most characters of resource URIs one `subscriptions/listen` filter may name together; -32602 past it (default 65536). */
  maxListenFilterBytes: Schema.optionalKey(PositiveInt),
  /** Compress JSON answers with gzip/brotli when the client's `Accept-Encoding` allows (default true). */
  compression: Schema.optionalKey(Schema.Boolean),
  /** Smallest JSON answer compressed, in bytes (default 1024); below it no zlib work is done. */
  compressionThresholdBytes: Schema.optionalKey(PositiveInt),
  /** Bytes per chunk of a streamed tool result (default 8192). */
  streamChunkBytes: Schema.optionalKey(PositiveInt),
  /** Bytes of a streamed result held before it is written, and its producer's lead on a slow reader (default 1 MiB). */
  streamBufferBytes: Schema.optionalKey(PositiveInt),
  /** Streamed results written at once; one more waits (default 64). */
  maxStreams: Schema.optionalKey(PositiveInt),
  /** Serve the live dashboard at `/dashboard` (default true), behind the same gate as the MCP endpoint. */
  dashboard: Schema.optionalKey(Schema.Boolean),
  /** Record request, tool, executor and process metrics and evaluate alerts (default true); false: no request timing, no alerts, no `/metrics`, dashboard or `tenfold_stats` (the cache still counts its hits and misses). */
  telemetry: Schema.optionalKey(Schema.Boolean),
  /** Serve Prometheus text at `/metrics` (default true; needs telemetry), behind the same gate as the MCP endpoint. */
  metrics: Schema.optionalKey(Schema.Boolean),
  /** Alert when the average request latency over the window exceeds this (default 100 ms; 0 = off). */
  alertAvgLatencyMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Alert when the p95 request latency over the window exceeds this (default 500 ms; 0 = off). */
  alertP95LatencyMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Alert when fewer requests/s than this are served while tool calls wait in a queue (default 1000; 0 = off). */
  alertMinRps: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Alert when the cache hit rate over the window falls below this (default 0.8; 0 = off). */
  alertMinHitRate: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  /** Alert when the process's CPU utilisation over the window exceeds this (default 0.7; 0 = off). */
  alertMaxCpu: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  /** Time between two evaluations of the alert rules (default 5000 ms). */
  alertIntervalMs: Schema.optionalKey(PositiveInt),
  /** Log lines on stderr: `human` (default) or `json`, one object per line with request and trace ids. */
  logFormat: Schema.optionalKey(Schema.Literals(LOG_FORMATS)),
  /** Least severe level logged: `error`, `warn`, `info` (default) or `debug` (adds one line per tool call answered with an error). */
  logLevel: Schema.optionalKey(Schema.Literals(LOG_LEVELS)),
  /** Connection-pool profile of outbound HTTP origins not in `connectionOrigins`: `default`, `high_throughput` or `low_latency`. */
  connectionProfile: Schema.optionalKey(Profile.ProfileNameSchema),
  /** Per-origin outbound pool settings (`"https://api.example.com": "high_throughput"` or `{ "perHost": 8, … }`; config file only). */
  connectionOrigins: Schema.optionalKey(Schema.Record(Schema.String, Profile.OriginSettingsSchema)),
  /** Most outbound origins with a pool at once (default 256); the least recently used idle one is closed past it. */
  maxConnectionOrigins: Schema.optionalKey(PositiveInt),
  /** `fetch_url` may reach every address, private, loopback and link-local ranges included (default false: public addresses only). */
  fetchAllowPrivate: Schema.optionalKey(Schema.Boolean),
  /** Hosts `fetch_url` may reach whatever they resolve to: names, IP addresses, `host:port`, `[IPv6]:port` or CIDR ranges (default none). */
  fetchAllowedHosts: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Largest response body `fetch_url` reads, in bytes (default 5 MiB); a larger one is an error result. */
  fetchMaxBytes: Schema.optionalKey(PositiveInt),
  /** Longest one `fetch_url` call may take, redirects and body included (default 30000 ms). */
  fetchTimeoutMs: Schema.optionalKey(PositiveInt),
  /** Which embedder the semantic tier (and `search_documents`) uses: `use-lite` (default, offline, weights in node_modules) or `transformers` (a local ONNX model). */
  embedder: Schema.optionalKey(Schema.Literals(["use-lite", "transformers"])),
  /** Root directory of local models for the `transformers` embedder; the model's files are in `<embedderModelPath>/<embedderModel>/`. */
  embedderModelPath: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** The `transformers` model's directory under `embedderModelPath`, also its hub name (e.g. "Xenova/all-MiniLM-L6-v2"). */
  embedderModel: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** Let the `transformers` embedder download missing model files from the hub (default false: nothing is fetched). */
  embedderAllowRemote: Schema.optionalKey(Schema.Boolean),
  /** Build the semantic tier (L3) even when no tool opts in by declaration or `cacheTools` (default false: built only when one does); for tools registered after start. */
  semantic: Schema.optionalKey(Schema.Boolean),
  /** Most entries the semantic tier holds; the least recently hit is evicted past it (default 10000). */
  semanticMaxEntries: Schema.optionalKey(PositiveInt),
  /** Serve `search_documents` over the text and Markdown files of this directory (default none: the tool is not served). */
  documentsDir: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** File name endings `search_documents` indexes, with the dot (default .md, .markdown, .txt). */
  documentsExtensions: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isPattern(/^\.[^/\\]+$/)))),
  /** Most files `search_documents` indexes (default 10000); the walk stops there. */
  documentsMaxFiles: Schema.optionalKey(PositiveInt),
  /** Larger files are not indexed by `search_documents` (default 1 MiB). */
  documentsMaxFileBytes: Schema.optionalKey(PositiveInt),
  /** Index the documents directory in the background right after start (default false: on the first `search_documents` call). */
  documentsIndexAtStart: Schema.optionalKey(Schema.Boolean)
})
export type ConfigInput = typeof ConfigInput.Type

export interface Config {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly stdio: boolean
  readonly maxBodyBytes: number
  readonly allowedOrigins: ReadonlyArray<string>
  readonly allowedHosts: ReadonlyArray<string>
  readonly tokensFile: string | undefined
  readonly tokens: string | undefined
  readonly sessionIdleMs: number
  readonly maxSessions: number
  readonly maxSessionsPerPrincipal: number
  readonly maxListenStreams: number
  readonly maxListenStreamsPerPrincipal: number
  readonly maxInflightCalls: number
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly maxConnections: number
  readonly maxConnectionsPerAddress: number
  readonly pageSize: number
  readonly shutdownGraceMs: number
  readonly cache: boolean
  readonly redisUrl: string | undefined
  readonly cacheDir: string
  readonly cacheNamespace: string
  readonly cacheMemoryMaxBytes: number
  readonly cacheMemoryMaxEntries: number
  readonly cacheTtlMs: number
  readonly cacheTools: Readonly<Record<string, typeof ToolCacheConfig.Type>>
  readonly toolTimeoutMs: number
  readonly maxRunningTools: number
  readonly maxQueuedTools: number
  readonly workers: number
  readonly resources: boolean
  readonly memoryBudgetMib: number
  readonly networkPermits: number
  readonly maxQueuedPerPool: number
  readonly resourceMonitorIntervalMs: number
  readonly resourceTools: Readonly<Record<string, typeof ResourceHintsConfig.Type>>
  readonly maxSubscriptionsPerSession: number
  readonly maxTasks: number
  readonly maxTasksPerPrincipal: number
  readonly taskMaxTtlMs: number
  readonly maxJsonDepth: number
  readonly maxClientCapabilitiesBytes: number
  readonly maxListenFilterBytes: number
  readonly compression: boolean
  readonly compressionThresholdBytes: number
  readonly streamChunkBytes: number
  readonly streamBufferBytes: number
  readonly maxStreams: number
  readonly dashboard: boolean
  readonly telemetry: boolean
  readonly metrics: boolean
  readonly alertAvgLatencyMs: number
  readonly alertP95LatencyMs: number
  readonly alertMinRps: number
  readonly alertMinHitRate: number
  readonly alertMaxCpu: number
  readonly alertIntervalMs: number
  readonly logFormat: Logging.LogFormat
  readonly logLevel: Logging.Level
  readonly connectionProfile: Profile.ProfileName
  readonly connectionOrigins: Readonly<Record<string, Profile.OriginSettings>>
  readonly maxConnectionOrigins: number
  readonly fetchAllowPrivate: boolean
  readonly fetchAllowedHosts: ReadonlyArray<string>
  readonly fetchMaxBytes: number
  readonly fetchTimeoutMs: number
  readonly embedder: "use-lite" | "transformers"
  readonly embedderModelPath: string | undefined
  readonly embedderModel: string | undefined
  readonly embedderAllowRemote: boolean
  readonly semantic: boolean
  readonly semanticMaxEntries: number
  readonly documentsDir: string | undefined
  readonly documentsExtensions: ReadonlyArray<string>
  readonly documentsMaxFiles: number
  readonly documentsMaxFileBytes: number
  readonly documentsIndexAtStart: boolean
}

/**
 * Where Tenfold keeps state by default: `$XDG_CACHE_HOME/tenfold`, else `~/.cache/tenfold` (a
 * relative XDG_CACHE_HOME is ignored, as the XDG spec says), so a client that launches `tenfold`
 * from `/` or `$HOME` does not litter that directory.
 */
export const userCacheDir = (env: Record<string, string | undefined> = process.env): string => {
  const xdg = env.XDG_CACHE_HOME
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "tenfold")
}

export const defaults: Config = {
  host: "127.0.0.1",
  port: 3000,
  path: "/mcp",
  stdio: false,
  maxBodyBytes: 4 * 1024 * 1024,
  allowedOrigins: [],
  allowedHosts: [],
  tokensFile: undefined,
  tokens: undefined,
  sessionIdleMs: 600_000,
  maxSessions: 10_000,
  maxSessionsPerPrincipal: 1000,
  maxListenStreams: 10_000,
  maxListenStreamsPerPrincipal: 100,
  maxInflightCalls: 1000,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  maxConnections: 1000,
  maxConnectionsPerAddress: 200,
  pageSize: 100,
  shutdownGraceMs: 10_000,
  cache: true,
  redisUrl: undefined,
  cacheDir: userCacheDir(),
  cacheNamespace: "default",
  cacheMemoryMaxBytes: 64 * 1024 * 1024,
  cacheMemoryMaxEntries: 100_000,
  cacheTtlMs: 60_000,
  cacheTools: {},
  toolTimeoutMs: 300_000,
  maxRunningTools: 256,
  maxQueuedTools: 1024,
  workers: Math.min(availableParallelism(), 256),
  resources: true,
  memoryBudgetMib: 1024,
  networkPermits: 64,
  maxQueuedPerPool: 256,
  resourceMonitorIntervalMs: 10_000,
  resourceTools: {},
  maxSubscriptionsPerSession: 1000,
  maxTasks: 10_000,
  maxTasksPerPrincipal: 256,
  taskMaxTtlMs: 3_600_000,
  maxJsonDepth: 512,
  maxClientCapabilitiesBytes: 16_384,
  maxListenFilterBytes: 65_536,
  compression: true,
  compressionThresholdBytes: 1024,
  streamChunkBytes: 8192,
  streamBufferBytes: 1024 * 1024,
  maxStreams: 64,
  dashboard: true,
  telemetry: true,
  metrics: true,
  alertAvgLatencyMs: 100,
  alertP95LatencyMs: 500,
  alertMinRps: 1000,
  alertMinHitRate: 0.8,
  alertMaxCpu: 0.7,
  alertIntervalMs: 5000,
  logFormat: "human",
  logLevel: "info",
  connectionProfile: "default",
  connectionOrigins: {},
  maxConnectionOrigins: 256,
  fetchAllowPrivate: false,
  fetchAllowedHosts: [],
  fetchMaxBytes: 5 * 1024 * 1024,
  fetchTimeoutMs: 30_000,
  embedder: "use-lite",
  embedderModelPath: undefined,
  embedderModel: undefined,
  embedderAllowRemote: false,
  semantic: false,
  semanticMaxEntries: 10_000,
  documentsDir: undefined,
  documentsExtensions: [".md", ".markdown", ".txt"],
  documentsMaxFiles: 10_000,
  documentsMaxFileBytes: 1024 * 1024,
  documentsIndexAtStart: false
}

/** A configuration that could not be read or does not match the schema. */
export class ConfigError extends Data.TaggedError("ConfigError")<{ readonly source: string; readonly message: string }> {}

const decode = (source: string, input: unknown) =>
  Schema.decodeUnknownEffect(ConfigInput, { onExcessProperty: "error" })(input, { errors: "all" }).pipe(
    Effect.mapError((e) => new ConfigError({ source, message: e.message.replace(/\n\s+at /g, " at ").replace(/\n/g, "; ") }))
  )

/** Environment variable → config field, with how to read its text. */
const envFields: ReadonlyArray<readonly [string, keyof ConfigInput, "string" | "number" | "boolean" | "list"]> = [
  ["TENFOLD_HOST", "host", "string"],
  ["TENFOLD_PORT", "port", "number"],
  ["TENFOLD_PATH", "path", "string"],
  ["TENFOLD_STDIO", "stdio", "boolean"],
  ["TENFOLD_MAX_BODY_BYTES", "maxBodyBytes", "number"],
  ["TENFOLD_ALLOWED_ORIGINS", "allowedOrigins", "list"],
  ["TENFOLD_ALLOWED_HOSTS", "allowedHosts", "list"],
  ["TENFOLD_TOKENS_FILE", "tokensFile", "string"],
  ["TENFOLD_TOKENS", "tokens", "string"],
  ["TENFOLD_SESSION_IDLE_MS", "sessionIdleMs", "number"],
  ["TENFOLD_MAX_SESSIONS", "maxSessions", "number"],
  ["TENFOLD_MAX_SESSIONS_PER_PRINCIPAL", "maxSessionsPerPrincipal", "number"],
  ["TENFOLD_MAX_LISTEN_STREAMS", "maxListenStreams", "number"],
  ["TENFOLD_MAX_LISTEN_STREAMS_PER_PRINCIPAL", "maxListenStreamsPerPrincipal", "number"],
  ["TENFOLD_MAX_INFLIGHT_CALLS", "maxInflightCalls", "number"],
  ["TENFOLD_HEADERS_TIMEOUT_MS", "headersTimeoutMs", "number"],
  ["TENFOLD_REQUEST_TIMEOUT_MS", "requestTimeoutMs", "number"],
  ["TENFOLD_MAX_CONNECTIONS", "maxConnections", "number"],
  ["TENFOLD_MAX_CONNECTIONS_PER_ADDRESS", "maxConnectionsPerAddress", "number"],
  ["TENFOLD_PAGE_SIZE", "pageSize", "number"],
  ["TENFOLD_SHUTDOWN_GRACE_MS", "shutdownGraceMs", "number"],
  ["TENFOLD_CACHE", "cache", "boolean"],
  ["TENFOLD_REDIS_URL", "redisUrl", "string"],
  ["TENFOLD_CACHE_DIR", "cacheDir", "string"],
  ["TENFOLD_CACHE_NAMESPACE", "cacheNamespace", "string"],
  ["TENFOLD_CACHE_MEMORY_MAX_BYTES", "cacheMemoryMaxBytes", "number"],
  ["TENFOLD_CACHE_MEMORY_MAX_ENTRIES", "cacheMemoryMaxEntries", "number"],
  ["TENFOLD_CACHE_TTL_MS", "cacheTtlMs", "number"],
  ["TENFOLD_TOOL_TIMEOUT_MS", "toolTimeoutMs", "number"],
  ["TENFOLD_MAX_RUNNING_TOOLS", "maxRunningTools", "number"],
  ["TENFOLD_MAX_QUEUED_TOOLS", "maxQueuedTools", "number"],
  ["TENFOLD_WORKERS", "workers", "number"],
  ["TENFOLD_RESOURCES", "resources", "boolean"],
  ["TENFOLD_MEMORY_BUDGET_MIB", "memoryBudgetMib", "number"],
  ["TENFOLD_NETWORK_PERMITS", "networkPermits", "number"],
  ["TENFOLD_MAX_QUEUED_PER_POOL", "maxQueuedPerPool", "number"],
  ["TENFOLD_RESOURCE_MONITOR_INTERVAL_MS", "resourceMonitorIntervalMs", "number"],
  ["TENFOLD_MAX_SUBSCRIPTIONS_PER_SESSION", "maxSubscriptionsPerSession", "number"],
  ["TENFOLD_MAX_TASKS", "maxTasks", "number"],
  ["TENFOLD_MAX_TASKS_PER_PRINCIPAL", "maxTasksPerPrincipal", "number"],
  ["TENFOLD_TASK_MAX_TTL_MS", "taskMaxTtlMs", "number"],
  ["TENFOLD_MAX_JSON_DEPTH", "maxJsonDepth", "number"],
  ["TENFOLD_MAX_CLIENT_CAPABILITIES_BYTES", "maxClientCapabilitiesBytes", "number"],
  ["TENFOLD_MAX_LISTEN_FILTER_BYTES", "maxListenFilterBytes", "number"],
  ["TENFOLD_COMPRESSION", "compression", "boolean"],
  ["TENFOLD_COMPRESSION_THRESHOLD_BYTES", "compressionThresholdBytes", "number"],
  ["TENFOLD_STREAM_CHUNK_BYTES", "streamChunkBytes", "number"],
  ["TENFOLD_STREAM_BUFFER_BYTES", "streamBufferBytes", "number"],
  ["TENFOLD_MAX_STREAMS", "maxStreams", "number"],
  ["TENFOLD_DASHBOARD", "dashboard", "boolean"],
  ["TENFOLD_TELEMETRY", "telemetry", "boolean"],
  ["TENFOLD_METRICS", "metrics", "boolean"],
  ["TENFOLD_ALERT_AVG_LATENCY_MS", "alertAvgLatencyMs", "number"],
  ["TENFOLD_ALERT_P95_LATENCY_MS", "alertP95LatencyMs", "number"],
  ["TENFOLD_ALERT_MIN_RPS", "alertMinRps", "number"],
  ["TENFOLD_ALERT_MIN_HIT_RATE", "alertMinHitRate", "number"],
  ["TENFOLD_ALERT_MAX_CPU", "alertMaxCpu", "number"],
  ["TENFOLD_ALERT_INTERVAL_MS", "alertIntervalMs", "number"],
  ["TENFOLD_LOG_FORMAT", "logFormat", "string"],
  ["TENFOLD_LOG_LEVEL", "logLevel", "string"],
  ["TENFOLD_CONNECTION_PROFILE", "connectionProfile", "string"],
  ["TENFOLD_MAX_CONNECTION_ORIGINS", "maxConnectionOrigins", "number"],
  ["TENFOLD_FETCH_ALLOW_PRIVATE", "fetchAllowPrivate", "boolean"],
  ["TENFOLD_FETCH_ALLOWED_HOSTS", "fetchAllowedHosts", "list"],
  ["TENFOLD_FETCH_MAX_BYTES", "fetchMaxBytes", "number"],
  ["TENFOLD_FETCH_TIMEOUT_MS", "fetchTimeoutMs", "number"],
  ["TENFOLD_EMBEDDER", "embedder", "string"],
  ["TENFOLD_EMBEDDER_MODEL_PATH", "embedderModelPath", "string"],
  ["TENFOLD_EMBEDDER_MODEL", "embedderModel", "string"],
  ["TENFOLD_EMBEDDER_ALLOW_REMOTE", "embedderAllowRemote", "boolean"],
  ["TENFOLD_SEMANTIC", "semantic", "boolean"],
  ["TENFOLD_SEMANTIC_MAX_ENTRIES", "semanticMaxEntries", "number"],
  ["TENFOLD_DOCUMENTS_DIR", "documentsDir", "string"],
  ["TENFOLD_DOCUMENTS_EXTENSIONS", "documentsExtensions", "list"],
  ["TENFOLD_DOCUMENTS_MAX_FILES", "documentsMaxFiles", "number"],
  ["TENFOLD_DOCUMENTS_MAX_FILE_BYTES", "documentsMaxFileBytes", "number"],
  ["TENFOLD_DOCUMENTS_INDEX_AT_START", "documentsIndexAtStart", "boolean"]
]

/** The documented environment variables, for `--help`. */
export const environmentVariables = envFields.map(([name, field]) => ({ name, field }))

const readText = (kind: "string" | "number" | "boolean" | "list", text: string): unknown => {
  switch (kind) {
    case "number": {
      const n = Number(text)
      return text.trim() === "" || Number.isNaN(n) ? text : n
    }
    case "boolean":
      return text === "1" || text === "true" ? true : text === "0" || text === "false" ? false : text
    case "list":
      return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
    case "string":
      return text
  }
}

export const fromEnv = (env: Record<string, string | undefined>) => {
  const raw: Record<string, unknown> = {}
  for (const [name, field, kind] of envFields) {
    const text = env[name]
    if (text !== undefined) raw[field] = readText(kind, text)
  }
  return decode("environment (TENFOLD_*)", raw)
}

export const fromFile = (file: string) =>
  Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (e) => new ConfigError({ source: file, message: `cannot read: ${(e as Error).message}` })
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (e) => new ConfigError({ source: file, message: `not valid JSON: ${(e as Error).message}` })
      })
    ),
    Effect.flatMap((json) => decode(file, json))
  )

export const fromObject = (source: string, input: unknown) => decode(source, input)

/** Merges layers of partial config over the defaults, later layers winning. */
export const resolve = (...layers: ReadonlyArray<ConfigInput>): Config => Object.assign({}, defaults, ...layers)
