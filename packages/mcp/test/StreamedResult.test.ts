import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as StreamedResult from "../src/internal/StreamedResult.ts"
import { ToolError } from "../src/Tool.ts"

const json = (items: Stream.Stream<unknown, unknown>, maxBytes?: number) =>
  StreamedResult.pieces(items, "}", maxBytes).pipe(Stream.runCollect, Effect.map((all) => JSON.parse(all.join(""))))

const image = { type: "image", data: "AAAA", mimeType: "image/png" }

describe("StreamedResult.pieces", () => {
  it.effect("consecutive text pieces form one text block; content blocks stand alone", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* json(Stream.make("a", "b\n", "\"c\"")), { content: [{ type: "text", text: "ab\n\"c\"" }] })
      assert.deepStrictEqual(yield* json(Stream.make("x", image, "y", "z", image)), {
        content: [{ type: "text", text: "x" }, image, { type: "text", text: "yz" }, image]
      })
      assert.deepStrictEqual(yield* json(Stream.make(image)), { content: [image] })
      assert.deepStrictEqual(yield* json(Stream.empty), { content: [] })
    }))

  it.effect("text split anywhere, even inside a surrogate pair, concatenates to the original", () =>
    Effect.gen(function*() {
      const text = "ünï😀code\u0000\u2028 \\ end"
      const pieces = [...text.split("")] // splits 😀 into its two halves
      assert.deepStrictEqual(yield* json(Stream.fromIterable(pieces)), { content: [{ type: "text", text }] })
    }))

  it.effect("a failure ends the result well-formed, after what was sent, with isError and the tool's message", () =>
    Effect.gen(function*() {
      const failing = (before: ReadonlyArray<unknown>) => Stream.concat(Stream.fromIterable(before), Stream.fail(new ToolError({ message: "disk on fire" })))
      assert.deepStrictEqual(yield* json(failing(["par", "tial"])), {
        content: [{ type: "text", text: "partial" }, { type: "text", text: "disk on fire" }],
        isError: true
      })
      assert.deepStrictEqual(yield* json(failing([image])), { content: [image, { type: "text", text: "disk on fire" }], isError: true })
      assert.deepStrictEqual(yield* json(failing([])), { content: [{ type: "text", text: "disk on fire" }], isError: true })
    }))

  it.effect("a defect or a value that is not content ends it with a generic message, never the value", () =>
    Effect.gen(function*() {
      const defects: Array<unknown> = []
      const died = yield* StreamedResult.pieces(Stream.concat(Stream.make("a"), Stream.die(new Error("secret detail"))), "}", Infinity, (cause) => void defects.push(cause)).pipe(
        Stream.runCollect,
        Effect.map((all) => JSON.parse(all.join("")))
      )
      assert.isTrue(died.isError)
      assert.notInclude(JSON.stringify(died), "secret detail")
      assert.strictEqual(defects.length, 1)
      const bad = yield* json(Stream.make("a", { type: "weird" }, "b"))
      assert.isTrue(bad.isError)
      assert.strictEqual(bad.content[0].text, "a")
    }))

  it.effect("past maxBytes the result is truncated with isError and the stream is no longer pulled", () =>
    Effect.gen(function*() {
      let pulled = 0
      const endless = Stream.range(1, 1_000_000, 1).pipe(Stream.map(() => (pulled++, "x".repeat(100))))
      const result = yield* json(endless, 1000)
      assert.isTrue(result.isError)
      assert.match(result.content.at(-1).text, /truncated/)
      assert.isAtMost(result.content[0].text.length, 1000)
      assert.isBelow(pulled, 20)
      // the same when the bound falls inside one chunk of many items
      const chunked = yield* json(Stream.fromIterable(Array.from({ length: 50 }, () => "y".repeat(100))), 1000)
      assert.isTrue(chunked.isError)
      assert.strictEqual(chunked.content.length, 2)
    }))

  it.effect("a stream that stalls ends the result with isError after the idle timeout", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(json(Stream.concat(Stream.make("so far"), Stream.never)))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      yield* TestClock.adjust(StreamedResult.IDLE_TIMEOUT_MS + 1)
      const result = yield* Fiber.join(fiber)
      assert.isTrue(result.isError)
      assert.strictEqual(result.content[0].text, "so far")
      assert.match(result.content[1].text, /produced nothing/)
    }))
})
