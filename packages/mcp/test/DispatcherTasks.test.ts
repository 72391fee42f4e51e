import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Dispatcher } from "../src/Dispatcher.ts"
import { ErrorCode } from "../src/JsonRpc.ts"
import { type Answer, bodyText, type Outbound, type Peer } from "../src/Peer.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { McpErrorCode, RELATED_TASK_META_KEY, TASKS_EXTENSION } from "../src/Protocol.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import { Tasks } from "../src/Tasks.ts"
import * as Tool from "../src/Tool.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"

const tools = [
  Tool.make({ name: "sync", description: "Never a task", input: Schema.Struct({}), handler: () => Effect.succeed("sync done") }),
  Tool.make({
    name: "slow",
    description: "Works `ms` milliseconds, reporting progress",
    input: Schema.Struct({ ms: Schema.Int }),
    taskSupport: "optional",
    timeoutMs: 0,
    handler: ({ ms }, ctx) =>
      Effect.gen(function*() {
        yield* ctx.progress(1, 2, "halfway")
        yield* Effect.sleep(ms)
        return `slept ${ms}`
      })
  }),
  Tool.make({ name: "must", description: "Only as a task", input: Schema.Struct({}), taskSupport: "required", handler: () => Effect.as(Effect.sleep(10), "must done") }),
  Tool.make({
    name: "asks",
    description: "Waits, then asks for confirmation",
    input: Schema.Struct({}),
    taskSupport: "optional",
    handler: (_, ctx) =>
      Effect.gen(function*() {
        yield* Effect.sleep(10)
        const answer = yield* ctx.elicit({ message: "Sure?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } })
        return `answered ${String(answer.action)}`
      })
  }),
  Tool.make({
    name: "breaks",
    description: "Fails at the protocol level",
    input: Schema.Struct({}),
    taskSupport: "optional",
    handler: () => Effect.andThen(Effect.sleep(10), Effect.fail(new Error("tool failure")))
  })
]

const layer = (options: Parameters<typeof Tasks.layer>[0] = {}) =>
  Dispatcher.layer({ serverInfo: { name: "t", version: "1" } }).pipe(
    Layer.provideMerge(Tasks.layer(options)),
    Layer.provide(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer()))
  )

const withExtension = { elicitation: {}, extensions: { [TASKS_EXTENSION]: {} } } as Peer["clientCapabilities"]

const stateless = (principal = "alice", clientCapabilities: Peer["clientCapabilities"] = withExtension): Peer => ({
  stateless: true,
  principal,
  clientCapabilities,
  logLevel: undefined,
  session: undefined
})

const session = (id = "s1", sent: Array<Record<string, any>> = []): Peer => ({ // any: messages are checked field by field
  stateless: false,
  principal: undefined,
  clientCapabilities: { elicitation: {} },
  logLevel: undefined,
  session: { id, logLevel: undefined, subscriptions: new Set(), send: (message) => void sent.push(JSON.parse(message)) }
})

const out: Outbound = { notify: () => {}, request: undefined }

interface Response {
  readonly status: number
  readonly result?: Record<string, any> // any: results are checked field by field
  readonly error?: { code: number; message: string; data?: any }
}

const send = (method: string, params: Record<string, unknown> | undefined, peer: Peer) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const handled = dispatcher.handle(1, method, params, peer, out)
    const answer: Answer = Effect.isEffect(handled) ? yield* handled : handled
    return { ...JSON.parse(bodyText(answer)), status: answer.status } as Response
  })

const ok = (r: Response): Record<string, any> => r.result ?? assert.fail(`expected a result, got ${JSON.stringify(r.error)}`) // any: see Response
const code = (r: Response): number => r.error?.code ?? assert.fail(`expected an error, got ${JSON.stringify(r.result)}`)

const call = (name: string, args: Record<string, unknown>, peer: Peer, extra: Record<string, unknown> = {}) =>
  send("tools/call", { name, arguments: args, ...extra }, peer)

describe("Dispatcher: MCP tasks", () => {
  describe("2026-07-28 (io.modelcontextprotocol/tasks)", () => {
    it.effect("advertises the extension in server/discover, the core tasks capability in initialize, and taskSupport in tools/list", () =>
      Effect.gen(function*() {
        const discovered = ok(yield* send("server/discover", {}, stateless()))
        assert.deepStrictEqual(discovered.capabilities.extensions, { [TASKS_EXTENSION]: {} })
        assert.isUndefined(discovered.capabilities.tasks)
        const dispatcher = yield* Dispatcher
        const init = dispatcher.initializeResult("2025-11-25").result.capabilities as Record<string, any> // any: checked by field
        assert.deepStrictEqual(init.tasks, { list: {}, cancel: {}, requests: { tools: { call: {} } } })
        assert.isUndefined(init.extensions)
        const listed = ok(yield* send("tools/list", {}, stateless())).tools as Array<Record<string, any>> // any: as above
        const support = Object.fromEntries(listed.map((t) => [t.name, t.execution?.taskSupport]))
        assert.deepStrictEqual(support, { sync: undefined, slow: "optional", must: "required", asks: "optional", breaks: "optional" })
      }).pipe(Effect.provide(layer())))

    it.effect("a task-supporting tool answers a flat CreateTaskResult; tasks/get shows progress, then the inlined result", () =>
      Effect.gen(function*() {
        const created = ok(yield* call("slow", { ms: 1000 }, stateless()))
        assert.strictEqual(created.resultType, "task")
        assert.strictEqual(created.status, "working")
        assert.isUndefined(created.task)
        assert.isTrue(Number.isInteger(created.ttlMs) && created.ttlMs > 0)
        assert.isTrue(Number.isInteger(created.pollIntervalMs))
        assert.match(created.createdAt, /^\d{4}-\d\d-\d\dT/)
        for (const legacy of ["ttl", "pollInterval", "result", "requestState"]) assert.notProperty(created, legacy)
        const working = ok(yield* send("tasks/get", { taskId: created.taskId }, stateless()))
        assert.strictEqual(working.resultType, "complete")
        assert.strictEqual(working.status, "working")
        assert.strictEqual(working.statusMessage, "halfway")
        assert.notProperty(working, "result")
        yield* TestClock.adjust(1000)
        const completed = ok(yield* send("tasks/get", { taskId: created.taskId }, stateless()))
        assert.strictEqual(completed.status, "completed")
        assert.deepStrictEqual(completed.result, { content: [{ type: "text", text: "slept 1000" }] })
      }).pipe(Effect.provide(layer())))

    it.effect("without the extension: optional runs inline, required answers -32021 naming it, tasks/* answer -32021", () =>
      Effect.gen(function*() {
        const plain = stateless("alice", {})
        const inline = ok(yield* Effect.andThen(Effect.forkChild(TestClock.adjust(1000)), call("slow", { ms: 5 }, plain)))
        assert.strictEqual(inline.resultType, "complete")
        assert.deepStrictEqual(inline.content, [{ type: "text", text: "slept 5" }])
        const refused = yield* call("must", {}, plain)
        assert.strictEqual(code(refused), McpErrorCode.MissingRequiredClientCapability)
        assert.deepStrictEqual(refused.error?.data, { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } })
        for (const method of ["tasks/get", "tasks/update", "tasks/cancel"]) {
          assert.strictEqual(code(yield* send(method, { taskId: "x", inputResponses: {} }, plain)), McpErrorCode.MissingRequiredClientCapability)
        }
        const legacy = ok(yield* call("sync", {}, stateless(), { task: { ttl: 1000 } }))
        assert.strictEqual(legacy.resultType, "complete")
      }).pipe(Effect.provide(layer())))

    it.effect("tasks/result and tasks/list do not exist; unknown, malformed and other principals' ids answer -32602", () =>
      Effect.gen(function*() {
        assert.strictEqual(code(yield* send("tasks/result", { taskId: "x" }, stateless())), ErrorCode.MethodNotFound)
        assert.strictEqual(code(yield* send("tasks/list", {}, stateless())), ErrorCode.MethodNotFound)
        const created = ok(yield* call("slow", { ms: 1000 }, stateless("alice")))
        for (const params of [{ taskId: "nope" }, {}, { taskId: 7 }, { taskId: "x".repeat(300) }]) {
          assert.strictEqual(code(yield* send("tasks/get", params, stateless())), ErrorCode.InvalidParams)
        }
        const stolen = yield* send("tasks/get", { taskId: created.taskId }, stateless("mallory"))
        assert.strictEqual(code(stolen), ErrorCode.InvalidParams)
        assert.include(stolen.error?.message, "Unknown task")
        assert.strictEqual(code(yield* send("tasks/cancel", { taskId: created.taskId }, stateless("mallory"))), ErrorCode.InvalidParams)
        assert.strictEqual(ok(yield* send("tasks/get", { taskId: created.taskId }, stateless("alice"))).status, "working")
      }).pipe(Effect.provide(layer())))

    it.effect("tasks/cancel acks with an empty complete result, idempotently; the task settles as cancelled", () =>
      Effect.gen(function*() {
        const created = ok(yield* call("slow", { ms: 60_000 }, stateless()))
        const ack = ok(yield* send("tasks/cancel", { taskId: created.taskId }, stateless()))
        assert.strictEqual(ack.resultType, "complete")
        for (const field of ["taskId", "status", "result", "error"]) assert.notProperty(ack, field)
        assert.strictEqual(ok(yield* send("tasks/get", { taskId: created.taskId }, stateless())).status, "cancelled")
        assert.strictEqual(ok(yield* send("tasks/cancel", { taskId: created.taskId }, stateless())).resultType, "complete")
      }).pipe(Effect.provide(layer())))

    it.effect("input asked while running parks the task (input_required + inputRequests); tasks/update resumes it", () =>
      Effect.gen(function*() {
        const created = ok(yield* call("asks", {}, stateless()))
        yield* TestClock.adjust(10)
        const waiting = ok(yield* send("tasks/get", { taskId: created.taskId }, stateless()))
        assert.strictEqual(waiting.status, "input_required")
        const [key] = Object.keys(waiting.inputRequests)
        assert.strictEqual(waiting.inputRequests[key!].method, "elicitation/create")
        assert.strictEqual(code(yield* send("tasks/update", { taskId: created.taskId, inputResponses: "yes" }, stateless())), ErrorCode.InvalidParams)
        const ack = ok(yield* send("tasks/update", { taskId: created.taskId, inputResponses: { [key!]: { action: "accept", content: { ok: true } } } }, stateless()))
        assert.deepStrictEqual(Object.keys(ack).filter((k) => k !== "_meta"), ["resultType"])
        yield* TestClock.adjust(10)
        const done = ok(yield* send("tasks/get", { taskId: created.taskId }, stateless()))
        assert.strictEqual(done.status, "completed")
        assert.deepStrictEqual(done.result.content, [{ type: "text", text: "answered accept" }])
      }).pipe(Effect.provide(layer())))

    it.effect("input the client's capabilities do not cover fails the task with -32021 naming it", () =>
      Effect.gen(function*() {
        const created = ok(yield* call("asks", {}, stateless("alice", { extensions: { [TASKS_EXTENSION]: {} } } as Peer["clientCapabilities"])))
        yield* TestClock.adjust(10)
        const failed = ok(yield* send("tasks/get", { taskId: created.taskId }, stateless("alice")))
        assert.strictEqual(failed.status, "failed")
        assert.strictEqual(failed.error.code, McpErrorCode.MissingRequiredClientCapability)
        assert.deepStrictEqual(failed.error.data, { requiredCapabilities: { elicitation: { form: {} } } })
      }).pipe(Effect.provide(layer())))

    it.effect("a tool's failure completes the task with isError; bad arguments answer -32602 before any task exists", () =>
      Effect.gen(function*() {
        const created = ok(yield* call("breaks", {}, stateless()))
        yield* TestClock.adjust(10)
        const done = ok(yield* send("tasks/get", { taskId: created.taskId }, stateless()))
        assert.strictEqual(done.status, "completed")
        assert.isTrue(done.result.isError)
        assert.strictEqual(code(yield* call("slow", { ms: "soon" }, stateless())), ErrorCode.InvalidParams)
        const tasks = yield* Tasks
        assert.strictEqual(tasks.size(), 1)
      }).pipe(Effect.provide(layer())))

    it.effect("a task expires after its TTL: tasks/get then answers -32602", () =>
      Effect.gen(function*() {
        const created = ok(yield* call("slow", { ms: 1 }, stateless()))
        assert.strictEqual(created.ttlMs, 5000)
        yield* TestClock.adjust(4000)
        assert.strictEqual(ok(yield* send("tasks/get", { taskId: created.taskId }, stateless())).status, "completed")
        yield* TestClock.adjust(2000)
        assert.strictEqual(code(yield* send("tasks/get", { taskId: created.taskId }, stateless())), ErrorCode.InvalidParams)
      }).pipe(Effect.provide(layer({ defaultTtlMs: 5000 }))))

    it.effect("too many tasks for one principal: -32000 with the bound and a retry hint", () =>
      Effect.gen(function*() {
        for (let i = 0; i < 2; i++) ok(yield* call("slow", { ms: 60_000 }, stateless()))
        const refused = yield* call("slow", { ms: 60_000 }, stateless())
        assert.strictEqual(code(refused), ErrorCode.ServerBusy)
        assert.strictEqual(refused.error?.data.maxTasksPerOwner, 2)
        ok(yield* call("slow", { ms: 60_000 }, stateless("bob")))
      }).pipe(Effect.provide(layer({ maxTasksPerOwner: 2 }))))
  })

  describe("2025-11-25 sessions (core tasks)", () => {
    it.effect("params.task creates a task: tasks/get, tasks/list, tasks/result (blocks, tied to the task), status notifications", () =>
      Effect.gen(function*() {
        const sent: Array<Record<string, any>> = [] // any: checked by field
        const peer = session("s1", sent)
        const created = ok(yield* call("slow", { ms: 100 }, peer, { task: { ttl: 60_000 } })).task
        assert.strictEqual(created.status, "working")
        assert.strictEqual(created.ttl, 60_000)
        assert.isNumber(created.pollInterval)
        assert.strictEqual(ok(yield* send("tasks/get", { taskId: created.taskId }, peer)).status, "working")
        assert.deepStrictEqual(ok(yield* send("tasks/list", {}, peer)).tasks.map((t: { taskId: string }) => t.taskId), [created.taskId])
        assert.deepStrictEqual(ok(yield* send("tasks/list", {}, session("s2"))).tasks, [])
        assert.strictEqual(code(yield* send("tasks/get", { taskId: created.taskId }, session("s2"))), ErrorCode.InvalidParams)
        const waiting = yield* Effect.forkChild(send("tasks/result", { taskId: created.taskId }, peer))
        yield* TestClock.adjust(100)
        const fetched = ok(yield* Fiber.join(waiting))
        assert.deepStrictEqual(fetched.content, [{ type: "text", text: "slept 100" }])
        assert.deepStrictEqual(fetched._meta[RELATED_TASK_META_KEY], { taskId: created.taskId })
        const statuses = sent.filter((m) => m.method === "notifications/tasks/status").map((m) => m.params.status)
        assert.deepStrictEqual(statuses, ["completed"])
        assert.strictEqual(code(yield* send("tasks/cancel", { taskId: created.taskId }, peer)), ErrorCode.InvalidParams)
      }).pipe(Effect.provide(layer())))

    it.effect("input: the server asks over the session's stream, tied to the task, which is input_required until the client answers", () =>
      Effect.gen(function*() {
        const sent: Array<Record<string, any>> = [] // any: checked by field
        const asked: Array<{ method: string; params: Record<string, any> }> = [] // any: as above
        const answer = yield* Deferred.make<unknown>()
        const base = session("s1", sent)
        const peer: Peer = {
          ...base,
          session: { ...base.session!, request: (method, params) => Effect.andThen(Effect.sync(() => void asked.push({ method, params })), Deferred.await(answer)) }
        }
        const created = ok(yield* call("asks", {}, peer, { task: {} })).task
        yield* TestClock.adjust(10)
        assert.strictEqual(ok(yield* send("tasks/get", { taskId: created.taskId }, peer)).status, "input_required")
        assert.deepStrictEqual(asked.map((a) => [a.method, a.params._meta[RELATED_TASK_META_KEY]]), [["elicitation/create", { taskId: created.taskId }]])
        yield* Deferred.succeed(answer, { action: "accept", content: { ok: true } })
        const fetched = ok(yield* send("tasks/result", { taskId: created.taskId }, peer))
        assert.deepStrictEqual(fetched.content, [{ type: "text", text: "answered accept" }])
        const statuses = sent.filter((m) => m.method === "notifications/tasks/status").map((m) => m.params.status)
        assert.deepStrictEqual(statuses, ["input_required", "working", "completed"])
      }).pipe(Effect.provide(layer())))

    it.effect("tasks/cancel answers the cancelled task; tasks/result of it answers -32602", () =>
      Effect.gen(function*() {
        const peer = session()
        const created = ok(yield* call("slow", { ms: 60_000 }, peer, { task: {} })).task
        const cancelled = ok(yield* send("tasks/cancel", { taskId: created.taskId }, peer))
        assert.strictEqual(cancelled.status, "cancelled")
        assert.strictEqual(code(yield* send("tasks/result", { taskId: created.taskId }, peer)), ErrorCode.InvalidParams)
      }).pipe(Effect.provide(layer())))

    it.effect("refuses what the tool's taskSupport forbids with -32601, a malformed params.task with -32602, and tasks/update", () =>
      Effect.gen(function*() {
        const peer = session()
        assert.strictEqual(code(yield* call("must", {}, peer)), ErrorCode.MethodNotFound)
        assert.strictEqual(code(yield* call("sync", {}, peer, { task: {} })), ErrorCode.MethodNotFound)
        for (const task of ["soon", 5, [], { ttl: -1 }, { ttl: "1" }, { ttl: Number.NaN }]) {
          assert.strictEqual(code(yield* call("slow", { ms: 1 }, peer, { task })), ErrorCode.InvalidParams)
        }
        assert.strictEqual(code(yield* send("tasks/update", { taskId: "x", inputResponses: {} }, peer)), ErrorCode.MethodNotFound)
        assert.strictEqual(code(yield* send("tasks/list", { cursor: 5 }, peer)), ErrorCode.InvalidParams)
        assert.strictEqual(code(yield* send("tasks/list", { cursor: "forged" }, peer)), ErrorCode.InvalidParams)
      }).pipe(Effect.provide(layer())))
  })

  it.effect("fuzz: arbitrary task params never crash the dispatcher and answer a result or a JSON-RPC error", () =>
    Effect.gen(function*() {
      let seed = 11
      const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648)
      const values: Array<unknown> = [undefined, null, 0, -1, 1e308, Number.NaN, "", "x".repeat(5000), [], [1], {}, { ttl: 5 }, { ttl: "5" }, { __proto__: { ttl: 1 } }, { taskId: "a" }]
      const pick = () => values[next() % values.length]
      const methods = ["tasks/get", "tasks/result", "tasks/list", "tasks/cancel", "tasks/update", "tools/call"]
      const peers = [stateless(), stateless("p", {}), session()]
      for (let i = 0; i < 400; i++) {
        const method = methods[next() % methods.length]!
        const params = method === "tools/call"
          ? { name: ["slow", "must", "sync", "asks"][next() % 4], arguments: { ms: 1 }, task: pick() }
          : { taskId: pick(), cursor: pick(), inputResponses: pick() }
        const peer = peers[next() % peers.length]!
        const response = yield* Effect.raceFirst(send(method, params, peer), Effect.as(TestClock.adjust(1000), undefined))
        if (response === undefined) continue // tasks/result waiting on a task: not an answer to check
        assert.isTrue(response.result !== undefined || (typeof response.error?.code === "number" && typeof response.error.message === "string"))
      }
    }).pipe(Effect.provide(layer())))
})
