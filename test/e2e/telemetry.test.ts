/**
 * Telemetry end to end: `/metrics` behind the bearer gate, scraped after real MCP traffic and
 * parsed as Prometheus text; `tenfold_stats` through the SDK client; series stay bounded whatever
 * method and tool names clients send; `metrics: false` takes `/metrics` away.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { HttpServer } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { builtinTools, statsLayer } from "@tenfold/server"
import { Effect, Layer, ManagedRuntime, Metric } from "effect"
import { availableParallelism } from "node:os"
import parse from "parse-prometheus-text-format"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { modernBody, modernHeaders, raw, testTools } from "./support.ts"

const TOKEN = "telemetry-test-token"
const auth = { authorization: `Bearer ${TOKEN}` }

/** Tenfold with the built-in, test and stats tools, bearer auth on, on a free port. */
const start = async (overrides: Config.ConfigInput = {}) => {
  const config = Config.resolve({ port: 0, cacheDir: "", tokens: `${TOKEN}=alice` }, overrides)
  const runtime = ManagedRuntime.make(Tenfold.serveHttp(config).pipe(
    Layer.provideMerge(statsLayer.pipe(Layer.provideMerge(Tenfold.layer(config, { tools: [...builtinTools, ...testTools] })))),
    // each server its own registry, so one test file's servers do not see each other's series
    Layer.provide(Layer.succeed(Metric.MetricRegistry, new Map()))
  ))
  const server = await runtime.runPromise(HttpServer.use(Effect.succeed))
  return { base: server.url, mcp: `${server.url}${config.path}`, close: () => runtime.dispose() }
}

let server: Awaited<ReturnType<typeof start>>
let client: Client
beforeAll(async () => {
  server = await start()
  client = new Client({ name: "tenfold-telemetry-e2e", version: "1.0.0" })
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcp), { requestInit: { headers: auth } }))
})
afterAll(async () => {
  await client?.close()
  await server?.close()
})

const scrape = async () => {
  const response = await raw(`${server.base}/metrics`, { method: "GET", headers: auth })
  expect(response.status).toBe(200)
  expect(response.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8")
  return { text: response.body, families: parse(response.body) }
}

describe("/metrics", () => {
  it("is behind the same bearer gate as /mcp", async () => {
    expect((await raw(`${server.base}/metrics`, { method: "GET" })).status).toBe(401)
    expect((await raw(`${server.base}/metrics`, { method: "GET", headers: { authorization: "Bearer wrong" } })).status).toBe(401)
  })

  it("reports requests, tools, failures, the executor's pool, the cache and the process after traffic", async () => {
    for (let i = 0; i < 5; i++) await client.callTool({ name: "whoami", arguments: {} })
    for (let i = 0; i < 2; i++) expect((await client.callTool({ name: "flaky_lookup", arguments: { q: "x" } })).isError).toBe(true)
    await client.callTool({ name: "lookup", arguments: { q: "same" } })
    await client.callTool({ name: "lookup", arguments: { q: "same" } }) // answered by L1
    const { families, text } = await scrape()
    const family = (name: string) => families.find((f) => f.name === name)
    expect(family("tenfold_request_duration_seconds")?.type).toBe("HISTOGRAM")
    expect(text).toMatch(/^tenfold_request_duration_seconds_count\{method="tools\/call"\} 9$/m)
    expect(text).toMatch(/^tenfold_tool_duration_seconds_count\{tool="whoami"\} 5$/m)
    const toolFailures = family("tenfold_tool_failures_total")!
    expect(toolFailures.type).toBe("COUNTER")
    expect(toolFailures.metrics.map((m) => [m.labels?.tool, m.value])).toEqual([["flaky_lookup", "2"]])
    expect(family("tenfold_task_duration_seconds")?.type).toBe("HISTOGRAM")
    expect(family("tenfold_task_failures_total")?.metrics[0]?.value).toBe("2")
    expect(family("tenfold_pool_capacity")?.metrics).toContainEqual({ labels: { pool: "tools" }, value: "256" })
    expect(family("tenfold_pool_active")?.metrics).toContainEqual({ labels: { pool: "tools" }, value: "0" })
    // the resource manager's pools (on by default) and the worker threads (one per core by default) beside the executor's
    expect(family("tenfold_pool_capacity")?.metrics.map((m) => m.labels?.pool).sort()).toEqual(["cpu", "memory", "network", "tools", "workers"])
    expect(family("tenfold_pool_capacity")?.metrics).toContainEqual({ labels: { pool: "workers" }, value: String(Math.min(availableParallelism(), 256)) })
    expect(family("tenfold_pool_capacity")?.metrics).toContainEqual({ labels: { pool: "memory" }, value: "1024" })
    expect(family("tenfold_predictor_mae")?.metrics.map((m) => m.labels?.target).sort()).toEqual(["cpu", "duration", "memory", "network"])
    expect(family("tenfold_cache_hits_total")?.metrics.find((m) => m.labels?.tier === "memory")?.value).toBe("1")
    expect(Number(family("process_resident_memory_bytes")?.metrics[0]?.value)).toBeGreaterThan(0)
    expect(family("tenfold_alert_active")?.metrics.map((m) => m.labels?.rule).sort()).toEqual(["cache_hit_rate", "cpu", "latency_avg", "latency_p95", "throughput"])
  })

  it("keeps method and tool series bounded whatever names clients send", async () => {
    for (let i = 0; i < 300; i++) {
      const method = `made/up-${i}`
      await raw(server.mcp, { headers: { ...modernHeaders(method), ...auth }, body: modernBody(i, method) })
      await raw(server.mcp, { headers: { ...modernHeaders("tools/call", `nope-${i}`), ...auth }, body: modernBody(i, "tools/call", { name: `nope-${i}`, arguments: {} }) })
    }
    const { text } = await scrape()
    const labels = (label: string) => new Set([...text.matchAll(new RegExp(`^tenfold_\\w+_count\\{${label}="([^"]*)"`, "gm"))].map((m) => m[1]))
    expect([...labels("method")].filter((m) => m!.startsWith("made/"))).toEqual([])
    expect(labels("method").has("other")).toBe(true)
    expect([...labels("tool")].filter((t) => t!.startsWith("nope-"))).toEqual([])
  })
})

describe("tenfold_stats", () => {
  it("returns the telemetry snapshot as structured content to an SDK client", async () => {
    const { tools } = await client.listTools()
    expect(tools.find((t) => t.name === "tenfold_stats")?.annotations?.readOnlyHint).toBe(true)
    for (let i = 0; i < 3; i++) await client.callTool({ name: "whoami", arguments: {} })
    // the snapshot is as of the latest sample (one a second): wait for the one that saw the calls
    const stats = await vi.waitFor(async () => {
      const result = await client.callTool({ name: "tenfold_stats", arguments: {} })
      const snapshot = result.structuredContent as { tools: Array<{ name: string; count: number }> } & Record<string, any> // any: read as the TelemetrySnapshot it is
      expect(snapshot.tools.find((t) => t.name === "whoami")?.count).toBeGreaterThanOrEqual(3)
      return { result, snapshot }
    }, { timeout: 5000, interval: 200 })
    const { result, snapshot } = stats
    expect(JSON.parse((result.content as Array<{ text: string }>)[0]!.text)).toEqual(snapshot)
    expect(snapshot.windowSeconds).toBeGreaterThan(0)
    expect(snapshot.requests.count).toBeGreaterThanOrEqual(3)
    expect(snapshot.pools).toContainEqual(expect.objectContaining({ name: "tools", capacity: 256 }))
    expect(snapshot.process.rssBytes).toBeGreaterThan(0)
    expect(snapshot.cache.tiers.map((t: { tier: string }) => t.tier)).toContain("memory")
    expect(Array.isArray(snapshot.alerts)).toBe(true)
  })
})

describe("configuration", () => {
  it("serves no /metrics with metrics: false", async () => {
    const off = await start({ metrics: false })
    try {
      expect((await raw(`${off.base}/metrics`, { method: "GET", headers: auth })).status).toBe(404)
    } finally {
      await off.close()
    }
  })
})
