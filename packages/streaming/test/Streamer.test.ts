import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric, Stream } from "effect"
import { Serialize, StreamMetrics } from "../src/index.ts"
import * as Streamer from "../src/Streamer.ts"

const text = (chunks: ReadonlyArray<Uint8Array>) => Buffer.concat(chunks).toString("utf8")

describe("Serialize", () => {
  it("writes objects and arrays as compact JSON, strings as UTF-8, bytes as they are", () => {
    const utf8 = (u: unknown) => Buffer.from(Serialize.serialize(u)).toString("utf8")
    assert.strictEqual(utf8({ a: 1, b: [true, null] }), "{\"a\":1,\"b\":[true,null]}")
    assert.strictEqual(utf8([1, "x"]), "[1,\"x\"]")
    assert.strictEqual(utf8("héllo ✓"), "héllo ✓")
    const bytes = new Uint8Array([0, 255, 7])
    assert.strictEqual(Serialize.serialize(bytes), bytes)
    assert.strictEqual(utf8(42), "42")
    assert.strictEqual(Serialize.serialize(undefined).byteLength, 0)
  })
})

describe("Streamer.chunks", () => {
  const streamer = Streamer.make({ chunkBytes: 4, bufferBytes: 16 })

  it.effect("groups the serialised bytes into chunks of chunkBytes, the last one shorter", () =>
    Effect.gen(function*() {
      const chunks = yield* streamer.chunks(Stream.make("ab", { k: 1 }, new Uint8Array([0x21]), "012345678")).pipe(Stream.runCollect)
      assert.deepStrictEqual(chunks.map((c) => c.byteLength), [4, 4, 4, 4, 3])
      assert.strictEqual(text(chunks), "ab{\"k\":1}!012345678")
    }))

  it.effect("emits the bytes serialised before a failure, then fails", () =>
    Effect.gen(function*() {
      const seen: Array<Uint8Array> = []
      const exit = yield* streamer.chunks(Stream.concat(Stream.make("abcdef"), Stream.fail("boom"))).pipe(
        Stream.runForEach((c) => Effect.sync(() => seen.push(c))),
        Effect.exit
      )
      assert.isTrue(exit._tag === "Failure")
      assert.strictEqual(text(seen), "abcdef")
    }))

  it.effect("records bytes, chunks and the stream's duration", () =>
    Effect.gen(function*() {
      const bytesBefore = (yield* Metric.value(StreamMetrics.bytes)).count
      const chunksBefore = (yield* Metric.value(StreamMetrics.chunks)).count
      const durationsBefore = (yield* Metric.value(StreamMetrics.duration)).count
      yield* streamer.chunks(Stream.make("x".repeat(10))).pipe(Stream.runDrain)
      assert.strictEqual((yield* Metric.value(StreamMetrics.bytes)).count - bytesBefore, 10)
      assert.strictEqual((yield* Metric.value(StreamMetrics.chunks)).count - chunksBefore, 3)
      assert.strictEqual((yield* Metric.value(StreamMetrics.duration)).count - durationsBefore, 1)
      assert.strictEqual((yield* Metric.value(StreamMetrics.active)).value, 0)
    }))

  it.effect("a slow consumer holds the producer to the buffer (bufferBytes / chunkBytes chunks ahead)", () =>
    Effect.gen(function*() {
      const small = Streamer.make({ chunkBytes: 1024, bufferBytes: 4 * 1024 })
      let produced = 0
      const items = Stream.range(1, 10_000, 1).pipe(
        Stream.map((i) => String(i % 10).repeat(1024)),
        Stream.tap(() => Effect.sync(() => produced++))
      )
      const pull = yield* Stream.toPull(small.chunks(items))
      yield* pull
      for (let i = 0; i < 200; i++) yield* Effect.yieldNow
      // the buffer's 4 chunks plus the few in hand between stages (one pulled, one being offered, …), not 10000
      assert.isAtMost(produced, 12)
      assert.isAtLeast(produced, 4)
      let received = 1
      while (received < 10_000) received += (yield* pull).length
      assert.strictEqual(received, 10_000)
    }))

  it.effect("past maxStreams a stream waits, unpulled, until one ends", () =>
    Effect.gen(function*() {
      const one = Streamer.make({ maxStreams: 1 })
      let secondPulled = 0
      const first = yield* Stream.toPull(one.chunks(Stream.make("a", "b")))
      yield* first
      const second = yield* Effect.forkChild(one.chunks(Stream.make("c").pipe(Stream.tap(() => Effect.sync(() => secondPulled++)))).pipe(Stream.runCollect))
      for (let i = 0; i < 100; i++) yield* Effect.yieldNow
      assert.strictEqual(secondPulled, 0)
      return second
    }).pipe(
      Effect.scoped, // the first stream's scope closes: its permit is released and the second runs

      Effect.flatMap((second) => Fiber.join(second)),
      Effect.map((chunks) => assert.strictEqual(text(chunks), "c"))
    ))

  it("refuses sizes that are not positive integers", () => {
    assert.throws(() => Streamer.make({ chunkBytes: 0 }), /chunkBytes/)
    assert.throws(() => Streamer.make({ bufferBytes: 1.5 }), /bufferBytes/)
  })
})

