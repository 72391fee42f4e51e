/**
 * The `tenfold` command line: flags, `--help` text, and how flags, `TENFOLD_*` variables and a
 * `--config` JSON file combine (flags win over the environment, which wins over the file).
 */
import { Config } from "@tenfold/runtime"
import { Data, Effect } from "effect"
import { parseArgs } from "node:util"

/** Bad command-line usage; printed with a pointer to `--help`. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export type Command =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Version" }
  | { readonly _tag: "Serve"; readonly config: Config.Config }

const options = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  path: { type: "string" },
  stdio: { type: "boolean" },
  config: { type: "string", short: "c" },
  "tokens-file": { type: "string" },
  "max-body-bytes": { type: "string" },
  "session-idle-ms": { type: "string" },
  "page-size": { type: "string" },
  "shutdown-grace-ms": { type: "string" },
  "max-sessions-per-principal": { type: "string" },
  "max-listen-streams": { type: "string" },
  "max-listen-streams-per-principal": { type: "string" },
  "max-inflight-calls": { type: "string" },
  "headers-timeout-ms": { type: "string" },
  "request-timeout-ms": { type: "string" },
  "max-connections": { type: "string" },
  "max-connections-per-address": { type: "string" },
  "tool-timeout-ms": { type: "string" },
  "max-running-tools": { type: "string" },
  "max-queued-tools": { type: "string" },
  "max-subscriptions-per-session": { type: "string" },
  "max-json-depth": { type: "string" },
  "max-client-capabilities-bytes": { type: "string" },
  "max-listen-filter-bytes": { type: "string" },
  redis: { type: "string" },
  "cache-dir": { type: "string" },
  "cache-namespace": { type: "string" },
  "no-cache": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" }
} as const

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
  --max-subscriptions-per-session <n>
                            resources/subscribe URIs one session may hold, and resource URIs
                            one subscriptions/listen filter may name (default 1000)
  --max-json-depth <n>      Deepest nesting of one message (HTTP body or stdio line), checked
                            before parsing; past it 400 / -32600 (default 512)
  --max-client-capabilities-bytes <n>
                            Largest initialize capabilities a session keeps, in characters of
                            JSON; past it -32602 (default 16384)
  --max-listen-filter-bytes <n>
                            Characters of resource URIs one subscriptions/listen filter may name
                            together; past it -32602 (default 65536)
  --redis <url>             Shared L2 cache and cross-instance L1 invalidation on Redis
                            (e.g. redis://127.0.0.1:6379); without it: L1 memory + L4 SQLite
  --cache-dir <dir>         Directory of the persistent L4 cache (default $XDG_CACHE_HOME/tenfold,
                            else ~/.cache/tenfold; "" = off)
  --cache-namespace <name>  Namespace of this deployment's keys in Redis (default "default"), so
                            deployments sharing a Redis never see each other's entries
  --no-cache                Do not cache tool results at all
  -h, --help                Show this help
  -v, --version             Show the version

Environment (overridden by flags, override the config file):
${Config.environmentVariables.map(({ name, field }) => `  ${name.padEnd(40)} ${field}`).join("\n")}

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
      try: () => parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values,
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    if (parsed.help === true) return { _tag: "Help" } as Command
    if (parsed.version === true) return { _tag: "Version" } as Command
    const numbers = {
      port: toNumber("port", parsed.port),
      maxBodyBytes: toNumber("max-body-bytes", parsed["max-body-bytes"]),
      sessionIdleMs: toNumber("session-idle-ms", parsed["session-idle-ms"]),
      pageSize: toNumber("page-size", parsed["page-size"]),
      shutdownGraceMs: toNumber("shutdown-grace-ms", parsed["shutdown-grace-ms"]),
      maxSessionsPerPrincipal: toNumber("max-sessions-per-principal", parsed["max-sessions-per-principal"]),
      maxListenStreams: toNumber("max-listen-streams", parsed["max-listen-streams"]),
      maxListenStreamsPerPrincipal: toNumber("max-listen-streams-per-principal", parsed["max-listen-streams-per-principal"]),
      maxInflightCalls: toNumber("max-inflight-calls", parsed["max-inflight-calls"]),
      toolTimeoutMs: toNumber("tool-timeout-ms", parsed["tool-timeout-ms"]),
      maxRunningTools: toNumber("max-running-tools", parsed["max-running-tools"]),
      maxQueuedTools: toNumber("max-queued-tools", parsed["max-queued-tools"]),
      maxSubscriptionsPerSession: toNumber("max-subscriptions-per-session", parsed["max-subscriptions-per-session"]),
      maxJsonDepth: toNumber("max-json-depth", parsed["max-json-depth"]),
      maxClientCapabilitiesBytes: toNumber("max-client-capabilities-bytes", parsed["max-client-capabilities-bytes"]),
      maxListenFilterBytes: toNumber("max-listen-filter-bytes", parsed["max-listen-filter-bytes"]),
      headersTimeoutMs: toNumber("headers-timeout-ms", parsed["headers-timeout-ms"]),
      requestTimeoutMs: toNumber("request-timeout-ms", parsed["request-timeout-ms"]),
      maxConnections: toNumber("max-connections", parsed["max-connections"]),
      maxConnectionsPerAddress: toNumber("max-connections-per-address", parsed["max-connections-per-address"])
    }
    const flags: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(numbers)) {
      if (value instanceof UsageError) return yield* value
      if (value !== undefined) flags[key] = value
    }
    if (parsed.host !== undefined) flags.host = parsed.host
    if (parsed.path !== undefined) flags.path = parsed.path
    if (parsed.stdio === true) flags.stdio = true
    if (parsed["tokens-file"] !== undefined) flags.tokensFile = parsed["tokens-file"]
    if (parsed.redis !== undefined) flags.redisUrl = parsed.redis
    if (parsed["cache-dir"] !== undefined) flags.cacheDir = parsed["cache-dir"]
    if (parsed["cache-namespace"] !== undefined) flags.cacheNamespace = parsed["cache-namespace"]
    if (parsed["no-cache"] === true) flags.cache = false
    const file = parsed.config === undefined ? {} : yield* Config.fromFile(parsed.config)
    const fromEnv = yield* Config.fromEnv(env)
    const fromFlags = yield* Config.fromObject("command-line flags", flags)
    return { _tag: "Serve", config: Config.resolve(file, fromEnv, fromFlags) } as Command
  })
