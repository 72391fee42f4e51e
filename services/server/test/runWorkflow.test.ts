/**
 * `run_workflow` served by a real Tenfold runtime over HTTP and called by the SDK v2 client in
 * both revisions: references resolved between steps (text_stats → a test tool → text_stats),
 * progress notifications as steps finish, failure isolation and failFast, the workflow and step
 * timeouts, -32602 for bad workflows, and cancellation reaching the steps' tools.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { HttpServer, Tool } from "@tenfold/mcp"
import { Config, Tenfold } from "@tenfold/runtime"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runWorkflowLayer } from "../src/tools/runWorkflow/index.ts"
import { builtinTools } from "../src/tools/index.ts"

/** What the test tools saw on the server side. */
const probes = { started: 0, interrupted: 0 }

const testTools = [
  Tool.make({
    name: "shout",
    description: "Upper-cases a text",
    input: Schema.Struct({ text: Schema.String }),
    handler: ({ text }) => Effect.succeed(text.toUpperCase())
  }),
  Tool.make({
    name: "pair",
    description: "Answers its two arguments as structured content",
    input: Schema.Struct({ left: Schema.Unknown, right: Schema.Unknown }),
    output: Schema.Struct({ left: Schema.Unknown, right: Schema.Unknown }),
    handler: (args) => Effect.succeed(args)
  }),
  Tool.make({
    name: "shout_cached",
    description: "Upper-cases a text (read-only, so its results are cached)",
    input: Schema.Struct({ text: Schema.String }),
    annotations: { readOnlyHint: true },
    handler: ({ text }) => Effect.succeed(text.toUpperCase())
  }),
  Tool.make({
    name: "broken",
    description: "Always fails",
    input: Schema.Struct({}),
    handler: () => Effect.fail(new Tool.ToolError({ message: "the upstream is down" }))
  }),
  Tool.make({
    name: "sleepy",
    description: "Sleeps `ms` milliseconds",
    input: Schema.Struct({ ms: Schema.Int }),
    handler: ({ ms }) =>
      Effect.sync(() => void probes.started++).pipe(
        Effect.andThen(Effect.sleep(ms)),
        Effect.as(`slept ${ms}`),
        Effect.onInterrupt(() => Effect.sync(() => void probes.interrupted++))
      )
  })
]

let runtime: ManagedRuntime.ManagedRuntime<HttpServer, unknown>
let url: string
let cacheDir: string

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "tenfold-workflow-"))
  const config = Config.resolve({ port: 0, cacheDir }, {})
  runtime = ManagedRuntime.make(
    Layer.merge(Tenfold.serveHttp(config), runWorkflowLayer).pipe(Layer.provideMerge(Tenfold.layer(config, { tools: [...builtinTools, ...testTools] })))
  )
  const server = await runtime.runPromise(HttpServer.use(Effect.succeed))
  url = `${server.url}${config.path}`
})
afterAll(async () => {
  await runtime?.dispose()
  rmSync(cacheDir, { recursive: true, force: true })
})

const REVISIONS = [
  { name: "2025-11-25", options: {} },
  { name: "2026-07-28", options: { versionNegotiation: { mode: { pin: "2026-07-28" as const } } } }
] as const

interface Report {
  readonly id: string
  readonly tool: string
  readonly status: "ok" | "error" | "skipped"
  readonly result?: any // any: each step's result has its tool's shape
  readonly error?: string
  readonly reason?: string
  readonly durationMs?: number
}
interface Answer {
  readonly ok: number
  readonly error: number
  readonly skipped: number
  readonly steps: ReadonlyArray<Report>
}

const text = "The cat sat on the mat. The cat slept. A dog barked at the cat."

describe.each(REVISIONS)("run_workflow, revision $name", ({ options }) => {
  let client: Client
  beforeAll(async () => {
    client = new Client({ name: "workflow-test", version: "1.0.0" }, options)
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  })
  afterAll(() => client?.close())

  const run = async (args: Record<string, unknown>, onprogress?: (p: { progress: number; total?: number; message?: string }) => void) => {
    const result = await client.callTool({ name: "run_workflow", arguments: args }, onprogress === undefined ? {} : { onprogress })
    return { isError: result.isError === true, answer: result.structuredContent as unknown as Answer, text: (result.content as Array<{ text: string }>)[0]!.text }
  }
  const step = (answer: Answer, id: string) => answer.steps.find((s) => s.id === id)!

  it("is listed with its input schema", async () => {
    const { tools } = await client.listTools()
    const tool = tools.find((t) => t.name === "run_workflow")
    expect(tool?.inputSchema.required).toEqual(["steps"])
    expect(tool?.annotations?.readOnlyHint).toBe(false)
    const step = (tool?.inputSchema.properties as any).steps.items // any: a JSON Schema, read by path
    expect(step.properties.id.pattern).toBe("^[A-Za-z0-9_-]{1,64}$")
    expect(step.required).toEqual(["id", "tool"])
  })

  it("passes results between steps and reports progress as steps finish", async () => {
    const progress: Array<{ progress: number; total?: number; message?: string }> = []
    const { answer, isError, text: json } = await run({
      steps: [
        { id: "stats", tool: "text_stats", arguments: { text, top: 2 } },
        { id: "loud", tool: "shout", arguments: { text: "${steps.stats.topTerms[0].term}" } },
        { id: "both", tool: "pair", arguments: { left: "${steps.loud}", right: "${steps.stats.words}" } },
        { id: "again", tool: "text_stats", arguments: { text: "${steps.loud}" }, dependsOn: ["both"] },
        { id: "aside", tool: "sleepy", arguments: { ms: 1 } }
      ]
    }, (p) => void progress.push(p))
    expect(isError).toBe(false)
    expect(JSON.parse(json)).toEqual(answer)
    expect([answer.ok, answer.error, answer.skipped]).toEqual([5, 0, 0])
    expect(answer.steps.map((s) => s.id)).toEqual(["stats", "loud", "both", "again", "aside"])
    expect(step(answer, "stats").result.topTerms[0]).toEqual({ term: "cat", count: 3 })
    expect(step(answer, "loud").result).toBe("CAT")
    expect(step(answer, "both").result).toEqual({ left: "CAT", right: 15 })
    expect(step(answer, "again").result.words).toBe(1)
    expect(answer.steps.every((s) => typeof s.durationMs === "number")).toBe(true)
    // one notification at the start, then one per finished step, in the order they finish
    expect(progress.map((p) => p.progress)).toEqual([0, 1, 2, 3, 4, 5])
    expect(progress.every((p) => p.total === 5)).toBe(true)
    const finishedOrder = progress.slice(1).map((p) => /^Step (\S+)/.exec(p.message ?? "")?.[1])
    expect(finishedOrder.indexOf("stats")).toBeLessThan(finishedOrder.indexOf("loud"))
    expect(finishedOrder.indexOf("loud")).toBeLessThan(finishedOrder.indexOf("both"))
    expect(finishedOrder.indexOf("both")).toBeLessThan(finishedOrder.indexOf("again"))
  })

  it("isolates a failure: only the steps that need the failed one are skipped", async () => {
    const { answer, isError } = await run({
      steps: [
        { id: "down", tool: "broken" },
        { id: "needs", tool: "shout", arguments: { text: "${steps.down}" } },
        { id: "after", tool: "shout", arguments: { text: "x" }, dependsOn: ["needs"] },
        { id: "free", tool: "shout", arguments: { text: "free" } },
        { id: "badArgs", tool: "shout", arguments: { text: 42 } },
        { id: "badPath", tool: "shout", arguments: { text: "${steps.free.nothing}" } }
      ]
    })
    expect(isError).toBe(true)
    expect(step(answer, "down")).toMatchObject({ status: "error", error: "the upstream is down" })
    expect(step(answer, "needs")).toMatchObject({ status: "skipped" })
    expect(step(answer, "needs").reason).toContain("down")
    expect(step(answer, "after")).toMatchObject({ status: "skipped" })
    expect(step(answer, "free")).toMatchObject({ status: "ok", result: "FREE" })
    expect(step(answer, "badArgs").status).toBe("error")
    expect(step(answer, "badArgs").error).toMatch(/text/)
    expect(step(answer, "badPath").error).toContain("arguments.text: ${steps.free.nothing}: step \"free\"'s result has no .nothing")
    expect([answer.ok, answer.error, answer.skipped]).toEqual([1, 3, 2])
  })

  it("with failFast, stops the running steps and skips the rest at the first failure", async () => {
    const before = probes.interrupted
    const { answer } = await run({
      failFast: true,
      steps: [
        { id: "long", tool: "sleepy", arguments: { ms: 30_000 } },
        { id: "down", tool: "broken", dependsOn: [] },
        { id: "later", tool: "shout", arguments: { text: "${steps.long}" } }
      ]
    })
    expect(step(answer, "down").status).toBe("error")
    expect(step(answer, "long")).toMatchObject({ status: "error", error: "Stopped: step down failed and failFast is set" })
    expect(step(answer, "later")).toMatchObject({ status: "skipped", reason: "Not started: step down failed and failFast is set" })
    expect(probes.interrupted).toBe(before + 1)
  })

  it("stops at the workflow's timeout and at a step's, reporting what finished", async () => {
    const { answer } = await run({
      timeoutMs: 300,
      steps: [
        { id: "quick", tool: "shout", arguments: { text: "q" } },
        { id: "long", tool: "sleepy", arguments: { ms: 30_000 } },
        { id: "capped", tool: "sleepy", arguments: { ms: 30_000 }, timeoutMs: 50 },
        { id: "later", tool: "shout", arguments: { text: "${steps.long}" } }
      ]
    })
    expect(step(answer, "quick").status).toBe("ok")
    expect(step(answer, "long")).toMatchObject({ status: "error", error: "Stopped: the workflow timed out after 300 ms" })
    expect(step(answer, "capped").status).toBe("error")
    expect(step(answer, "capped").error).toMatch(/50 ms/)
    expect(step(answer, "later")).toMatchObject({ status: "skipped", reason: "Not started: the workflow timed out after 300 ms" })
  })

  it("runs a workflow as a step, but not a workflow in a workflow in a workflow (calls nest at most 2 deep)", async () => {
    const shout = { id: "x", tool: "shout", arguments: { text: "deep" } }
    const inner = { id: "inner", tool: "run_workflow", arguments: { steps: [shout] } }
    const { answer } = await run({ steps: [inner, { id: "deeper", tool: "run_workflow", arguments: { steps: [inner] } }] })
    expect(step(answer, "inner")).toMatchObject({ status: "ok", result: { ok: 1, steps: [{ id: "x", status: "ok", result: "DEEP" }] } })
    expect(step(answer, "deeper").status).toBe("error")
    expect(step(answer, "deeper").error).toContain("tools call tools at most 2 deep")
  })

  it("refuses a bad workflow with -32602 before running any step", async () => {
    const started = probes.started
    const refused = (args: Record<string, unknown>) =>
      client.callTool({ name: "run_workflow", arguments: args }).then(
        () => expect.fail("expected -32602"),
        (error: { code: number; message: string }) => ({ code: error.code, message: error.message })
      )
    const sleepy = { id: "s", tool: "sleepy", arguments: { ms: 1 } }
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ steps: [sleepy, { id: "x", tool: "no_such_tool" }] }, /Step "x": unknown tool "no_such_tool"/],
      [{ steps: [sleepy, { id: "s", tool: "shout" }] }, /Step id "s" is used by more than one step/],
      [{ steps: [sleepy, { id: "a", tool: "shout", arguments: { text: "${steps.b}" } }, { id: "b", tool: "shout", arguments: { text: "${steps.a}" } }] }, /dependency cycle: .*"a".*"b"/i],
      [{ steps: [sleepy, { id: "a", tool: "shout", dependsOn: ["zz"] }] }, /Step "a" depends on unknown step "zz"/],
      [{ steps: [sleepy, { id: "a", tool: "shout", arguments: { text: "see ${steps.s}" } }] }, /Step "a", arguments.text: a reference must be the whole string value/],
      [{ steps: [{ id: "bad id!", tool: "shout" }] }, /step id/],
      [{ steps: [] }, /steps/],
      [{ steps: Array.from({ length: 101 }, (_, i) => ({ id: `s${i}`, tool: "shout" })) }, /steps/]
    ]
    for (const [args, message] of cases) {
      const error = await refused(args)
      expect(error.code).toBe(-32602)
      expect(error.message).toMatch(message)
    }
    expect(probes.started).toBe(started)
  })

  it("cancelling the call interrupts the steps' tools", async () => {
    const before = probes.interrupted
    const started = probes.started
    const controller = new AbortController()
    const call = client.callTool({ name: "run_workflow", arguments: { steps: [{ id: "a", tool: "sleepy", arguments: { ms: 30_000 } }, { id: "b", tool: "sleepy", arguments: { ms: 30_000 } }] } }, { signal: controller.signal })
    await expect.poll(() => probes.started, { timeout: 5000 }).toBe(started + 2)
    controller.abort()
    await expect(call).rejects.toThrow()
    await expect.poll(() => probes.interrupted, { timeout: 5000 }).toBe(before + 2)
  })
})

/** Accepts any result (task results are not the SDK's CallToolResult). */
const anyResult = { "~standard": { version: 1 as const, vendor: "test", validate: (value: unknown) => ({ value }) } }

describe("run_workflow as an MCP task (2025-11-25 session)", () => {
  let client: Client
  beforeAll(async () => {
    client = new Client({ name: "workflow-task-test", version: "1.0.0" })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  })
  afterAll(() => client?.close())

  const request = (method: string, params: Record<string, unknown>) => client.request({ method, params }, anyResult) as Promise<any> // any: checked field by field

  it("declares optional task support, runs in the background and is fetched with tasks/result", async () => {
    const { tools } = await client.listTools()
    expect(tools.find((t) => t.name === "run_workflow")?.execution?.taskSupport).toBe("optional")
    const created = await request("tools/call", {
      name: "run_workflow",
      arguments: { steps: [{ id: "nap", tool: "sleepy", arguments: { ms: 200 } }, { id: "loud", tool: "shout", arguments: { text: "${steps.nap}" } }] },
      task: { ttl: 60_000 }
    })
    const taskId = created.task.taskId as string
    expect(created.task.status).toBe("working")
    await expect.poll(async () => (await request("tasks/get", { taskId })).status, { timeout: 5000 }).toBe("completed")
    const done = await request("tasks/get", { taskId })
    expect(done.statusMessage).toMatch(/2 of 2 done/)
    const result = await request("tasks/result", { taskId })
    expect(result.isError).toBe(false)
    expect(result.structuredContent.steps.map((s: Report) => [s.id, s.status, s.result])).toEqual([["nap", "ok", "slept 200"], ["loud", "ok", "SLEPT 200"]])
  })

  it("tasks/cancel interrupts the workflow's steps", async () => {
    const before = probes.interrupted
    const started = probes.started
    const created = await request("tools/call", {
      name: "run_workflow",
      arguments: { steps: [{ id: "long", tool: "sleepy", arguments: { ms: 30_000 } }] },
      task: {}
    })
    await expect.poll(() => probes.started, { timeout: 5000 }).toBe(started + 1)
    const cancelled = await request("tasks/cancel", { taskId: created.task.taskId })
    expect(cancelled.status).toBe("cancelled")
    await expect.poll(() => probes.interrupted, { timeout: 5000 }).toBe(before + 1)
  })
})

describe("run_workflow as an MCP task (2026-07-28, the tasks extension)", () => {
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } }
  }
  const post = async (id: number, method: string, name: string, params: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method, "mcp-name": name },
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } })
    })
    return (JSON.parse(await response.text()) as { result: any }).result // any: task shapes are checked field by field
  }

  it("a client declaring the extension gets a task and reads the workflow's answer from tasks/get", async () => {
    const created = await post(1, "tools/call", "run_workflow", {
      name: "run_workflow",
      arguments: { steps: [{ id: "nap", tool: "sleepy", arguments: { ms: 100 } }, { id: "loud", tool: "shout", arguments: { text: "${steps.nap}" } }] }
    })
    expect(created.resultType).toBe("task")
    await expect.poll(async () => (await post(2, "tasks/get", created.taskId, { taskId: created.taskId })).status, { timeout: 5000 }).toBe("completed")
    const done = await post(3, "tasks/get", created.taskId, { taskId: created.taskId })
    expect(done.result.structuredContent.steps.map((s: Report) => s.result)).toEqual(["slept 100", "SLEPT 100"])
  })
})

describe("run_workflow fuzz", () => {
  let client: Client
  beforeAll(async () => {
    client = new Client({ name: "workflow-fuzz", version: "1.0.0" })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  })
  afterAll(() => client?.close())

  it("answers random workflows with a report per step or a -32602, and stays up", async () => {
    let seed = 77
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
    const ids = ["a", "b", "c", "d", "e", "f"]
    const reference = () => `\${steps.${pick([...ids, "zz"])}${pick(["", ".words", ".topTerms[0].term", "[0]", "..x", "[\"k\"]", ".left"])}}`
    const argument = (): unknown => pick([reference(), "plain text", 3, null, [reference(), 1], { nested: reference() }, "see ${steps.a}"])
    const stepOf = () => {
      const tool = pick(["shout", "text_stats", "pair", "broken", "sleepy", "run_workflow", "no_such_tool"])
      const args: Record<string, unknown> = tool === "sleepy"
        ? { ms: pick([0, 1, 3, reference()]) }
        : tool === "run_workflow"
        ? { steps: [{ id: "inner", tool: pick(["shout", "broken"]), arguments: { text: "in" } }] }
        : tool === "pair"
        ? { left: argument(), right: argument() }
        : { text: argument() }
      return {
        id: pick(ids),
        tool,
        ...(next() < 0.9 ? { arguments: args } : {}),
        ...(next() < 0.3 ? { dependsOn: [pick([...ids, "zz"])] } : {}),
        ...(next() < 0.1 ? { timeoutMs: pick([1, 50, 0]) } : {})
      }
    }
    const outcomes = { answered: 0, refused: 0 }
    for (let n = 0; n < 150; n++) {
      const steps = Array.from({ length: 1 + Math.floor(next() * 6) }, stepOf)
      const args = { steps, ...(next() < 0.2 ? { failFast: true } : {}), ...(next() < 0.1 ? { timeoutMs: 100 } : {}) }
      try {
        const result = await client.callTool({ name: "run_workflow", arguments: args })
        const answer = result.structuredContent as unknown as Answer
        expect(answer.steps.map((s) => s.id)).toEqual(steps.map((s) => s.id))
        expect(answer.ok + answer.error + answer.skipped).toBe(steps.length)
        expect(result.isError === true).toBe(answer.ok < steps.length)
        for (const report of answer.steps) {
          if (report.status === "error") expect(report.error?.length).toBeGreaterThan(0)
          if (report.status === "skipped") expect(report.reason?.length).toBeGreaterThan(0)
        }
        outcomes.answered++
      } catch (error) {
        expect((error as { code?: number }).code, String(error)).toBe(-32602)
        outcomes.refused++
      }
    }
    expect(outcomes.answered).toBeGreaterThan(10)
    expect(outcomes.refused).toBeGreaterThan(10)
    expect(await client.ping()).toBeDefined()
  })
})

describe("run_workflow on a saturated server", () => {
  it("a step finding no free slot fails at once with Server busy instead of queueing behind its own workflow", async () => {
    const config = Config.resolve({ port: 0, cacheDir: "", maxRunningTools: 1, maxQueuedTools: 10 }, {})
    const saturated = ManagedRuntime.make(
      Layer.merge(Tenfold.serveHttp(config), runWorkflowLayer).pipe(Layer.provideMerge(Tenfold.layer(config, { tools: [...builtinTools, ...testTools] })))
    )
    const server = await saturated.runPromise(HttpServer.use(Effect.succeed))
    const client = new Client({ name: "workflow-saturated", version: "1.0.0" })
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}${config.path}`)))
      // the workflow holds the only slot: queued, its step would wait behind it until the workflow's timeout
      const result = await client.callTool({ name: "run_workflow", arguments: { timeoutMs: 60_000, steps: [{ id: "a", tool: "shout", arguments: { text: "x" } }] } })
      const answer = result.structuredContent as unknown as Answer
      expect(answer.steps[0]).toMatchObject({ id: "a", status: "error" })
      expect(answer.steps[0]!.error).toMatch(/Server busy/)
      // a cached tool's run goes through the cache's own fiber: it is still a nested run, refused at once
      const cached = await client.callTool({ name: "run_workflow", arguments: { timeoutMs: 2_000, steps: [{ id: "c", tool: "shout_cached", arguments: { text: "y" } }] } })
      const cachedAnswer = cached.structuredContent as unknown as Answer
      expect(cachedAnswer.steps[0]).toMatchObject({ id: "c", status: "error" })
      expect(cachedAnswer.steps[0]!.error).toMatch(/Server busy/)
    } finally {
      await client.close()
      await saturated.dispose()
    }
  })
})
