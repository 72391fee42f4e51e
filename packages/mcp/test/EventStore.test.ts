import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventNotFound, EventStore, makeMemory } from "../src/EventStore.ts"

/** Replays after `lastEventId` and collects what was sent. */
const replay = (store: EventStore["Service"], lastEventId: string) =>
  Effect.gen(function*() {
    const sent: Array<[string, string]> = []
    const streamId = yield* store.replayAfter(lastEventId, (id, message) => void sent.push([id, message]))
    return { streamId, sent }
  })

describe("EventStore.makeMemory", () => {
  it.effect("numbers events per stream as <stream>:<n>", () =>
    Effect.gen(function*() {
      const store = makeMemory(100)
      assert.strictEqual(yield* store.append("s1", "a"), "s1:1")
      assert.strictEqual(yield* store.append("s1", "b"), "s1:2")
      assert.strictEqual(yield* store.append("s2", "x"), "s2:1")
      assert.strictEqual(yield* store.append("sess/req:9", "y"), "sess/req:9:1")
    }))

  it.effect("replays only the later events of the same stream", () =>
    Effect.gen(function*() {
      const store = makeMemory(100)
      const first = yield* store.append("s1", "a")
      yield* store.append("s2", "other stream")
      yield* store.append("s1", "b")
      yield* store.append("s1", "c")
      const { streamId, sent } = yield* replay(store, first)
      assert.strictEqual(streamId, "s1")
      assert.deepStrictEqual(sent, [["s1:2", "b"], ["s1:3", "c"]])
    }))

  it.effect("replays nothing after the newest event", () =>
    Effect.gen(function*() {
      const store = makeMemory(100)
      const last = yield* store.append("s1", "a")
      assert.deepStrictEqual((yield* replay(store, last)).sent, [])
    }))

  it.effect("handles stream ids that contain colons", () =>
    Effect.gen(function*() {
      const store = makeMemory(100)
      const first = yield* store.append("a:b", "1")
      yield* store.append("a:b", "2")
      const { streamId, sent } = yield* replay(store, first)
      assert.strictEqual(streamId, "a:b")
      assert.deepStrictEqual(sent, [["a:b:2", "2"]])
    }))

  it.effect("fails with EventNotFound for ids it never issued", () =>
    Effect.gen(function*() {
      const store = makeMemory(100)
      yield* store.append("s1", "a")
      for (const id of ["unknown:1", "s1:abc", "no-colon", ":1"]) {
        const error = yield* Effect.flip(replay(store, id))
        assert.instanceOf(error, EventNotFound, id)
        assert.strictEqual(error.eventId, id)
      }
    }))

  describe("bounded retention", () => {
    it.effect("keeps the newest events while older ones are evicted", () =>
      Effect.gen(function*() {
        const store = makeMemory(2)
        const ids: Array<string> = []
        for (const message of ["1", "2", "3", "4", "5"]) ids.push(yield* store.append("s", message))
        assert.deepStrictEqual(ids, ["s:1", "s:2", "s:3", "s:4", "s:5"])
        assert.deepStrictEqual((yield* replay(store, "s:4")).sent, [["s:5", "5"]])
        assert.deepStrictEqual((yield* replay(store, "s:5")).sent, [])
      }))

    // EventNotFound is documented as "the Last-Event-ID does not name an event this store still
    // holds": resuming after an evicted event must not silently skip the events evicted with it.
    it.effect("fails with EventNotFound when the last event id was evicted", () =>
      Effect.gen(function*() {
        const store = makeMemory(2)
        const first = yield* store.append("s", "1")
        for (const message of ["2", "3", "4"]) yield* store.append("s", message)
        const outcome = yield* Effect.result(replay(store, first))
        assert.strictEqual(outcome._tag, "Failure", `replay after an evicted id sent ${JSON.stringify(outcome)}`)
      }))
  })

  it.effect("dropStream forgets a stream and its sub-streams, and no other", () =>
    Effect.gen(function*() {
      const store = makeMemory(100)
      const own = yield* store.append("sess", "a")
      const sub = yield* store.append("sess/req-1", "b")
      const other = yield* store.append("session2", "c")
      yield* store.dropStream("sess")
      assert.instanceOf(yield* Effect.flip(replay(store, own)), EventNotFound)
      assert.instanceOf(yield* Effect.flip(replay(store, sub)), EventNotFound)
      assert.strictEqual((yield* replay(store, other)).streamId, "session2")
    }))

  it.effect("layerMemory provides the store with its retention", () =>
    Effect.gen(function*() {
      const store = yield* EventStore
      for (const message of ["1", "2", "3"]) yield* store.append("s", message)
      assert.deepStrictEqual((yield* replay(store, "s:2")).sent, [["s:3", "3"]])
    }).pipe(Effect.provide(EventStore.layerMemory({ maxEventsPerStream: 2 }))))

  it.effect("forgets the oldest streams beyond maxStreams", () =>
    Effect.gen(function*() {
      const store = makeMemory(10, 2)
      const first = yield* store.append("s1", "a")
      yield* store.append("s2", "b")
      yield* store.append("s3", "c")
      const gone = yield* Effect.flip(store.replayAfter(first, () => {}))
      assert.strictEqual(gone._tag, "EventNotFound")
      assert.strictEqual(yield* store.replayAfter("s3:0", () => {}), "s3")
    }))

  it.effect("keeps at most maxBytes of messages in all, forgetting the oldest events first", () =>
    Effect.gen(function*() {
      const store = makeMemory(1000, 100, 10_000)
      const big = "x".repeat(1000) // ~2000 bytes as UTF-16
      const ids: Array<string> = []
      for (let i = 0; i < 20; i++) ids.push(yield* store.append(`s${i % 3}`, big))
      // per stream, the first id that can still be resumed replays every event it keeps
      let kept = 0
      for (const stream of ["s0", "s1", "s2"]) {
        const issued = [`${stream}:0`, ...ids.filter((id) => id.startsWith(`${stream}:`))]
        for (const id of issued) {
          const resumed = yield* Effect.option(replay(store, id))
          if (resumed._tag === "Some") {
            kept += resumed.value.sent.length
            break
          }
        }
      }
      assert.isAtMost(kept * 2000, 10_000)
      assert.isAtLeast(kept, 3)
      const oldest = yield* Effect.flip(store.replayAfter(ids[0]!, () => {}))
      assert.strictEqual(oldest._tag, "EventNotFound")
      // the newest event is always kept, even when it alone is larger than the bound
      const huge = yield* store.append("s9", "y".repeat(20_000))
      assert.strictEqual(yield* store.replayAfter(`s9:0`, () => {}), "s9")
      assert.strictEqual(huge, "s9:1")
    }))
})
