import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import parse from "parse-prometheus-text-format"
import * as Prometheus from "../src/Prometheus.ts"
import { RequestMetrics } from "../src/RequestMetrics.ts"

/** A real HTTP server answering every path with the handler, for the test's scope. */
const serve = Effect.gen(function*() {
  const handle = yield* Prometheus.handler
  const server = yield* Effect.acquireRelease(
    Effect.callback<ReturnType<typeof createServer>>((resume) => {
      const s = createServer(handle).listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
})

describe("Prometheus", () => {
  it.effect("serves the registry as Prometheus text a parser reads back: histograms in seconds, counters as _total", () =>
    Effect.gen(function*() {
      const metrics = yield* RequestMetrics
      const call = metrics.method("tools/call")
      call.record(0.004, false)
      call.record(0.02, true)
      metrics.tool("echo").record(0.004, false)
      const url = yield* serve
      const response = yield* Effect.promise(() => fetch(url))
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("content-type"), Prometheus.contentType)
      const families = parse(yield* Effect.promise(() => response.text()))
      // the parser merges a labelled histogram's series into one (and drops its labels): one series each here
      const duration = families.find((f) => f.name === "tenfold_request_duration_seconds")!
      assert.strictEqual(duration.type, "HISTOGRAM")
      const buckets = Object.entries(duration.metrics[0]!.buckets!)
      assert.deepStrictEqual(buckets.at(-1), ["+Inf", "2"])
      const count = (le: number) => buckets.find(([bound]) => Number(bound) >= le)![1]
      assert.strictEqual(count(0.004), "1") // 4 ms is in the first bucket at or above 4 ms …
      assert.strictEqual(count(0.02), "2") // … 20 ms in the first at or above 20 ms
      assert.isTrue(buckets.every(([bound]) => bound === "+Inf" || Number(bound) > 0))
      const failures = families.find((f) => f.name === "tenfold_request_failures_total")!
      assert.strictEqual(failures.type, "COUNTER")
      assert.deepStrictEqual(failures.metrics.map((m) => [m.labels?.method, m.value]), [["tools/call", "1"]])
      assert.strictEqual(families.find((f) => f.name === "tenfold_tool_duration_seconds")?.type, "HISTOGRAM")
      assert.match(yield* Effect.promise(() => fetch(url).then((r) => r.text())), /^tenfold_tool_duration_seconds_count\{tool="echo"\} 1$/m)
      const head = yield* Effect.promise(() => fetch(url, { method: "HEAD" }))
      assert.strictEqual(head.status, 200)
      assert.strictEqual((yield* Effect.promise(() => head.text())), "")
      assert.strictEqual((yield* Effect.promise(() => fetch(url, { method: "POST" }))).status, 405)
    }).pipe(Effect.provide(RequestMetrics.layer), Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("keeps tool series bounded whatever names it is asked for", () =>
    Effect.gen(function*() {
      const metrics = yield* RequestMetrics
      for (let i = 0; i < 5000; i++) metrics.tool(`tool-${i}`).record(0.001, false)
      const tools = new Set((yield* Metric.snapshot).filter((m) => m.id === "tenfold_tool_duration_seconds").map((m) => m.attributes?.tool))
      assert.strictEqual(tools.size, 1001)
      assert.isTrue(tools.has("other"))
    }).pipe(Effect.provide(RequestMetrics.layer), Effect.provideService(Metric.MetricRegistry, new Map())))
})
