/**
 * The `tenfold` command line: flags, `--help` text, and how flags, `TENFOLD_*` variables and a
 * `--config` JSON file combine (flags win over the environment, which wins over the file).
 */
import { Config } from "@tenfold/runtime"
import { Data, Effect } from "effect"
import { parseArgs, type ParseArgsOptionsConfig } from "node:util"

/** Bad command-line usage; printed with a pointer to `--help`. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export type Command =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Version" }
  | { readonly _tag: "Serve"; readonly config: Config.Config }

/** Flags that set the config field of the same name in camelCase to a whole number. */
const NUMBER_FLAGS = [
  "port",
  "max-body-bytes",
  "session-idle-ms",
  "page-size",
  "shutdown-grace-ms",
  "max-sessions",
  "max-sessions-per-principal",
  "max-listen-streams",
  "max-listen-streams-per-principal",
  "max-inflight-calls",
  "headers-timeout-ms",
  "request-timeout-ms",
  "max-connections",
  "max-connections-per-address",
  "tool-timeout-ms",
  "max-running-tools",
  "max-queued-tools",
  "workers",
  "memory-budget-mib",
  "network-permits",
  "max-queued-per-pool",
  "resource-monitor-interval-ms",
  "max-subscriptions-per-session",
  "max-tasks",
  "max-tasks-per-principal",
  "task-max-ttl-ms",
  "max-json-depth",
  "max-client-capabilities-bytes",
  "max-listen-filter-bytes",
  "compression-threshold-bytes",
  "stream-chunk-bytes",
  "stream-buffer-bytes",
  "max-streams",
  "fetch-max-bytes",
  "fetch-timeout-ms",
  "semantic-max-entries",
  "documents-max-files",
  "documents-max-file-bytes"
] as const

/** Flags that set a text field: flag → config field. */
const TEXT_FLAGS = {
  host: "host",
  path: "path",
  "tokens-file": "tokensFile",
  redis: "redisUrl",
  "cache-dir": "cacheDir",
  "cache-namespace": "cacheNamespace",
  "log-format": "logFormat",
  "log-level": "logLevel",
  embedder: "embedder",
  "embedder-model-path": "embedderModelPath",
  "embedder-model": "embedderModel",
  documents: "documentsDir"
} as const

const options = {
  ...Object.fromEntries([...NUMBER_FLAGS, ...Object.keys(TEXT_FLAGS)].map((flag) => [flag, { type: "string" }])),
  port: { type: "string", short: "p" },
  stdio: { type: "boolean" },
  config: { type: "string", short: "c" },
  "no-cache": { type: "boolean" },
  "no-dashboard": { type: "boolean" },
  "no-metrics": { type: "boolean" },
  "no-telemetry": { type: "boolean" },
  "no-compression": { type: "boolean" },
  "no-resources": { type: "boolean" },
  "fetch-allow-private": { type: "boolean" },
  "fetch-allow-host": { type: "string", multiple: true },
  semantic: { type: "boolean" },
  "embedder-allow-remote": { type: "boolean" },
  "documents-index-at-start": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" }
} satisfies ParseArgsOptionsConfig

const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

export const helpText = `tenfold — a high-performance MCP server (Streamable HTTP and stdio)

Usage: tenfold [options]

Options:
  --host <address>          Address to bind (default 127.0.0.1). Host and Origin are checked
                            on every bind (loopback names plus TENFOLD_ALLOWED_HOSTS /
                            TENFOLD_ALLOWED_ORIGINS); it warns when bound beyond loopback
                            without tokens
  -p, --port <port>         TCP port (default 3000; 0 picks a free port)
  --path <path>             HTTP path of the MCP endpoint (default /mcp)
  --stdio                   Serve newline-delimited JSON-RPC on stdin/stdout instead of HTTP
  -c, --config <file>       JSON file with any of the settings below (camelCase keys)
  --tokens-file <file>      Require bearer tokens: one "<token> <principal>" per line
  --max-body-bytes <n>      Largest request body, and longest stdio line (default 4194304)
  --session-idle-ms <n>     Close 2025-11-25 sessions idle this long (default 600000)
  --page-size <n>           Items per tools/resources/prompts list page (default 100)
  --shutdown-grace-ms <n>   On SIGINT/SIGTERM, time calls in flight get to finish (default 10000)
  --max-sessions <n>        2025-11-25 sessions the instance holds (default 10000)
  --max-sessions-per-principal <n>
                            2025-11-25 sessions one principal (or client address) may hold
                            (default 1000; the instance holds --max-sessions, TENFOLD_MAX_SESSIONS)
  --max-listen-streams <n>  Open subscriptions/listen streams on the instance (default 10000)
  --max-listen-streams-per-principal <n>
                            ... of one principal or client address, or of one stdio
                            connection (default 100)
  --max-inflight-calls <n>  Calls running at once; past it ServerBusy -32000 (default 1000)
  --headers-timeout-ms <n>  Time to send request headers, or a first request (default 30000)
  --request-timeout-ms <n>  Time to send a whole request, headers and body (default 60000)
  --max-connections <n>     Open HTTP connections (default 1000)
  --max-connections-per-address <n>
                            Open HTTP connections from one client address (default 200)
  --tool-timeout-ms <n>     A tool call running longer is interrupted and answered as timed out,
                            unless its tool declares its own timeoutMs (default 300000; 0 = none)
  --max-running-tools <n>   Tool calls running at once; more wait in a queue (default 256)
  --max-queued-tools <n>    Tool calls waiting; past it ServerBusy -32000 (default 1024)
  --workers <n>             Worker threads that run CPU-bound tools (text_stats) off the event
                            loop (default: one per core; 0 = every tool on the main thread)
  --no-resources            Grant no tool run from the CPU/memory/network pools: only the two
                            bounds above (TENFOLD_RESOURCES=0). With pools on (the default), the
                            runs of profiled tools (config resourceTools, CPU-bound tools) are
                            predicted and granted CPU, memory and network permits
  --memory-budget-mib <n>   MiB the memory pool grants to profiled tool runs (default 1024)
  --network-permits <n>     Network pool permits: concurrent transfers of profiled runs (default 64)
  --max-queued-per-pool <n> Profiled runs waiting for each pool; past it ServerBusy -32000 with
                            retryAfterMs (default 256)
  --resource-monitor-interval-ms <n>
                            Time between two monitor-and-adjust steps of the pools (default
                            10000; 0 = none)
  --max-subscriptions-per-session <n>
                            resources/subscribe URIs one session may hold, and resource URIs
                            one subscriptions/listen filter may name (default 1000)
  --max-tasks <n>           MCP tasks kept at once, running or finished (default 10000); past
                            it -32000
  --max-tasks-per-principal <n>
                            MCP tasks one principal or session may hold at once (default 256);
                            past it -32000 with retryAfterMs
  --task-max-ttl-ms <n>     Longest an MCP task is kept, whatever TTL its client asks for
                            (default 3600000; tasks without a TTL are kept 10 minutes)
  --max-json-depth <n>      Deepest nesting of one message (HTTP body or stdio line), checked
                            before parsing; past it 400 / -32600 (default 512)
  --max-client-capabilities-bytes <n>
                            Largest initialize capabilities a session keeps, in characters of
                            JSON; past it -32602 (default 16384)
  --max-listen-filter-bytes <n>
                            Characters of resource URIs one subscriptions/listen filter may name
                            together; past it -32602 (default 65536)
  --compression-threshold-bytes <n>
                            Smallest JSON answer gzip/brotli-compressed when the client accepts
                            it (default 1024)
  --no-compression          Never compress answers (TENFOLD_COMPRESSION=0)
  --stream-chunk-bytes <n>  Bytes per chunk of a streamed tool result (default 8192)
  --stream-buffer-bytes <n> Bytes of a streamed result held before writing, and its producer's
                            lead on a slow reader (default 1048576)
  --max-streams <n>         Streamed results written at once; one more waits (default 64)
  --redis <url>             Shared L2 cache and cross-instance L1 invalidation on Redis
                            (e.g. redis://127.0.0.1:6379); without it: L1 memory + L4 SQLite
  --cache-dir <dir>         Directory of the persistent L4 cache (default $XDG_CACHE_HOME/tenfold,
                            else ~/.cache/tenfold; "" = off)
  --cache-namespace <name>  Namespace of this deployment's keys in Redis (default "default"), so
                            deployments sharing a Redis never see each other's entries
  --no-cache                Do not cache tool results at all
  --no-dashboard            Do not serve the live dashboard (default: at /dashboard, behind the
                            same Host/Origin checks and bearer tokens as the MCP endpoint)
  --no-metrics              Do not serve Prometheus text at /metrics (default: served, behind
                            the same Host/Origin checks and bearer tokens as the MCP endpoint)
  --no-telemetry            Record no metrics and evaluate no alerts (also turns off /metrics
                            and the dashboard); alert targets: TENFOLD_ALERT_* below
  --log-format <format>     Log lines on stderr: human (default) or json (one object per line
                            with time, level, message, requestId, traceId, spanId)
  --log-level <level>       error, warn, info (default) or debug (also logs each tool call that
                            answers an error)
  --fetch-allow-private     Let fetch_url reach private, loopback and link-local addresses
                            (default: public addresses only, checked after DNS on every redirect)
  --fetch-allow-host <host> Let fetch_url reach this host whatever it resolves to: a name, an IP
                            address, host:port, [IPv6]:port or a CIDR range (repeatable, or
                            comma-separated)
  --fetch-max-bytes <n>     Largest response body fetch_url reads (default 5242880)
  --fetch-timeout-ms <n>    Longest one fetch_url call may take, redirects included (default 30000)
  --semantic                Build the semantic cache (L3) even when no tool opts in (default: built
                            only when a tool declares cache.semantic or cacheTools.<tool>.semantic
                            sets it; needs the cache on)
  --semantic-max-entries <n>
                            Entries the semantic cache holds; the least recently hit is evicted
                            past it (default 10000)
  --embedder <name>         Text embedder of the semantic cache and search_documents: use-lite
                            (default; offline, bundled weights) or transformers (a local ONNX model)
  --embedder-model-path <dir>
                            Root directory of local models for --embedder transformers
  --embedder-model <name>   The model's directory under it, e.g. Xenova/all-MiniLM-L6-v2
  --embedder-allow-remote   Let the transformers embedder download missing model files (default:
                            nothing is fetched)
  --documents <dir>         Serve search_documents: semantic search over the text and Markdown
                            files of <dir> (TENFOLD_DOCUMENTS_EXTENSIONS, default .md,.markdown,
                            .txt), indexed on the first call and re-indexed as files change
  --documents-index-at-start
                            Index <dir> in the background right after start instead
  --documents-max-files <n> Most files indexed (default 10000)
  --documents-max-file-bytes <n>
                            Larger files are not indexed (default 1048576)
  -h, --help                Show this help
  -v, --version             Show the version

Environment (overridden by flags, override the config file):
${Config.environmentVariables.map(({ name, field }) => `  ${name.padEnd(40)} ${field}`).join("\n")}

OpenTelemetry: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
_METRICS_ENDPOINT) to export traces and metrics over OTLP/HTTP; OTEL_SERVICE_NAME (default
tenfold), OTEL_EXPORTER_OTLP_HEADERS, OTEL_METRIC_EXPORT_INTERVAL and OTEL_SDK_DISABLED apply.

Protocol: MCP 2026-07-28 (stateless, _meta envelope) and 2025-11-25 (sessions) on one endpoint.
Example:  tenfold --port 8080      then POST http://127.0.0.1:8080/mcp
`

const toNumber = (flag: string, text: string | undefined) => {
  if (text === undefined) return undefined
  const n = Number(text)
  return text.trim() !== "" && Number.isInteger(n) ? n : new UsageError({ message: `--${flag} must be a whole number, got "${text}"` })
}

/** Parses argv and reads the config file and environment into one command. */
export const parse = (argv: ReadonlyArray<string>, env: Record<string, string | undefined>) =>
  Effect.gen(function*() {
    const parsed = yield* Effect.try({
      // values by flag name: the flags of NUMBER_FLAGS and TEXT_FLAGS are all strings
      try: () => parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>,
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    if (parsed.help === true) return { _tag: "Help" } as Command
    if (parsed.version === true) return { _tag: "Version" } as Command
    const flags: Record<string, unknown> = {}
    for (const flag of NUMBER_FLAGS) {
      const value = toNumber(flag, parsed[flag] as string | undefined)
      if (value instanceof UsageError) return yield* value
      if (value !== undefined) flags[camelCase(flag)] = value
    }
    for (const [flag, field] of Object.entries(TEXT_FLAGS)) {
      if (parsed[flag] !== undefined) flags[field] = parsed[flag]
    }
    if (parsed.stdio === true) flags.stdio = true
    if (parsed["no-cache"] === true) flags.cache = false
    if (parsed["no-dashboard"] === true) flags.dashboard = false
    if (parsed["no-metrics"] === true) flags.metrics = false
    if (parsed["no-telemetry"] === true) flags.telemetry = false
    if (parsed["no-compression"] === true) flags.compression = false
    if (parsed["no-resources"] === true) flags.resources = false
    if (parsed["fetch-allow-private"] === true) flags.fetchAllowPrivate = true
    if (parsed.semantic === true) flags.semantic = true
    if (parsed["embedder-allow-remote"] === true) flags.embedderAllowRemote = true
    if (parsed["documents-index-at-start"] === true) flags.documentsIndexAtStart = true
    const allowHosts = parsed["fetch-allow-host"] as unknown as ReadonlyArray<string> | undefined // the one `multiple` flag
    if (allowHosts !== undefined) flags.fetchAllowedHosts = allowHosts.flatMap((h) => h.split(",")).map((h) => h.trim()).filter((h) => h !== "")
    const file = typeof parsed.config === "string" ? yield* Config.fromFile(parsed.config) : {}
    const fromEnv = yield* Config.fromEnv(env)
    const fromFlags = yield* Config.fromObject("command-line flags", flags)
    return { _tag: "Serve", config: Config.resolve(file, fromEnv, fromFlags) } as Command
  })
