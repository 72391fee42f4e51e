/**
 * A tool calling another tool through `ToolCaller`: the call takes the client's path through the
 * dispatcher (validation, capabilities, cache keyed with the calling principal, executor
 * admission), nests at most `MAX_CALL_DEPTH` deep, and is interrupted with the call that made it.
 */
import { assert, describe, it } from "@effect/vitest"
import { MemoryTier, TieredCache } from "@tenfold/cache"
import { ToolExecutor } from "@tenfold/executor"
import { Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { Dispatcher } from "../src/Dispatcher.ts"
import { ErrorCode } from "../src/JsonRpc.ts"
import { type Answer, bodyText, type Outbound, type Peer } from "../src/Peer.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import * as Tool from "../src/Tool.ts"
import { MAX_CALL_DEPTH, ToolCaller } from "../src/ToolCaller.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"

/** How often the cached tool actually ran, how many nested runs were interrupted, and when `forever` started. */
const runs = { cached: 0, interrupted: 0, started: Deferred.makeUnsafe<void>() }

const Call = Schema.Struct({ tool: Schema.String, arguments: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)) })

/** The tools under test (`call` needs the caller, so it is registered once the caller exists). */
const leafTools = [
  Tool.make({ name: "echo", description: "Echoes text", input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) }),
  Tool.make({ name: "whoami", description: "The principal", input: Schema.Struct({}), handler: (_, ctx) => Effect.succeed(ctx.principal ?? "anonymous") }),
  Tool.make({
    name: "counted",
    description: "Read-only, so cached; counts its runs",
    input: Schema.Struct({ n: Schema.Int }),
    annotations: { readOnlyHint: true },
    handler: ({ n }) => Effect.sync(() => `${n}:${++runs.cached}`)
  }),
  Tool.make({ name: "fails", description: "A tool failure", input: Schema.Struct({}), handler: () => Effect.fail(new Tool.ToolError({ message: "nope" })) }),
  Tool.make({ name: "asks", description: "Asks for input", input: Schema.Struct({}), handler: (_, ctx) => Effect.map(ctx.elicit({ message: "ok?", requestedSchema: { type: "object", properties: {} } }), () => "answered") }),
  Tool.make({
    name: "needsSampling",
    description: "Requires sampling",
    input: Schema.Struct({}),
    requiredClientCapabilities: { sampling: {} },
    handler: () => Effect.succeed("sampled")
  }),
  Tool.make({
    name: "forever",
    description: "Runs until interrupted",
    input: Schema.Struct({}),
    handler: () => Effect.andThen(Deferred.succeed(runs.started, undefined), Effect.never).pipe(Effect.onInterrupt(() => Effect.sync(() => void runs.interrupted++)))
  })
]

const callTool = (caller: ToolCaller["Service"]) =>
  Tool.make({
    name: "call",
    description: "Calls the tool it is given and answers its result as JSON",
    input: Call,
    handler: (input, ctx) => Effect.map(caller.call(ctx, input.tool, input.arguments), (result) => JSON.stringify(result))
  })

const layerWith = (admission: Parameters<typeof ToolExecutor.layerDefault>[0] = {}) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const registry = yield* ToolRegistry
    const caller = yield* ToolCaller
    yield* registry.register(callTool(caller))
    yield* Effect.forEach(leafTools, registry.register, { discard: true })
  })).pipe(
    Layer.provideMerge(ToolCaller.layer),
    Layer.provideMerge(Dispatcher.layer({ serverInfo: { name: "test", version: "1" } })),
    Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(), ResourceRegistry.layer(), PromptRegistry.layer())),
    Layer.provideMerge(TieredCache.layer().pipe(Layer.provideMerge(MemoryTier.layer()))),
    Layer.provideMerge(ToolExecutor.layerDefault(admission))
  )

/** A 2026-07-28 client that can answer elicitations. */
const peer = (principal?: string): Peer => ({ stateless: true, principal, clientCapabilities: { elicitation: {} }, logLevel: undefined, session: undefined })
const out: Outbound = { notify: () => {}, request: undefined }

/** A client's tools/call; answers the parsed JSON-RPC response. */
const clientCall = (name: string, args: Record<string, unknown>, principal?: string) =>
  Effect.gen(function*() {
    const dispatcher = yield* Dispatcher
    const handled = dispatcher.handle(1, "tools/call", { name, arguments: args }, peer(principal), out)
    const answer: Answer = Effect.isEffect(handled) ? yield* handled : handled
    return JSON.parse(bodyText(answer)) as { result?: { content: Array<{ text: string }>; isError?: boolean }; error?: { code: number; message: string } }
  })

/** What `call` answered: the nested result (undefined on error), or the nested call's error as the outer call's. */
interface Nested {
  readonly result: any // any: results are checked field by field
  readonly error: { readonly code: number; readonly message: string }
}

const nested = (tool: string, args?: Record<string, unknown>, principal?: string) =>
  Effect.map(clientCall("call", args === undefined ? { tool } : { tool, arguments: args }, principal), (response) =>
    (response.result === undefined ? { error: response.error } : { result: JSON.parse(response.result.content[0]!.text) }) as Nested)

describe("ToolCaller", () => {
  it.effect("answers the called tool's result", () =>
    Effect.gen(function*() {
      const { result } = yield* nested("echo", { text: "hi" })
      assert.deepStrictEqual(result, { content: [{ type: "text", text: "hi" }] })
    }).pipe(Effect.provide(layerWith())))

  it.effect("calls as the calling principal, and the cache keeps principals apart", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* nested("whoami", {}, "alice")).result.content[0].text, "alice")
      runs.cached = 0
      const first = (yield* nested("counted", { n: 1 }, "alice")).result.content[0].text
      const again = (yield* nested("counted", { n: 1 }, "alice")).result.content[0].text
      const other = (yield* nested("counted", { n: 1 }, "bob")).result.content[0].text
      assert.strictEqual(first, "1:1")
      assert.strictEqual(again, "1:1", "served from the cache")
      assert.strictEqual(other, "1:2", "another principal's entry is not shared")
      // a client's direct call with the same arguments finds what the nested call stored
      assert.strictEqual((yield* clientCall("counted", { n: 1 }, "alice")).result!.content[0]!.text, "1:1")
    }).pipe(Effect.provide(layerWith())))

  it.effect("fails with -32602 for an unknown tool and for bad arguments, naming them", () =>
    Effect.gen(function*() {
      const unknown = (yield* nested("nope")).error
      assert.strictEqual(unknown.code, ErrorCode.InvalidParams)
      assert.include(unknown.message, "nope")
      const bad = (yield* nested("echo", { text: 5 })).error
      assert.strictEqual(bad.code, ErrorCode.InvalidParams)
      assert.include(bad.message, "text")
    }).pipe(Effect.provide(layerWith())))

  it.effect("answers a tool's failure as an isError result, and an input request (which it cannot send) as one", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* nested("fails", {})).result, { content: [{ type: "text", text: "nope" }], isError: true })
      const asked = (yield* nested("asks", {})).result
      assert.isTrue(asked.isError)
      assert.include(asked.content[0].text, "client input")
    }).pipe(Effect.provide(layerWith())))

  it.effect("checks the client's capabilities like a direct call", () =>
    Effect.gen(function*() {
      const missing = (yield* nested("needsSampling", {})).error
      assert.include(missing.message, "sampling")
    }).pipe(Effect.provide(layerWith())))

  it.effect(`refuses calls nested more than ${MAX_CALL_DEPTH} deep`, () =>
    Effect.gen(function*() {
      // depth 1 calls `call` at depth 2, which calls echo at depth 3
      const tooDeep = { tool: "call", arguments: { tool: "echo", arguments: { text: "x" } } }
      const response = yield* nested("call", tooDeep)
      assert.strictEqual(response.error.code, ErrorCode.InvalidParams)
      assert.include(response.error.message, `at most ${MAX_CALL_DEPTH} deep`)
      const allowed = yield* nested("call", { tool: "echo", arguments: { text: "x" } })
      assert.strictEqual(JSON.parse(allowed.result.content[0].text).content[0].text, "x")
    }).pipe(Effect.provide(layerWith())))

  it.effect("goes through the executor's admission, and never queues behind its caller: busy at once while the caller holds the only slot", () =>
    Effect.gen(function*() {
      const busy = (yield* nested("echo", { text: "x" })).error
      assert.strictEqual(busy.code, ErrorCode.ServerBusy)
    }).pipe(Effect.provide(layerWith({ maxRunning: 1, maxQueued: 10 }))))

  it.effect("interrupting the calling tool interrupts the nested call", () =>
    Effect.gen(function*() {
      runs.interrupted = 0
      runs.started = Deferred.makeUnsafe<void>()
      const fiber = yield* Effect.forkChild(nested("forever", {}))
      yield* Deferred.await(runs.started)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(runs.interrupted, 1)
    }).pipe(Effect.provide(layerWith())))
})
