/**
 * The `tenfold` binary with the standard OpenTelemetry variables set and `--log-format json`:
 * a tools/call that carries a W3C `traceparent` in `_meta` reaches a local OTLP/HTTP receiver as
 * a span of the client's trace, the tenfold metrics are exported beside it, and stderr holds only
 * JSON lines, the request-scoped ones with the request id and the trace id.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as OtlpReceiver from "../../packages/metrics/test/support/OtlpReceiver.ts"
import { startHttp, startStdio, type TenfoldHttpProcess } from "../support/TenfoldProcess.ts"
import { modernHeaders, modernMeta, raw } from "./support.ts"

const bin = fileURLToPath(new URL("../../services/server/bin/tenfold.js", import.meta.url))
const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const clientSpanId = "00f067aa0ba902b7"
const otherTraceId = "5c0f93a4c4b84c4a9f8b8a7b5c1d2e3f"

let receiver: OtlpReceiver.OtlpReceiver
let server: TenfoldHttpProcess
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
  server = await startHttp({
    args: ["--log-format", "json", "--log-level", "debug"],
    // short export delays so the test waits (bounded) for exports instead of for shutdown
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "tenfold-e2e", OTEL_BSP_SCHEDULE_DELAY: "50", OTEL_METRIC_EXPORT_INTERVAL: "200" }
  })
})
afterAll(async () => {
  await server?.stop()
  await receiver?.close()
})

const call = (id: number, name: string, args: Record<string, unknown>, traceparent: string) =>
  raw(server.url, {
    headers: modernHeaders("tools/call", name),
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args, _meta: { ...modernMeta, traceparent, tracestate: "tenfold=e2e" } } })
  })

describe("OpenTelemetry export and JSON logs of the binary", () => {
  it("exports a tools/call span in the client's trace, an error span for a failed call, and tenfold metrics", async () => {
    const ok = await call(1, "text_stats", { text: "Tracing works. It really does." }, `00-${traceId}-${clientSpanId}-01`)
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body).result.structuredContent.words).toBe(5)
    const unknown = await call(2, "no_such_tool", {}, `00-${otherTraceId}-${clientSpanId}-01`)
    expect(JSON.parse(unknown.body).error.code).toBe(-32602)

    await receiver.waitFor("both tools/call spans", () => receiver.spans().filter((s) => s.name.startsWith("tools/call")).length >= 2)
    const spans = receiver.spans()
    const good = spans.find((s) => s.name === "tools/call text_stats")!
    expect(good.traceId).toBe(traceId)
    expect(good.parentSpanId).toBe(clientSpanId)
    expect(good.attributes).toMatchObject({ "mcp.method.name": "tools/call", "gen_ai.tool.name": "text_stats", "jsonrpc.request.id": "1" })
    expect(good.status.code).not.toBe(2) // STATUS_CODE_ERROR
    expect(good.resource["service.name"]).toBe("tenfold-e2e")
    expect(spans.find((s) => s.name === "execute_tool text_stats")?.parentSpanId).toBe(good.spanId)
    // an unknown tool's name is the client's: kept out of the span's name and attributes
    const bad = spans.find((s) => s.name === "tools/call")!
    expect(bad.traceId).toBe(otherTraceId)
    expect(bad.status.code).toBe(2)
    expect(bad.attributes["error.type"]).toBe("-32602")
    expect(bad.attributes["gen_ai.tool.name"]).toBeUndefined()

    // Effect metrics of the dispatcher and of the cache, under their Prometheus names
    await receiver.waitFor("the tenfold request and cache metrics", () =>
      receiver.metricNames().has("tenfold_request_duration_seconds") && receiver.metricNames().has("tenfold_cache_misses_total"))
  })

  it("writes only JSON lines on stderr, the request-scoped ones carrying the request id and trace id", async () => {
    const lines = server.stderr().split("\n").filter((line) => line.trim() !== "")
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    for (const record of records) {
      expect(typeof record.time).toBe("string")
      expect(typeof record.level).toBe("string")
      expect(record.message).toBeDefined()
    }
    expect(records.some((r) => String(r.message).includes("serving MCP on"))).toBe(true)
    expect(records).toContainEqual(expect.objectContaining({
      level: "DEBUG",
      requestId: 2,
      traceId: otherTraceId,
      message: "tools/call answered JSON-RPC error -32602"
    }))
  })
})

describe("JSON logs over stdio", () => {
  it("keep stdout to JSON-RPC alone and stderr to JSON lines", async () => {
    const proc = startStdio({ args: ["--log-format", "json", "--log-level", "debug"] })
    let stdout = ""
    const answered = new Promise<void>((resolve) =>
      proc.child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString()
        if (stdout.includes(`"id":3`)) resolve()
      })
    )
    const params = { name: "no_such_tool", arguments: {}, _meta: { ...modernMeta, traceparent: `00-${traceId}-${clientSpanId}-01` } }
    proc.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params })}\n`)
    await answered
    proc.child.stdin.end()
    await proc.exited
    await proc.stop()
    const out = stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(out.every((message) => message.jsonrpc === "2.0")).toBe(true)
    const logs = proc.stderr().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(logs).toContainEqual(expect.objectContaining({ level: "DEBUG", requestId: 3, traceId }))
    expect(logs.some((r) => r.message === "tenfold stopped")).toBe(true)
  })
})

describe("a bad OTLP endpoint", () => {
  it("stops the binary at start with one JSON error line naming the variable's value", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0", "--log-format", "json"], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317" }
    })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => void (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    expect(code).toBe(2)
    const lines = stderr.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines).toEqual([expect.objectContaining({ level: "ERROR", message: expect.stringContaining("grpc://collector:4317/v1/traces") })])
  })
})

describe("shutdown", () => {
  it("flushes the spans and metrics still pending when the binary stops", async () => {
    const own = await OtlpReceiver.start()
    // nothing would be exported for a minute: only the flush at shutdown can deliver them
    const proc = await startHttp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: own.url, OTEL_BSP_SCHEDULE_DELAY: "60000", OTEL_METRIC_EXPORT_INTERVAL: "60000" } })
    try {
      const answer = await raw(proc.url, {
        headers: modernHeaders("tools/call", "text_stats"),
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "text_stats", arguments: { text: "Flushed at shutdown." }, _meta: { ...modernMeta, traceparent: `00-${traceId}-${clientSpanId}-01` } } })
      })
      expect(answer.status).toBe(200)
      expect(own.spans()).toEqual([])
      proc.child.kill("SIGTERM")
      expect(await proc.exited).toBe(0)
      expect(own.spans().map((s) => s.name)).toContain("tools/call text_stats")
      expect(own.metricNames().has("tenfold_request_duration_seconds")).toBe(true)
    } finally {
      await proc.stop()
      await own.close()
    }
  })
})
