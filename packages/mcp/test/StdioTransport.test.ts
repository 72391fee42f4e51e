import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { PassThrough } from "node:stream"
import { Dispatcher } from "../src/Dispatcher.ts"
import { Notifications } from "../src/Notifications.ts"
import { MetaKey, TASKS_EXTENSION } from "../src/Protocol.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import { type StdioOptions, StdioTransport } from "../src/StdioTransport.ts"
import { Tasks } from "../src/Tasks.ts"
import * as Tool from "../src/Tool.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"
import { below, THROWING_METHOD, tools } from "./support/Fixtures.ts"

const TestLayer = StdioTransport.layer.pipe(
  Layer.provideMerge(Notifications.layer()),
  Layer.provideMerge(Dispatcher.layer({ serverInfo: { name: "t", version: "1" } })),
  Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer()))
)

/** With a task store and a tool that runs as a task for clients that support tasks. */
const TasksLayer = StdioTransport.layer.pipe(
  Layer.provideMerge(Notifications.layer()),
  Layer.provideMerge(Dispatcher.layer({ serverInfo: { name: "t", version: "1" } })),
  Layer.provideMerge(Tasks.layer()),
  Layer.provideMerge(Layer.mergeAll(
    ToolRegistry.layer([
      Tool.make({ name: "later", description: "Answers after a second", input: Schema.Struct({}), taskSupport: "optional", handler: () => Effect.as(Effect.sleep(1000), "done") })
    ]),
    ResourceRegistry.layer(),
    PromptRegistry.layer()
  ))
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
    const write = (text: string) => Effect.sync(() => input.write(text))
    /** Waits for `count` responses (lines with an id), notifications aside. */
    const answers = (count: number) =>
      Effect.callback<ReadonlyArray<any>>((resume) => {
        const check = () => {
          const found = lines.filter((l) => "id" in l)
          return found.length >= count ? resume(Effect.succeed(found)) : waiters.push(check)
        }
        check()
      })
    return { send, write, until, answers, fiber, end: Effect.sync(() => input.end()) }
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

describe("StdioTransport bounds", () => {
  const listen = (id: string, notifications: unknown = { toolsListChanged: true }) => ({ jsonrpc: "2.0", id, method: "subscriptions/listen", params: { notifications, _meta: meta } })

  it.effect("answers a line nested deeper than maxJsonDepth with -32600 before parsing it, and keeps serving", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxJsonDepth: 8 })
      yield* c.send(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":${"[".repeat(9)}${"]".repeat(9)}}}`)
      yield* c.send(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":${"[".repeat(6)}"[[[[[[[[[["${"]".repeat(6)}}}`)
      const lines = yield* c.until(2)
      assert.deepStrictEqual(lines[0], { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: the message nests deeper than 8 levels" } })
      assert.deepStrictEqual(lines[1], { jsonrpc: "2.0", id: 2, result: {} })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("answers a line longer than maxLineBytes as soon as it passes the bound, discards it up to its newline, and keeps serving", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxLineBytes: 1000 })
      // no newline yet: the answer must not wait for the line to end
      yield* c.write(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${"a".repeat(3000)}`)
      const [tooLong] = yield* c.until(1)
      assert.deepStrictEqual(tooLong, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: the line is longer than 1000 bytes" } })
      yield* c.write(`${"a".repeat(5000)}"}}\n`)
      yield* c.send({ jsonrpc: "2.0", id: 2, method: "ping" })
      const lines = yield* c.until(2)
      assert.deepStrictEqual(lines[1], { jsonrpc: "2.0", id: 2, result: {} })
      yield* c.end
      yield* Fiber.join(c.fiber)
      assert.strictEqual(lines.length, 2)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("reads lines split across chunks, several lines per chunk, CRLF, and a last line without a newline", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxLineBytes: 1000 })
      yield* c.write(`{"jsonrpc":"2.0","id":1,"meth`)
      yield* c.write(`od":"ping"}\r\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n\n{"jsonrpc":"2.0","id":3,`)
      yield* c.write(`"method":"ping"}`)
      yield* c.end
      yield* Fiber.join(c.fiber)
      const lines = yield* c.until(3)
      assert.deepStrictEqual(lines.map((l) => l.id), [1, 2, 3])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("caps subscriptions/listen streams per connection with ServerBusy; a cancelled one frees its slot", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxListenStreams: 2 })
      yield* c.send(listen("a"))
      yield* c.send(listen("b"))
      yield* c.send(listen("c"))
      const lines = yield* c.until(3)
      assert.deepStrictEqual(lines.slice(0, 2).map((l) => l.method), ["notifications/subscriptions/acknowledged", "notifications/subscriptions/acknowledged"])
      assert.deepStrictEqual(lines[2], {
        jsonrpc: "2.0",
        id: "c",
        error: { code: -32000, message: "Server busy: this connection already holds 2 subscriptions/listen streams; cancel one first", data: { retryAfterMs: 1000, limit: "maxListenStreamsPerPrincipal" } }
      })
      yield* c.send(listen("a"))
      yield* c.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "b" } })
      yield* c.send(listen("d"))
      const after = yield* c.until(6)
      assert.strictEqual(after[3].method, "notifications/subscriptions/acknowledged")
      assert.deepStrictEqual(after[4], { jsonrpc: "2.0", id: "b", result: { resultType: "complete", _meta: { [MetaKey.subscriptionId]: "b" } } })
      assert.strictEqual(after[5].params._meta[MetaKey.subscriptionId], "d")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("refuses a listen filter past its bounds with -32602 and keeps only the known keys", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxListenFilterUris: 2, maxListenFilterBytes: 100 })
      yield* c.send(listen("many", { resourceSubscriptions: ["a://1", "a://2", "a://3"] }))
      yield* c.send(listen("long", { resourceSubscriptions: [`a://${"x".repeat(5000)}`] }))
      yield* c.send(listen("big", { resourceSubscriptions: [`a://${"x".repeat(60)}`, `b://${"x".repeat(60)}`] }))
      yield* c.send(listen("ok", { resourceSubscriptions: ["a://1"], toolsListChanged: true, junk: "j".repeat(1000) }))
      const lines = yield* c.until(4)
      assert.deepStrictEqual(lines.slice(0, 3).map((l) => [l.id, l.error?.code]), [["many", -32602], ["long", -32602], ["big", -32602]])
      assert.deepStrictEqual(lines[3].params.notifications, { toolsListChanged: true, resourceSubscriptions: ["a://1"] })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("refuses initialize whose capabilities are larger than maxClientCapabilitiesBytes with -32602", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxClientCapabilitiesBytes: 1000 })
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { x: "c".repeat(2000) }, clientInfo: { name: "t", version: "1" } } })
      yield* c.send({ jsonrpc: "2.0", id: 2, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { roots: {} }, clientInfo: { name: "t", version: "1" } } })
      const lines = yield* c.until(2)
      assert.deepStrictEqual(lines[0].error, { code: -32602, message: "Invalid params: the client capabilities take more than 1000 characters as JSON", data: { maxClientCapabilitiesBytes: 1000 } })
      assert.strictEqual(lines[1].result.protocolVersion, "2025-11-25")
    }).pipe(Effect.provide(TestLayer)))

  it.live("counts calls that reuse one id against maxInflightCalls", () =>
    Effect.gen(function*() {
      const c = yield* connect({ maxInflightCalls: 2 })
      for (let i = 0; i < 5; i++) yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wait", arguments: { ms: 200 } } })
      const lines = yield* c.until(5)
      assert.strictEqual(lines.filter((l) => l.error?.code === -32000).length, 3)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("refuses a progress token longer than 256 characters (echoed in every progress notification) with -32602, in both revisions", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      const long = "p".repeat(257)
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "count", arguments: { to: 2 }, _meta: { progressToken: long } } })
      yield* c.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "count", arguments: { to: 2 }, _meta: { ...meta, progressToken: long } } })
      yield* c.send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "count", arguments: { to: 2 }, _meta: { progressToken: { nested: [1] } } } })
      yield* c.send({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "count", arguments: { to: 1 }, _meta: { progressToken: "p".repeat(256) } } })
      const answers = yield* c.answers(4)
      assert.deepStrictEqual(answers.map((l) => [l.id, l.error?.code]), [[1, -32602], [2, -32602], [3, -32602], [4, undefined]])
      assert.strictEqual(answers[0].error.message, "Invalid params: _meta.progressToken must be a string of at most 256 characters or a number")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("tasks: a stateless listen stream naming a task (tasksStatus) receives its status change; without the extension it is refused with -32021", () =>
    Effect.gen(function*() {
      const c = yield* connect()
      const withTasks = { ...meta, [MetaKey.clientCapabilities]: { extensions: { [TASKS_EXTENSION]: {} } } }
      yield* c.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "later", arguments: {}, _meta: withTasks } })
      const [created] = yield* c.answers(1)
      assert.strictEqual(created.result.resultType, "task")
      yield* c.send({ jsonrpc: "2.0", id: 2, method: "subscriptions/listen", params: { notifications: { tasksStatus: [created.result.taskId] }, _meta: meta } })
      yield* c.send({ jsonrpc: "2.0", id: 3, method: "subscriptions/listen", params: { notifications: { tasksStatus: [created.result.taskId] }, _meta: withTasks } })
      const [, refused] = yield* c.answers(2)
      assert.strictEqual(refused.error.code, -32021)
      yield* TestClock.adjust(1000)
      const lines = yield* c.until(4)
      const status = lines.find((l) => l.method === "notifications/tasks/status")
      assert.deepStrictEqual([status.params.taskId, status.params.status, status.params._meta[MetaKey.subscriptionId]], [created.result.taskId, "completed", 3])
      yield* c.end
    }).pipe(Effect.provide(TasksLayer)))
})
