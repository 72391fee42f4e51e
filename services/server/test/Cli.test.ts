import { assert, describe, it } from "@effect/vitest"
import { Config } from "@tenfold/runtime"
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Command, helpText, parse, UsageError } from "../src/Cli.ts"

/** A temporary JSON config file, removed when the test's scope closes. */
const configFile = (config: Record<string, unknown>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(join(tmpdir(), "tenfold-cli-"))
      const file = join(dir, "tenfold.json")
      await writeFile(file, JSON.stringify(config))
      return { dir, file }
    }),
    ({ dir }) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  ).pipe(Effect.map(({ file }) => file))

/** Parses and expects a Serve command. */
const serve = (argv: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  Effect.gen(function*() {
    const command: Command = yield* parse(argv, env)
    if (command._tag !== "Serve") return assert.fail(`expected Serve, got ${command._tag}`)
    return command.config
  })

describe("Cli.parse", () => {
  describe("help and version", () => {
    for (const flag of ["--help", "-h"]) {
      it.effect(`${flag} answers Help`, () =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* parse([flag], {}), { _tag: "Help" })
        }))
    }

    for (const flag of ["--version", "-v"]) {
      it.effect(`${flag} answers Version`, () =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* parse([flag], {}), { _tag: "Version" })
        }))
    }

    it("documents every flag and environment variable in the help text", () => {
      for (const flag of ["--port", "--host", "--path", "--stdio", "--config", "--tokens-file", "--page-size", "--help", "--version"]) {
        assert.include(helpText, flag)
      }
      for (const { name } of Config.environmentVariables) assert.include(helpText, name)
    })
  })

  describe("flags", () => {
    it.effect("with no arguments serves the defaults", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* serve([]), Config.defaults)
      }))

    it.effect("parses --port and -p", () =>
      Effect.gen(function*() {
        assert.strictEqual((yield* serve(["--port", "8080"])).port, 8080)
        assert.strictEqual((yield* serve(["-p", "0"])).port, 0)
        assert.strictEqual((yield* serve(["--port=9090"])).port, 9090)
      }))

    it.effect("parses the other flags", () =>
      Effect.gen(function*() {
        const config = yield* serve([
          "--host", "0.0.0.0", "--path", "/rpc", "--stdio", "--tokens-file", "/etc/tokens",
          "--max-body-bytes", "2048", "--session-idle-ms", "1000", "--page-size", "7", "--shutdown-grace-ms", "0"
        ])
        assert.deepStrictEqual(config, {
          ...Config.defaults,
          host: "0.0.0.0",
          path: "/rpc",
          stdio: true,
          tokensFile: "/etc/tokens",
          maxBodyBytes: 2048,
          sessionIdleMs: 1000,
          pageSize: 7,
          shutdownGraceMs: 0
        })
      }))

    it.effect("parses the cache flags", () =>
      Effect.gen(function*() {
        const config = yield* serve(["--redis", "redis://127.0.0.1:6390", "--cache-dir", "/tmp/c", "--no-cache"])
        assert.deepStrictEqual([config.redisUrl, config.cacheDir, config.cache], ["redis://127.0.0.1:6390", "/tmp/c", false])
        assert.isTrue((yield* serve([])).cache)
      }))

    it.effect("turns /metrics and telemetry off by flag, and reads alert targets from the environment", () =>
      Effect.gen(function*() {
        const defaults = yield* serve([])
        assert.deepStrictEqual([defaults.metrics, defaults.telemetry], [true, true])
        const off = yield* serve(["--no-metrics", "--no-telemetry"])
        assert.deepStrictEqual([off.metrics, off.telemetry], [false, false])
        const targets = yield* serve([], { TENFOLD_ALERT_P95_LATENCY_MS: "250", TENFOLD_ALERT_MIN_HIT_RATE: "0.5", TENFOLD_ALERT_MIN_RPS: "0" })
        assert.deepStrictEqual([targets.alertP95LatencyMs, targets.alertMinHitRate, targets.alertMinRps, targets.alertAvgLatencyMs], [250, 0.5, 0, 100])
        const bad = yield* Effect.flip(serve([], { TENFOLD_ALERT_MAX_CPU: "2" }))
        assert.match(bad.message, /alertMaxCpu/)
      }))

    it.effect("reads the log format and level from flags and the environment, and names a bad one", () =>
      Effect.gen(function*() {
        const flags = yield* serve(["--log-format", "json", "--log-level", "debug"])
        assert.deepStrictEqual([flags.logFormat, flags.logLevel], ["json", "debug"])
        const env = yield* serve([], { TENFOLD_LOG_FORMAT: "json", TENFOLD_LOG_LEVEL: "warn" })
        assert.deepStrictEqual([env.logFormat, env.logLevel], ["json", "warn"])
        const bad = yield* Effect.flip(parse(["--log-format", "xml"], {}))
        assert.instanceOf(bad, Config.ConfigError)
        assert.include(bad.message, `["logFormat"]`)
      }))

    it.effect("sets each bound and timeout from its flag, and names the flag of a bad value", () =>
      Effect.gen(function*() {
        const bounds = {
          "max-sessions": "maxSessions",
          "max-sessions-per-principal": "maxSessionsPerPrincipal",
          "max-listen-streams": "maxListenStreams",
          "max-listen-streams-per-principal": "maxListenStreamsPerPrincipal",
          "max-inflight-calls": "maxInflightCalls",
          "headers-timeout-ms": "headersTimeoutMs",
          "request-timeout-ms": "requestTimeoutMs",
          "max-connections": "maxConnections",
          "max-connections-per-address": "maxConnectionsPerAddress",
          "tool-timeout-ms": "toolTimeoutMs",
          "max-running-tools": "maxRunningTools",
          "max-queued-tools": "maxQueuedTools",
          "max-subscriptions-per-session": "maxSubscriptionsPerSession",
          "max-tasks": "maxTasks",
          "max-tasks-per-principal": "maxTasksPerPrincipal",
          "task-max-ttl-ms": "taskMaxTtlMs",
          "max-json-depth": "maxJsonDepth",
          "max-client-capabilities-bytes": "maxClientCapabilitiesBytes",
          "max-listen-filter-bytes": "maxListenFilterBytes"
        } as const
        const entries = Object.entries(bounds)
        const config = yield* serve(entries.flatMap(([flag], i) => [`--${flag}`, String(7 + i)]))
        assert.deepStrictEqual(entries.map(([, field]) => config[field]), entries.map((_, i) => 7 + i))
        const bad = yield* Effect.flip(parse(["--max-json-depth", "deep"], {}))
        assert.include(bad.message, "--max-json-depth")
        assert.strictEqual((yield* serve(["--cache-namespace", "blue"])).cacheNamespace, "blue")
      }))

    it.effect("parses the resource pool flags and environment: --no-resources, budget, permits, queue, monitor interval", () =>
      Effect.gen(function*() {
        const flags = yield* serve(["--no-resources", "--memory-budget-mib", "512", "--network-permits", "8", "--max-queued-per-pool", "0", "--resource-monitor-interval-ms", "0"])
        assert.deepStrictEqual(
          [flags.resources, flags.memoryBudgetMib, flags.networkPermits, flags.maxQueuedPerPool, flags.resourceMonitorIntervalMs],
          [false, 512, 8, 0, 0]
        )
        const env = yield* serve([], { TENFOLD_RESOURCES: "0", TENFOLD_NETWORK_PERMITS: "3" })
        assert.deepStrictEqual([env.resources, env.networkPermits], [false, 3])
        assert.match((yield* Effect.flip(serve(["--network-permits", "0"]))).message, /networkPermits/)
        assert.include(helpText, "--no-resources")
        assert.include(helpText, "--max-queued-per-pool")
      }))

    it.effect("parses the fetch_url flags and environment: allow-private, repeatable or comma-separated hosts, limits", () =>
      Effect.gen(function*() {
        const defaults = yield* serve([])
        assert.deepStrictEqual([defaults.fetchAllowPrivate, defaults.fetchAllowedHosts, defaults.fetchMaxBytes, defaults.fetchTimeoutMs], [false, [], 5 * 1024 * 1024, 30_000])
        const flags = yield* serve(["--fetch-allow-private", "--fetch-allow-host", "127.0.0.1:8080,intranet.example", "--fetch-allow-host", "10.0.0.0/8", "--fetch-max-bytes", "1024", "--fetch-timeout-ms", "500"])
        assert.deepStrictEqual(
          [flags.fetchAllowPrivate, flags.fetchAllowedHosts, flags.fetchMaxBytes, flags.fetchTimeoutMs],
          [true, ["127.0.0.1:8080", "intranet.example", "10.0.0.0/8"], 1024, 500]
        )
        const env = yield* serve([], { TENFOLD_FETCH_ALLOW_PRIVATE: "1", TENFOLD_FETCH_ALLOWED_HOSTS: "[::1]:9000, example.internal" })
        assert.deepStrictEqual([env.fetchAllowPrivate, env.fetchAllowedHosts], [true, ["[::1]:9000", "example.internal"]])
        const bad = yield* Effect.flip(serve(["--fetch-max-bytes", "0"]))
        assert.match(bad.message, /fetchMaxBytes/)
      }))

    it.effect("parses the semantic cache and embedder flags and environment", () =>
      Effect.gen(function*() {
        const flags = yield* serve([
          "--semantic", "--semantic-max-entries", "500", "--embedder", "transformers",
          "--embedder-model-path", "/srv/models", "--embedder-model", "Xenova/all-MiniLM-L6-v2", "--embedder-allow-remote"
        ])
        assert.deepStrictEqual(
          [flags.semantic, flags.semanticMaxEntries, flags.embedder, flags.embedderModelPath, flags.embedderModel, flags.embedderAllowRemote],
          [true, 500, "transformers", "/srv/models", "Xenova/all-MiniLM-L6-v2", true]
        )
        const env = yield* serve([], { TENFOLD_SEMANTIC: "1", TENFOLD_EMBEDDER: "transformers", TENFOLD_EMBEDDER_MODEL: "m" })
        assert.deepStrictEqual([env.semantic, env.embedder, env.embedderModel], [true, "transformers", "m"])
        assert.match((yield* Effect.flip(serve(["--embedder", "word2vec"]))).message, /embedder/)
        assert.match((yield* Effect.flip(serve(["--semantic-max-entries", "0"]))).message, /semanticMaxEntries/)
        const file = yield* configFile({ cacheTools: { search: { semantic: { argument: "query", threshold: 0.9 } }, other: { semantic: false } } })
        const fromFile = yield* serve(["--config", file])
        assert.deepStrictEqual(fromFile.cacheTools, { search: { semantic: { argument: "query", threshold: 0.9 } }, other: { semantic: false } })
        const badFile = yield* configFile({ cacheTools: { search: { semantic: { argument: "query", threshold: 2 } } } })
        assert.match((yield* Effect.flip(serve(["--config", badFile]))).message, /threshold/)
      }))

    it.effect("parses the search_documents flags and environment: directory, index at start, bounds, extensions", () =>
      Effect.gen(function*() {
        const flags = yield* serve(["--documents", "/srv/docs", "--documents-index-at-start", "--documents-max-files", "50", "--documents-max-file-bytes", "4096"])
        assert.deepStrictEqual(
          [flags.documentsDir, flags.documentsIndexAtStart, flags.documentsMaxFiles, flags.documentsMaxFileBytes],
          ["/srv/docs", true, 50, 4096]
        )
        const env = yield* serve([], { TENFOLD_DOCUMENTS_DIR: "/data", TENFOLD_DOCUMENTS_EXTENSIONS: ".md, .rst" })
        assert.deepStrictEqual([env.documentsDir, env.documentsExtensions], ["/data", [".md", ".rst"]])
        assert.match((yield* Effect.flip(serve([], { TENFOLD_DOCUMENTS_EXTENSIONS: "md" }))).message, /documentsExtensions/)
        assert.match((yield* Effect.flip(serve(["--documents", ""]))).message, /documentsDir/)
        assert.include(helpText, "--documents <dir>")
      }))

    for (const port of ["abc", "80.5", ""]) {
      it.effect(`answers --port ${JSON.stringify(port)} with a UsageError naming --port`, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(parse(["--port", port], {}))
          assert.instanceOf(error, UsageError)
          assert.include(error.message, "--port")
        }))
    }

    it.effect("rejects an out-of-range --port as invalid command-line configuration naming port", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(parse(["--port", "70000"], {}))
        assert.instanceOf(error, Config.ConfigError)
        assert.strictEqual((error as Config.ConfigError).source, "command-line flags")
        assert.include(error.message, `["port"]`)
      }))

    it.effect("answers a bad --page-size with a UsageError naming it", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(parse(["--page-size", "many"], {}))
        assert.instanceOf(error, UsageError)
        assert.include(error.message, "--page-size")
      }))

    it.effect("answers an unknown flag, a missing value and a positional with a UsageError", () =>
      Effect.gen(function*() {
        for (const argv of [["--prot", "1"], ["--port"], ["serve"]]) {
          const error = yield* Effect.flip(parse(argv, {}))
          assert.instanceOf(error, UsageError, argv.join(" "))
        }
        assert.include((yield* Effect.flip(parse(["--prot", "1"], {}))).message, "--prot")
      }))
  })

  describe("precedence", () => {
    it.effect("reads the environment", () =>
      Effect.gen(function*() {
        const config = yield* serve([], { TENFOLD_PORT: "4000", TENFOLD_STDIO: "1" })
        assert.strictEqual(config.port, 4000)
        assert.strictEqual(config.stdio, true)
      }))

    it.effect("lets flags override the environment, which overrides the --config file", () =>
      Effect.gen(function*() {
        const file = yield* configFile({ port: 1111, host: "file.example", path: "/from-file", pageSize: 5 })
        const env = { TENFOLD_PORT: "2222", TENFOLD_HOST: "env.example" }
        const config = yield* serve(["--config", file, "--port", "3333"], env)
        assert.strictEqual(config.port, 3333)
        assert.strictEqual(config.host, "env.example")
        assert.strictEqual(config.path, "/from-file")
        assert.strictEqual(config.pageSize, 5)
        assert.strictEqual((yield* serve(["-c", file], env)).port, 2222)
        assert.strictEqual((yield* serve(["-c", file], {})).port, 1111)
      }))

    it.effect("fails with a ConfigError naming the file when the --config file is invalid", () =>
      Effect.gen(function*() {
        const file = yield* configFile({ port: "eighty" })
        const error = yield* Effect.flip(parse(["--config", file], {}))
        assert.instanceOf(error, Config.ConfigError)
        assert.include(error.message, "port")
        assert.strictEqual((error as Config.ConfigError).source, file)
      }))

    it.effect("fails when the environment is invalid even if a flag overrides the field", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(parse(["--port", "1"], { TENFOLD_PORT: "abc" }))
        assert.instanceOf(error, Config.ConfigError)
      }))
  })
})
