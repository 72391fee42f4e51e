/**
 * Long calls as MCP tasks through the SDK client, against the conformance fixture served by
 * Tenfold in its own process: `slow_compute` (which declares task support) called as a task over
 * a 2025-11-25 session — created at once, polled, notified, listed, its result fetched, another
 * one cancelled — and by a 2026-07-28 client that declares the io.modelcontextprotocol/tasks
 * extension; and the built `tenfold` binary's `run_workflow` run as a task by the SDK client.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema
} from "@modelcontextprotocol/core"
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startHttp } from "../support/TenfoldProcess.ts"
import { modernHeaders, modernMeta, raw } from "./support.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
let fixture: ChildProcess
let url = ""
let client: Client
const notifications: Array<{ method: string; params?: Record<string, unknown> }> = []

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

beforeAll(async () => {
  const port = await freePort()
  fixture = spawn(process.execPath, ["test/fixture/serve.ts", "--port", String(port)], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "--conditions=@tenfold/source" },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  fixture.stderr!.on("data", (d: Buffer) => void (stderr += d))
  while (!stderr.includes("conformance fixture on")) {
    if (fixture.exitCode !== null) throw new Error(`the fixture exited: ${stderr}`)
    await once(fixture.stderr!, "data")
  }
  url = `http://127.0.0.1:${port}/mcp`
  client = new Client({ name: "tenfold-e2e-tasks", version: "1.0.0" })
  client.fallbackNotificationHandler = async (n) => void notifications.push(n as { method: string; params?: Record<string, unknown> })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
})
afterAll(async () => {
  await client?.close()
  fixture?.kill("SIGTERM")
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const terminal = new Set(["completed", "failed", "cancelled"])

describe("MCP tasks through the SDK client", () => {
  it("lists execution.taskSupport and declares the tasks capability", async () => {
    const { tools } = await client.listTools()
    expect(tools.find((t) => t.name === "slow_compute")?.execution?.taskSupport).toBe("optional")
    expect(tools.find((t) => t.name === "greet")?.execution).toBeUndefined()
    expect(client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } })
  })

  it("2025-11-25: a task is created at once, polled, listed, notified and its result fetched", async () => {
    const started = Date.now()
    const { task } = await client.request({ method: "tools/call", params: { name: "slow_compute", arguments: { seconds: 0.4, label: "e2e" }, task: { ttl: 60_000 } } }, CreateTaskResultSchema)
    expect(Date.now() - started).toBeLessThan(400)
    expect(task.status).toBe("working")
    expect(task.ttl).toBe(60_000)
    const listed = await client.request({ method: "tasks/list", params: {} }, ListTasksResultSchema)
    expect(listed.tasks.map((t) => t.taskId)).toContain(task.taskId)
    let polled = await client.request({ method: "tasks/get", params: { taskId: task.taskId } }, GetTaskResultSchema)
    for (let i = 0; i < 100 && !terminal.has(polled.status); i++) {
      await sleep(polled.pollInterval ?? 100)
      polled = await client.request({ method: "tasks/get", params: { taskId: task.taskId } }, GetTaskResultSchema)
    }
    expect(polled.status).toBe("completed")
    const result = await client.request({ method: "tasks/result", params: { taskId: task.taskId } }, CallToolResultSchema)
    expect(result.isError).toBeFalsy()
    expect(result.content).toEqual([{ type: "text", text: "Computed e2e in 0.4s" }])
    expect(result._meta?.["io.modelcontextprotocol/related-task"]).toEqual({ taskId: task.taskId })
    const statuses = notifications.filter((n) => n.method === "notifications/tasks/status" && n.params?.taskId === task.taskId).map((n) => n.params?.status)
    expect(statuses).toContain("completed")
  })

  it("2025-11-25: tasks/cancel stops a running task; another client cannot see it", async () => {
    const { task } = await client.request({ method: "tools/call", params: { name: "slow_compute", arguments: { seconds: 60 }, task: {} } }, CreateTaskResultSchema)
    const other = new Client({ name: "other", version: "1.0.0" })
    await other.connect(new StreamableHTTPClientTransport(new URL(url)))
    await expect(other.request({ method: "tasks/get", params: { taskId: task.taskId } }, GetTaskResultSchema)).rejects.toThrow(/Unknown task/)
    await other.close()
    const cancelled = await client.request({ method: "tasks/cancel", params: { taskId: task.taskId } }, CancelTaskResultSchema)
    expect(cancelled.status).toBe("cancelled")
    expect((await client.request({ method: "tasks/get", params: { taskId: task.taskId } }, GetTaskResultSchema)).status).toBe("cancelled")
  })

  it("2025-11-25: a task that needs input asks the client over the session's stream, tied to the task, and completes with the answer", async () => {
    const asking = new Client({ name: "tenfold-e2e-input", version: "1.0.0" }, { capabilities: { elicitation: {} } })
    const related: Array<unknown> = []
    asking.setRequestHandler("elicitation/create", async (request) => {
      related.push(request.params._meta?.["io.modelcontextprotocol/related-task"])
      return { action: "accept", content: { confirm: true } }
    })
    await asking.connect(new StreamableHTTPClientTransport(new URL(url)))
    try {
      const { task } = await asking.request({ method: "tools/call", params: { name: "confirm_delete", arguments: { filename: "e2e.txt" }, task: {} } }, CreateTaskResultSchema)
      const result = await asking.request({ method: "tasks/result", params: { taskId: task.taskId } }, CallToolResultSchema)
      expect(result.content).toEqual([{ type: "text", text: "Deleted e2e.txt" }])
      expect(related).toEqual([{ taskId: task.taskId }])
    } finally {
      await asking.close()
    }
  })

  it("2026-07-28: a client that declares the extension gets a task, polls it and reads the inlined result", async () => {
    const meta = { ...modernMeta, "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } } }
    const body = (id: number, method: string, params: Record<string, unknown>) => JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } })
    const created = JSON.parse((await raw(url, { headers: modernHeaders("tools/call", "slow_compute"), body: body(1, "tools/call", { name: "slow_compute", arguments: { seconds: 0.2 } }) })).body).result
    expect(created.resultType).toBe("task")
    let polled: Record<string, any> = {} // any: DetailedTask fields are checked one by one
    for (let i = 0; i < 100 && !terminal.has(polled.status); i++) {
      await sleep(100)
      polled = JSON.parse((await raw(url, { headers: modernHeaders("tasks/get", created.taskId), body: body(2, "tasks/get", { taskId: created.taskId }) })).body).result
    }
    expect(polled.status).toBe("completed")
    expect(polled.result.content).toEqual([{ type: "text", text: "Computed result in 0.2s" }])
    const list = await raw(url, { headers: modernHeaders("tasks/list"), body: body(3, "tasks/list", {}) })
    expect(JSON.parse(list.body).error.code).toBe(-32601)
  })

  it("2026-07-28: a subscriptions/listen stream naming the task in tasksStatus receives its status changes", async () => {
    const meta = { ...modernMeta, "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } } }
    const body = (id: number, method: string, params: Record<string, unknown>) => JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } })
    const created = JSON.parse((await raw(url, { headers: modernHeaders("tools/call", "slow_compute"), body: body(1, "tools/call", { name: "slow_compute", arguments: { seconds: 0.5 } }) })).body).result
    const abort = new AbortController()
    const response = await fetch(url, {
      method: "POST",
      headers: modernHeaders("subscriptions/listen"),
      body: body(7, "subscriptions/listen", { notifications: { tasksStatus: [created.taskId] } }),
      signal: abort.signal
    })
    const reader = response.body!.getReader()
    let text = ""
    while (!text.includes("\"status\":\"completed\"")) {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    abort.abort()
    const messages = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)))
    expect(messages[0].params.notifications).toEqual({ tasksStatus: [created.taskId] })
    const status = messages.find((m) => m.method === "notifications/tasks/status")
    expect(status.params).toMatchObject({ taskId: created.taskId, status: "completed", result: { content: [{ type: "text", text: "Computed result in 0.5s" }] } })
    expect(status.params._meta["io.modelcontextprotocol/subscriptionId"]).toBe(7)
  })
})

describe("run_workflow of the tenfold binary as a task", () => {
  it("runs as a 2025-11-25 task through the SDK client: created at once, its result fetched with tasks/result", async () => {
    const tenfold = await startHttp()
    const sdk = new Client({ name: "tenfold-e2e-workflow-task", version: "1.0.0" })
    try {
      await sdk.connect(new StreamableHTTPClientTransport(new URL(tenfold.url)))
      const { tools } = await sdk.listTools()
      expect(tools.find((t) => t.name === "run_workflow")?.execution?.taskSupport).toBe("optional")
      const steps = [
        { id: "a", tool: "text_stats", arguments: { text: "Tasks run in the background. Tasks end." } },
        { id: "b", tool: "text_stats", arguments: { text: "Then the result is fetched.", top: 1 }, dependsOn: ["a"] }
      ]
      const { task } = await sdk.request({ method: "tools/call", params: { name: "run_workflow", arguments: { steps }, task: { ttl: 60_000 } } }, CreateTaskResultSchema)
      expect(task.status).toBe("working")
      const result = await sdk.request({ method: "tasks/result", params: { taskId: task.taskId } }, CallToolResultSchema)
      expect(result.isError, JSON.stringify(result.structuredContent)).toBeFalsy()
      expect((result.structuredContent as { ok: number }).ok).toBe(2)
      expect((await sdk.request({ method: "tasks/get", params: { taskId: task.taskId } }, GetTaskResultSchema)).status).toBe("completed")
    } finally {
      await sdk.close()
      await tenfold.stop()
    }
  })
})

