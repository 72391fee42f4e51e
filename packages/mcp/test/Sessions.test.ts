import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { EventNotFound, EventStore } from "../src/EventStore.ts"
import { make, Sessions, type SessionsOptions } from "../src/Sessions.ts"

const init = { protocolVersion: "2025-11-25", principal: "alice", quotaKey: "alice", clientCapabilities: { roots: {} } }

const createOrFail = (sessions: Sessions["Service"], as = init) => {
  const session = sessions.create(as)
  if (typeof session === "string") return assert.fail(`expected a session, refused by ${session}`)
  return session
}

/** `Sessions.make` without the sweep loop, over an in-memory event store. */
const withSessions = (options: SessionsOptions = {}) =>
  Effect.provide(Layer.effect(Sessions, make(options)).pipe(Layer.provideMerge(EventStore.layerMemory())))

/** The real layer, sweep loop included. */
const withSweepingSessions = (options: SessionsOptions) =>
  Effect.provide(Sessions.layer(options).pipe(Layer.provideMerge(EventStore.layerMemory())))

describe("Sessions", () => {
  describe("request (a task's input, outside any call)", () => {
    it.effect("fails at once, saying why, when the session has no GET stream to send the request on", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const session = createOrFail(sessions)
        // the request could never reach the client: it must not wait out the 5-minute answer timeout
        const fiber = yield* Effect.forkChild(Effect.flip(session.request!("elicitation/create", { message: "ok?" })))
        for (let i = 0; i < 10 && fiber.pollUnsafe() === undefined; i++) yield* Effect.yieldNow
        assert.isDefined(fiber.pollUnsafe(), "the request is still waiting")
        const error = yield* Fiber.join(fiber)
        assert.include(error.message, "no open GET stream")
        assert.strictEqual(session.pending.size, 0)
      }).pipe(withSessions()))
  })

  describe("create, get, touch, close", () => {
    it.effect("creates a session with what initialize negotiated", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const session = createOrFail(sessions)
        assert.strictEqual(session.protocolVersion, "2025-11-25")
        assert.strictEqual(session.principal, "alice")
        assert.deepStrictEqual(session.clientCapabilities, { roots: {} })
        assert.isFalse(session.initialized)
        assert.isUndefined(session.logLevel)
        assert.strictEqual(sessions.get(session.id), session)
        assert.strictEqual(sessions.size(), 1)
        assert.notStrictEqual(createOrFail(sessions).id, session.id)
      }).pipe(withSessions()))

    it.effect("touch records the current time as lastSeen", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const session = createOrFail(sessions)
        const created = session.lastSeen
        yield* TestClock.adjust("5 seconds")
        sessions.touch(session)
        assert.strictEqual(session.lastSeen - created, 5000)
      }).pipe(withSessions()))

    it.effect("close removes the session, answers its pending requests, interrupts its calls and drops its events", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const events = yield* EventStore
        const session = createOrFail(sessions)
        const answers: Array<unknown> = []
        session.pending.set(1, (response) => void answers.push(response))
        const call = yield* Effect.forkChild(Effect.never)
        session.inflight.set("call-1", call)
        const eventId = yield* events.append(`${session.id}/stream-1`, "message")

        assert.isTrue(yield* sessions.close(session.id))
        assert.isUndefined(sessions.get(session.id))
        assert.strictEqual(sessions.size(), 0)
        assert.deepStrictEqual(answers, [{ error: { code: -32001, message: "Session closed" } }])
        assert.isTrue((yield* Fiber.await(call))._tag === "Failure")
        assert.instanceOf(yield* Effect.flip(events.replayAfter(eventId, () => {})), EventNotFound)
        assert.isFalse(yield* sessions.close(session.id))
      }).pipe(withSessions()))

    it.effect("onClose listeners hear of each closed session (its tasks go with it) until they unsubscribe", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const closed: Array<string> = []
        const stop = sessions.onClose((id) => Effect.sync(() => void closed.push(id)))
        const a = createOrFail(sessions)
        const b = createOrFail(sessions)
        yield* sessions.close(a.id)
        yield* sessions.close(a.id)
        stop()
        yield* sessions.close(b.id)
        assert.deepStrictEqual(closed, [a.id])
      }).pipe(withSessions()))

    it.effect("refuses to create more than maxSessions, and makes room again after a close", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const first = createOrFail(sessions)
        createOrFail(sessions, { ...init, principal: "bob", quotaKey: "bob" })
        assert.strictEqual(sessions.create(init), "total")
        assert.strictEqual(sessions.size(), 2)
        yield* sessions.close(first.id)
        assert.notTypeOf(sessions.create(init), "string")
      }).pipe(withSessions({ maxSessions: 2 })))

    it.effect("refuses a principal past its share while others can still create sessions", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const first = createOrFail(sessions)
        createOrFail(sessions)
        assert.strictEqual(sessions.create(init), "perKey")
        const bob = { ...init, principal: "bob", quotaKey: "bob" }
        createOrFail(sessions, bob)
        assert.strictEqual(sessions.create(bob), "total")
        yield* sessions.close(first.id)
        assert.notTypeOf(sessions.create(init), "string")
      }).pipe(withSessions({ maxSessions: 3, maxSessionsPerPrincipal: 2 })))
  })

  describe("sweep", () => {
    it.effect("closes only sessions idle for at least idleMs", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const idle = createOrFail(sessions)
        const active = createOrFail(sessions)
        yield* TestClock.adjust("6 seconds")
        sessions.touch(active)
        yield* TestClock.adjust("4 seconds")
        assert.strictEqual(yield* sessions.sweep, 1)
        assert.isUndefined(sessions.get(idle.id))
        assert.strictEqual(sessions.get(active.id), active)
      }).pipe(withSessions({ idleMs: 10_000 })))

    it.effect("keeps an idle session with a call in flight", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const busy = createOrFail(sessions)
        busy.inflight.set(1, yield* Effect.forkChild(Effect.never))
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(yield* sessions.sweep, 0)
        assert.strictEqual(sessions.get(busy.id), busy)
      }).pipe(withSessions({ idleMs: 10_000 })))
  })

  describe("layer: the idle sweep loop (TestClock)", () => {
    // idleMs 4000 → the loop sweeps every 1000 ms.
    it.effect("closes a session once it has been idle for idleMs, keeping one touched recently", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const idle = createOrFail(sessions)
        const active = createOrFail(sessions)
        yield* TestClock.adjust("3 seconds")
        assert.isDefined(sessions.get(idle.id), "not idle long enough yet")
        sessions.touch(active)
        yield* TestClock.adjust("2 seconds")
        assert.isUndefined(sessions.get(idle.id), "idle past idleMs")
        assert.strictEqual(sessions.get(active.id), active)
        yield* TestClock.adjust("3 seconds")
        assert.isUndefined(sessions.get(active.id), "idle past idleMs since its last touch")
        assert.strictEqual(sessions.size(), 0)
      }).pipe(withSweepingSessions({ idleMs: 4000 })))

    it.effect("does not close a session with a call in flight, and closes it once the call is done", () =>
      Effect.gen(function*() {
        const sessions = yield* Sessions
        const busy = createOrFail(sessions)
        const call = yield* Effect.forkChild(Effect.never)
        busy.inflight.set("call", call)
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(sessions.get(busy.id), busy)
        busy.inflight.delete("call")
        yield* Fiber.interrupt(call)
        yield* TestClock.adjust("1 second")
        assert.isUndefined(sessions.get(busy.id))
      }).pipe(withSweepingSessions({ idleMs: 4000 })))

    it.effect("closes every session when the layer's scope closes", () =>
      Effect.gen(function*() {
        const leftover = yield* Effect.gen(function*() {
          const sessions = yield* Sessions
          const session = createOrFail(sessions)
          const call = yield* Effect.forkDetach(Effect.never)
          session.inflight.set("call", call)
          return { sessions, call }
        }).pipe(withSweepingSessions({ idleMs: 600_000 }))
        assert.strictEqual(leftover.sessions.size(), 0)
        assert.isTrue((yield* Fiber.await(leftover.call))._tag === "Failure")
      }))
  })
})
