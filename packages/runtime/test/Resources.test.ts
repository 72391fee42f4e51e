import { assert, describe, it } from "@effect/vitest"
import { Admission } from "@tenfold/executor"
import { ResourceManager } from "@tenfold/resources"
import { HttpTransport, Tool } from "@tenfold/mcp"
import { Deferred, Effect, Fiber, type Layer, Option } from "effect"
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import { ConfigError, fromObject, resolve } from "../src/Config.ts"
import * as Tenfold from "../src/Tenfold.ts"

describe("resource pools in the runtime", () => {
  it.effect("admission is the resource manager by default, configured from the config", () =>
    Effect.gen(function*() {
      const manager = yield* ResourceManager
      assert.strictEqual(yield* Admission, manager.admission)
      assert.deepStrictEqual(manager.pools.capacity().memoryMiB, 512)
      assert.strictEqual(manager.pools.network.capacity(), 4)
      assert.strictEqual(manager.pools.network.maxQueued, 2)
      assert.strictEqual(manager.decide({ name: "search_docs" }, {})?.allocation.strategy, "performance")
      assert.isUndefined(manager.decide({ name: "echo" }, {}))
      assert.strictEqual(manager.admission.load().capacity, 7)
    }).pipe(Effect.provide(Tenfold.admissionLayer(resolve({
      memoryBudgetMib: 512,
      networkPermits: 4,
      maxQueuedPerPool: 2,
      maxRunningTools: 7,
      resourceMonitorIntervalMs: 0,
      resourceTools: { search_docs: { operation: "search", priority: "high" } }
    })) as Layer.Layer<Admission | ResourceManager>))) // resources on: the manager's layer

  it.effect("with resources off, admission is the counting one alone", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* Effect.serviceOption(ResourceManager)))
      assert.strictEqual((yield* Admission).load().capacity, 7)
    }).pipe(Effect.provide(Tenfold.admissionLayer(resolve({ resources: false, maxRunningTools: 7 })))))

  it.effect("a config file's resourceTools are checked: operation, complexity and priority name a bad value", () =>
    Effect.gen(function*() {
      const good = yield* fromObject("test", { resourceTools: { a: { operation: "embedding", complexity: 2, priority: "low", costSensitive: true } } })
      assert.deepStrictEqual(good.resourceTools, { a: { operation: "embedding", complexity: 2, priority: "low", costSensitive: true } })
      for (const bad of [{ operation: "mining" }, { complexity: 11 }, { priority: "urgent" }, { cores: 2 }]) {
        const error = yield* Effect.flip(fromObject("test", { resourceTools: { a: bad } }))
        assert.instanceOf(error, ConfigError)
        assert.include(error.message, "resourceTools")
      }
    }))
})

describe("resource pools over HTTP", () => {
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }
  /** POSTs a 2026-07-28 tools/call of `name`; resolves the status and the parsed answer. */
  const callTool = (url: string, name: string) =>
    Effect.callback<{ status: number; body: { result?: { content: Array<{ text: string }> }; error?: { code: number; data?: { retryAfterMs?: number } } } }>((resume) => {
      const req = request(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name }
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) })))
      })
      req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: { limit: 0 }, _meta: meta } }))
    })

  it.live("a profiled tool past its pool's queue answers ServerBusy with retryAfterMs; unprofiled tools are still served", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const hold = Tool.make({
        name: "hold",
        description: "waits",
        input: Tool.jsonSchema({ type: "object" }),
        cache: false,
        handler: () => Effect.andThen(Deferred.succeed(started, undefined), Effect.as(Deferred.await(release), "held"))
      })
      const echo = Tool.make({ name: "echo", description: "echo", input: Tool.jsonSchema({ type: "object" }), cache: false, handler: () => Effect.succeed("echo") })
      const config = resolve({
        cacheDir: "",
        telemetry: false,
        networkPermits: 1,
        maxQueuedPerPool: 0,
        resourceMonitorIntervalMs: 0,
        resourceTools: { hold: { operation: "search" } }
      })
      yield* Effect.gen(function*() {
        const transport = yield* HttpTransport
        const server = createServer(transport.handle)
        yield* Effect.acquireRelease(Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))), () => Effect.sync(() => server.close()))
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${config.path}`
        const first = yield* Effect.forkChild(callTool(url, "hold"))
        yield* Deferred.await(started)
        const refused = yield* callTool(url, "hold")
        assert.strictEqual(refused.status, 503)
        assert.strictEqual(refused.body.error?.code, -32000)
        assert.strictEqual(refused.body.error?.data?.retryAfterMs, 1000)
        assert.strictEqual((yield* callTool(url, "echo")).body.result?.content[0]?.text, "echo")
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual((yield* Fiber.join(first)).body.result?.content[0]?.text, "held")
        assert.strictEqual((yield* callTool(url, "hold")).body.result?.content[0]?.text, "held")
      }).pipe(Effect.provide(Tenfold.layer(config, { tools: [hold, echo] })))
    }))
})
