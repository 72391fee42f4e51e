import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { availableParallelism, homedir, tmpdir } from "node:os"
import { isAbsolute, join } from "node:path"
import { ConfigError, defaults, fromEnv, fromFile, fromObject, resolve, userCacheDir } from "../src/Config.ts"
import { tempFile } from "../../../test/support/TempFile.ts"

const configFile = (text: string) => tempFile("tenfold.json", text)

describe("Config", () => {
  it("has the documented defaults", () => {
    assert.deepStrictEqual(defaults, {
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
    })
    assert.deepStrictEqual(resolve(), defaults)
  })

  it("keeps state in the user cache directory by default, not the current directory", () => {
    assert.strictEqual(userCacheDir({ XDG_CACHE_HOME: "/var/cache/alice" }), "/var/cache/alice/tenfold")
    assert.strictEqual(userCacheDir({}), join(homedir(), ".cache", "tenfold"))
    assert.strictEqual(userCacheDir({ XDG_CACHE_HOME: "relative/dir" }), join(homedir(), ".cache", "tenfold"))
    assert.isTrue(isAbsolute(defaults.cacheDir))
  })

  describe("fromEnv", () => {
    it.effect("reads nothing from an environment without TENFOLD_* variables", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* fromEnv({ PATH: "/usr/bin", PORT: "1" }), {})
      }))

    it.effect("parses numbers, booleans, lists and strings", () =>
      Effect.gen(function*() {
        const config = yield* fromEnv({
          TENFOLD_HOST: "0.0.0.0",
          TENFOLD_PORT: "8080",
          TENFOLD_PATH: "/api/mcp",
          TENFOLD_STDIO: "true",
          TENFOLD_MAX_BODY_BYTES: "1024",
          TENFOLD_ALLOWED_ORIGINS: "https://a.example, https://b.example,,",
          TENFOLD_ALLOWED_HOSTS: "a.example",
          TENFOLD_TOKENS: "t=alice",
          TENFOLD_SESSION_IDLE_MS: "5000",
          TENFOLD_MAX_SESSIONS: "3",
          TENFOLD_PAGE_SIZE: "10",
          TENFOLD_SHUTDOWN_GRACE_MS: "0",
          TENFOLD_MAX_SESSIONS_PER_PRINCIPAL: "2",
          TENFOLD_MAX_LISTEN_STREAMS: "20",
          TENFOLD_MAX_LISTEN_STREAMS_PER_PRINCIPAL: "4",
          TENFOLD_MAX_INFLIGHT_CALLS: "50",
          TENFOLD_HEADERS_TIMEOUT_MS: "1000",
          TENFOLD_REQUEST_TIMEOUT_MS: "2000",
          TENFOLD_MAX_CONNECTIONS: "100",
          TENFOLD_MAX_CONNECTIONS_PER_ADDRESS: "10"
        })
        assert.deepStrictEqual(config, {
          host: "0.0.0.0",
          port: 8080,
          path: "/api/mcp",
          stdio: true,
          maxBodyBytes: 1024,
          allowedOrigins: ["https://a.example", "https://b.example"],
          allowedHosts: ["a.example"],
          tokens: "t=alice",
          sessionIdleMs: 5000,
          maxSessions: 3,
          pageSize: 10,
          shutdownGraceMs: 0,
          maxSessionsPerPrincipal: 2,
          maxListenStreams: 20,
          maxListenStreamsPerPrincipal: 4,
          maxInflightCalls: 50,
          headersTimeoutMs: 1000,
          requestTimeoutMs: 2000,
          maxConnections: 100,
          maxConnectionsPerAddress: 10
        })
      }))

    it.effect("reads 1/0 and false as booleans", () =>
      Effect.gen(function*() {
        assert.strictEqual((yield* fromEnv({ TENFOLD_STDIO: "1" })).stdio, true)
        assert.strictEqual((yield* fromEnv({ TENFOLD_STDIO: "0" })).stdio, false)
        assert.strictEqual((yield* fromEnv({ TENFOLD_STDIO: "false" })).stdio, false)
      }))

    const invalid: ReadonlyArray<readonly [string, string, string]> = [
      ["TENFOLD_PORT", "abc", "port"],
      ["TENFOLD_PORT", "70000", "port"],
      ["TENFOLD_PORT", "", "port"],
      ["TENFOLD_PORT", "80.5", "port"],
      ["TENFOLD_STDIO", "yes", "stdio"],
      ["TENFOLD_PATH", "mcp", "path"],
      ["TENFOLD_PAGE_SIZE", "0", "pageSize"],
      ["TENFOLD_SHUTDOWN_GRACE_MS", "-1", "shutdownGraceMs"],
      ["TENFOLD_ALLOWED_ORIGINS", "app.example.com", "allowedOrigins"],
      ["TENFOLD_ALLOWED_ORIGINS", "https://app.example.com/path", "allowedOrigins"],
      ["TENFOLD_MAX_SESSIONS_PER_PRINCIPAL", "0", "maxSessionsPerPrincipal"],
      ["TENFOLD_HEADERS_TIMEOUT_MS", "soon", "headersTimeoutMs"]
    ]
    for (const [name, value, field] of invalid) {
      it.effect(`rejects ${name}=${JSON.stringify(value)} naming ${field}`, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(fromEnv({ [name]: value }))
          assert.instanceOf(error, ConfigError)
          assert.include(error.message, `["${field}"]`)
          assert.include(error.source, "TENFOLD_")
        }))
    }

    it.effect("names every bad field at once", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromEnv({ TENFOLD_PORT: "abc", TENFOLD_MAX_SESSIONS: "-2" }))
        assert.include(error.message, `["port"]`)
        assert.include(error.message, `["maxSessions"]`)
      }))
  })

  describe("fromFile and fromObject", () => {
    it.effect("reads a JSON file", () =>
      Effect.gen(function*() {
        const file = yield* configFile(JSON.stringify({ port: 9000, allowedHosts: ["x.example"] }))
        assert.deepStrictEqual(yield* fromFile(file), { port: 9000, allowedHosts: ["x.example"] })
      }))

    it.effect("rejects an unknown key, naming it and the file", () =>
      Effect.gen(function*() {
        const file = yield* configFile(JSON.stringify({ port: 9000, prot: 1 }))
        const error = yield* Effect.flip(fromFile(file))
        assert.instanceOf(error, ConfigError)
        assert.strictEqual(error.source, file)
        assert.include(error.message, "prot")
      }))

    it.effect("rejects a file that is not JSON or cannot be read", () =>
      Effect.gen(function*() {
        const file = yield* configFile("{ port: 1 ")
        assert.include((yield* Effect.flip(fromFile(file))).message, "not valid JSON")
        assert.include((yield* Effect.flip(fromFile(join(tmpdir(), "tenfold-no-such-dir", "x.json")))).message, "cannot read")
      }))

    it.effect("reads per-tool cache settings and rejects bad ones naming the tool", () =>
      Effect.gen(function*() {
        const good = { redisUrl: "redis://127.0.0.1:6379", cacheTools: { text_stats: { ttl: 300000, shared: true }, fetch: false as const } }
        assert.deepStrictEqual(yield* fromFile(yield* configFile(JSON.stringify(good))), good)
        const bad = yield* Effect.flip(fromFile(yield* configFile(JSON.stringify({ cacheTools: { text_stats: { ttl: -5 } } }))))
        assert.include(bad.message, "text_stats")
        const url = yield* Effect.flip(fromObject("flags", { redisUrl: "http://nope" }))
        assert.include(url.message, "redisUrl")
      }))

    it.effect("fromObject names the source and the field", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromObject("flags", { port: 70000 }))
        assert.strictEqual(error.source, "flags")
        assert.include(error.message, `["port"]`)
        assert.deepStrictEqual(yield* fromObject("flags", { port: 0 }), { port: 0 })
      }))
  })

  describe("resolve", () => {
    it("fills the defaults and lets later layers win", () => {
      const config = resolve({ port: 1, host: "file-host" }, { port: 2 }, { port: 3, stdio: true })
      assert.strictEqual(config.port, 3)
      assert.strictEqual(config.host, "file-host")
      assert.strictEqual(config.stdio, true)
      assert.strictEqual(config.path, defaults.path)
    })

    it("does not modify the defaults", () => {
      resolve({ port: 1 })
      assert.strictEqual(defaults.port, 3000)
    })
  })
})
