import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { PassThrough } from "node:stream"
import { Dispatcher } from "../src/Dispatcher.ts"
import { Notifications } from "../src/Notifications.ts"
import { MetaKey } from "../src/Protocol.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import { type StdioOptions, StdioTransport } from "../src/StdioTransport.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"
import { below, THROWING_METHOD, tools } from "./support/Fixtures.ts"

const TestLayer = StdioTransport.layer.pipe(
  Layer.provideMerge(Notifications.layer()),
  Layer.provideMerge(Dispatcher.layer({ serverInfo: { name: "t", version: "1" } })),
  Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer()))
)

/** Over the fixture dispatcher that throws for `test/throw`. */
const ThrowingLayer = StdioTransport.layer.pipe(Layer.provideMerge(below()))

const meta = { [MetaKey.protocolVersion]: "2026-07-28", [MetaKey.clientCapabilities]: {} }

/** A stdio connection over in-memory streams: send lines, await answer lines. */
const connect = (options?: StdioOptions) =>
  Effect.gen(function*() {
    const stdio = yield* StdioTransport
    const input = new PassThrough()
    const output = new PassThrough()
    const lines: Array<any> = []
    const waiters: Array<() => void> = []
    let buffer = ""
    output.on("data", (chunk: Buffer) => {
      buffer += chunk.toString()
      let nl: number
      while ((nl = buffer.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)))
        buffer = buffer.slice(nl + 1)
        waiters.splice(0).forEach((w) => w())
      }
    })
    const fiber = yield* Effect.forkChild(stdio.serve(input, output, options))
    const send = (message: unknown) => Effect.sync(() => input.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`))
    const until = (count: number) =>
      Effect.callback<ReadonlyArray<any>>((resume) => {
        const check = () => (lines.length >= count ? resume(Effect.succeed(lines)) : waiters.push(check))
        check()
      })
    return { send, until, fiber, end: Effect.sync(() => input.end()) }
  })

describe("StdioTransport", () => {
  it.effect("answers parse errors, invalid messages and both revisions on one connection", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      yield* c.send("{oops")
      yield* c.send({ id: 1, method: "ping" })
      yield* c.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "hi" }, _meta: meta } })
      yield* c.send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "ho" } } })
      const lines = yield* c.until(4)
      assert.strictEqual(lines[0].error.code, -32700)
      assert.strictEqual(lines[1].error.code, -32600)
      assert.strictEqual(lines[2].result.resultType, "complete")
      assert.deepStrictEqual(lines[3].result, { content: [{ type: "text", text: "ho" }] })
      yield* c.end
      yield* Fiber.join(c.fiber)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("rejects an unsupported stateless revision with -32022", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { ...meta, [MetaKey.protocolVersion]: "2099-01-01" } } })
      const [line] = yield* c.until(1)
      assert.strictEqual(line.error.code, -32022)
      assert.deepStrictEqual(line.error.data.supported, ["2026-07-28"])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("acknowledges subscriptions/listen and tags list changes with the subscription id", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      yield* c.send({ jsonrpc: "2.0", id: "sub", method: "subscriptions/listen", params: { notifications: { toolsListChanged: true }, _meta: meta } })
      yield* c.until(1)
      yield* ToolRegistry.use((r) => r.remove("echo"))
      const lines = yield* c.until(2)
      assert.strictEqual(lines[0].method, "notifications/subscriptions/acknowledged")
      assert.deepStrictEqual(lines[1], {
        jsonrpc: "2.0",
        method: "notifications/tools/list_changed",
        params: { _meta: { [MetaKey.subscriptionId]: "sub" } }
      })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("stops a call on notifications/cancelled without answering it", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      yield* c.send({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "wait", arguments: { ms: 60_000 } } })
      yield* c.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 7 } })
      yield* c.send({ jsonrpc: "2.0", id: 8, method: "ping" })
      const lines = yield* c.until(1)
      assert.deepStrictEqual(lines.map((l) => l.id), [8])
      yield* c.end
      yield* Fiber.join(c.fiber)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("answers -32603 to a line whose handling throws, for that line alone, in both revisions", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      yield* c.send({ jsonrpc: "2.0", id: 1, method: THROWING_METHOD, params: { _meta: meta } })
      yield* c.send({ jsonrpc: "2.0", id: 2, method: THROWING_METHOD })
      yield* c.send({ jsonrpc: "2.0", id: 3, method: "ping" })
      const lines = yield* c.until(3)
      assert.deepStrictEqual(lines.map((l) => [l.id, l.error?.code]), [[1, -32603], [2, -32603], [3, undefined]])
      yield* c.end
      yield* Fiber.join(c.fiber)
    }).pipe(Effect.provide(ThrowingLayer)))

  it.live("answers ServerBusy with a retry hint past maxInflightCalls", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxInflightCalls: 1 })
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wait", arguments: { ms: 100 } } })
      yield* c.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "wait", arguments: { ms: 1 } } })
      const lines = yield* c.until(2)
      assert.deepStrictEqual(lines[0].error, {
        code: -32000,
        message: "Server busy: 1 calls are in flight on this connection; retry later",
        data: { retryAfterMs: 1000, limit: "maxInflightCalls" }
      })
      assert.strictEqual(lines[1].id, 1)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("forwards server log messages to an initialized session whose level admits them", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      yield* c.send({ jsonrpc: "2.0", method: "notifications/initialized" })
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "warning" } })
      yield* c.until(1)
      const notifications = yield* Notifications
      yield* notifications.publish({ _tag: "Log", level: "info", data: "not shown" })
      yield* notifications.publish({ _tag: "Log", level: "error", logger: "disk", data: "full" })
      const lines = yield* c.until(2)
      assert.deepStrictEqual(lines[1], { jsonrpc: "2.0", method: "notifications/message", params: { level: "error", logger: "disk", data: "full" } })
    }).pipe(Effect.provide(TestLayer)))

  it.live("lets a call in flight finish when the connection is interrupted (shutdown)", () =>
    Effect.gen(function*() {
      const c = yield* connect({ shutdownGraceMs: 5_000 })
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wait", arguments: { ms: 100 } } })
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(c.fiber)
      const [line] = yield* c.until(1)
      assert.deepStrictEqual(line.result, { content: [{ type: "text", text: "waited 100" }] })
    }).pipe(Effect.provide(TestLayer)))

  it.live("cancels calls still running after the grace period, with an answer", () =>
    Effect.gen(function*() {
      const c = yield* connect({ shutdownGraceMs: 0 })
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wait", arguments: { ms: 60_000 } } })
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(c.fiber)
      const [line] = yield* c.until(1)
      assert.strictEqual(line.id, 1)
      assert.include(line.error.message, "shutting down")
    }).pipe(Effect.provide(TestLayer)))
})
