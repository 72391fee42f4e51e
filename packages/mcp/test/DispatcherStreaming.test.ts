/**
 * The dispatcher's side of streamed results: passed on to a transport that streams, collected
 * (bounded) for the cache and for peers that cannot stream, never cached past `maxBytes`.
 */
import { assert, describe, it } from "@effect/vitest"
import { MemoryTier, TieredCache } from "@tenfold/cache"
import { Effect, Fiber, Layer, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Dispatcher } from "../src/Dispatcher.ts"
import { type Answer, bodyText, type Outbound, type Peer } from "../src/Peer.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import * as Tool from "../src/Tool.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"

let runs = 0

const tools = [
  Tool.make({
    name: "lines",
    description: "Streams `n` lines; read-only, so cached (maxBytes 4096)",
    input: Schema.Struct({ n: Schema.Int }),
    annotations: { readOnlyHint: true },
    cache: { maxBytes: 4096 },
    handler: ({ n }) => Effect.sync(() => (runs++, Stream.range(1, n, 1).pipe(Stream.map((i) => `line ${i}\n`))))
  }),
  Tool.make({
    name: "slow_lines",
    description: "Streams `n` lines, one a second, under a 5 s timeout",
    input: Schema.Struct({ n: Schema.Int }),
    timeoutMs: 5000,
    cache: false,
    handler: ({ n }) => Effect.succeed(Stream.range(1, n, 1).pipe(Stream.mapEffect((i) => Effect.as(Effect.sleep("1 second"), `line ${i}\n`))))
  })
]

const layer = Dispatcher.layer({ serverInfo: { name: "t", version: "1" } }).pipe(
  Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer())),
  Layer.provideMerge(TieredCache.layer().pipe(Layer.provideMerge(MemoryTier.layer())))
)

const peer: Peer = { stateless: false, principal: undefined, clientCapabilities: {}, logLevel: undefined, session: undefined }
const collecting: Outbound = { notify: () => {}, request: undefined }
const streaming: Outbound = { ...collecting, streaming: true }

const call = (n: number, out: Outbound, name = "lines") =>
  Effect.gen(function*() {
    const handled = (yield* Dispatcher).handle(1, "tools/call", { name, arguments: { n } }, peer, out)
    return Effect.isEffect(handled) ? yield* handled : handled
  })

const resultOf = (answer: Answer) => JSON.parse(bodyText(answer)).result

const expected = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join("")

describe("Dispatcher: streamed results", () => {
  it.effect("a cached tool's stream within maxBytes is collected and cached like any result", () =>
    Effect.gen(function*() {
      runs = 0
      const first = yield* call(10, streaming)
      assert.isUndefined(first.stream)
      assert.deepStrictEqual(resultOf(first), { content: [{ type: "text", text: expected(10) }] })
      assert.deepStrictEqual(resultOf(yield* call(10, streaming)), resultOf(first))
      assert.strictEqual(runs, 1)
    }).pipe(Effect.provide(layer)))

  it.effect("past maxBytes a cached tool's stream answers the truncated content with isError, and is not cached", () =>
    Effect.gen(function*() {
      runs = 0
      const result = resultOf(yield* call(1000, streaming))
      assert.isTrue(result.isError)
      assert.isTrue(expected(1000).startsWith(result.content[0].text))
      assert.match(result.content[1].text, /truncated/)
      yield* call(1000, streaming)
      assert.strictEqual(runs, 2)
    }).pipe(Effect.provide(layer)))
})

describe("Dispatcher: streamed results of uncached tools", () => {
  const uncached = Dispatcher.layer({ serverInfo: { name: "t", version: "1" } }).pipe(
    Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer()))
  )

  it.effect("are handed to a transport that streams: the response's head, then the rest as bytes", () =>
    Effect.gen(function*() {
      const answer = yield* call(3, streaming)
      assert.strictEqual(answer.body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":")
      const rest = yield* Stream.runCollect(answer.stream!.rest)
      const body = answer.body + Buffer.concat(rest).toString("utf8")
      assert.deepStrictEqual(JSON.parse(body).result, { content: [{ type: "text", text: expected(3) }] })
    }).pipe(Effect.provide(uncached)))

  it.effect("are collected for a peer that cannot stream (a batch member)", () =>
    Effect.gen(function*() {
      const answer = yield* call(3, collecting)
      assert.isUndefined(answer.stream)
      assert.deepStrictEqual(resultOf(answer), { content: [{ type: "text", text: expected(3) }] })
    }).pipe(Effect.provide(uncached)))

  it.effect("a stream still producing past its tool's timeout ends there, as a timeout with isError, after what it sent", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(call(60, collecting, "slow_lines"), { startImmediately: true })
      for (let second = 0; second < 10; second++) yield* TestClock.adjust("1 second")
      const result = resultOf(yield* Fiber.join(fiber))
      assert.isTrue(result.isError)
      assert.strictEqual(result.content[0].text, expected(4))
      assert.match(result.content[1].text, /timed out after 5000 ms/)
    }).pipe(Effect.provide(uncached)))
})
