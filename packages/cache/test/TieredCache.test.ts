import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Deferred, Effect, Exit, Fiber, Layer, Logger, Metric, Ref, References, Scope, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as CacheMetrics from "../src/CacheMetrics.ts"
import type { CacheTier } from "../src/CacheTier.ts"
import { CacheTiers } from "../src/CacheTiers.ts"
import { MemoryTier } from "../src/MemoryTier.ts"
import { PersistentTier } from "../src/PersistentTier.ts"
import type { CachePolicy } from "../src/Policy.ts"
import { type Served, TieredCache } from "../src/TieredCache.ts"
import { keyOf, serve } from "./support/serve.ts"

const policy = (overrides: Partial<CachePolicy> = {}): CachePolicy => ({
  ttlMs: 1000,
  staleWhileRevalidateMs: 0,
  graceMs: 0,
  scope: "private",
  maxBytes: 1024,
  ...overrides
})

/** Lets background fibers run until `done` holds (or 1000 turns pass). */
const settled = (done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000 && !(yield* done); i++) yield* Effect.yieldNow
  })

const MemoryOnly = TieredCache.layer().pipe(Layer.provideMerge(MemoryTier.layer()))

/** A computation that counts its runs and answers `value-<run>`. */
const counting = Effect.gen(function*() {
  const runs = yield* Ref.make(0)
  const compute = Ref.updateAndGet(runs, (n) => n + 1).pipe(Effect.map((n) => ({ value: `"value-${n}"`, cacheable: true })))
  return { runs, compute }
})

describe("TieredCache", () => {
  it.effect("a computation runs under the span and log annotations of the caller that started it", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const parent = Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" })
      const seen = yield* Ref.make<ReadonlyArray<unknown>>([])
      const compute = Effect.gen(function*() {
        const span = yield* Effect.serviceOption(Tracer.ParentSpan)
        const annotations = yield* References.CurrentLogAnnotations
        yield* Ref.set(seen, [span._tag === "Some" ? span.value.spanId : undefined, annotations.requestId])
        return { value: "\"v\"", cacheable: true }
      })
      yield* serve(cache, keyOf("k"), policy(), compute).pipe(Effect.withParentSpan(parent), Effect.annotateLogs({ requestId: 7 }))
      assert.deepStrictEqual(yield* Ref.get(seen), ["00f067aa0ba902b7", 7])
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("computes on a miss, then answers from memory", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const { compute, runs } = yield* counting
      const first = yield* serve(cache, keyOf("k"), policy(), compute)
      const second = yield* serve(cache, keyOf("k"), policy(), compute)
      assert.deepStrictEqual([first.source, second.source], ["computed", "memory"])
      assert.strictEqual(second.value, "\"value-1\"")
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("serve answers L1 hits synchronously, fresh and stale (starting the refresh), and misses with an Effect", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const { compute, runs } = yield* counting
      const swr = policy({ staleWhileRevalidateMs: 5000 })
      const miss = cache.serve(keyOf("k"), swr, compute)
      assert.isTrue(Effect.isEffect(miss))
      assert.strictEqual(yield* Ref.get(runs), 0, "compute runs only when the miss Effect runs")
      yield* (miss as Effect.Effect<unknown>)
      assert.deepStrictEqual(cache.serve(keyOf("k"), swr, compute), { value: "\"value-1\"", source: "memory", freshUntil: 1000 })
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(cache.serve(keyOf("k"), swr, compute), { value: "\"value-1\"", source: "stale", freshUntil: 1000 })
      yield* settled(Ref.get(runs).pipe(Effect.map((n) => n === 2)))
      assert.deepStrictEqual(cache.serve(keyOf("k"), swr, compute), { value: "\"value-2\"", source: "memory", freshUntil: 3000 })
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("counts one L1 miss and one L1 hit for a miss followed by a hit", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const count = (metric: typeof CacheMetrics.hits) => Metric.value(CacheMetrics.forTier(metric, "memory")).pipe(Effect.map((s) => s.count))
      const [hits, misses] = [yield* count(CacheMetrics.hits), yield* count(CacheMetrics.misses)]
      yield* serve(cache, keyOf("counted"), policy(), Effect.succeed({ value: "1", cacheable: true }))
      yield* serve(cache, keyOf("counted"), policy(), Effect.succeed({ value: "1", cacheable: true }))
      assert.deepStrictEqual([(yield* count(CacheMetrics.hits)) - hits, (yield* count(CacheMetrics.misses)) - misses], [1, 1])
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("runs one computation for 100 concurrent misses of one key", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const runs = yield* Ref.make(0)
      const slow = Ref.update(runs, (n) => n + 1).pipe(Effect.andThen(Effect.sleep("20 millis")), Effect.as({ value: "\"v\"", cacheable: true }))
      const fiber = yield* Effect.forkChild(Effect.all(Array.from({ length: 100 }, () => serve(cache, keyOf("k"), policy(), slow)), { concurrency: "unbounded" }))
      yield* TestClock.adjust("20 millis")
      const served = yield* Fiber.join(fiber)
      assert.strictEqual(yield* Ref.get(runs), 1)
      assert.isTrue(served.every((s) => s.value === "\"v\""))
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("recomputes once the TTL has passed", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const { compute, runs } = yield* counting
      yield* serve(cache, keyOf("k"), policy(), compute)
      yield* TestClock.adjust("999 millis")
      assert.strictEqual((yield* serve(cache, keyOf("k"), policy(), compute)).source, "memory")
      yield* TestClock.adjust("1 millis")
      const after = yield* serve(cache, keyOf("k"), policy(), compute)
      assert.deepStrictEqual([after.source, after.value], ["computed", "\"value-2\""])
      assert.strictEqual(yield* Ref.get(runs), 2)
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("serves a stale value at once and refreshes it in the background (stale-while-revalidate)", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const { compute, runs } = yield* counting
      const swr = policy({ staleWhileRevalidateMs: 5000 })
      yield* serve(cache, keyOf("k"), swr, compute)
      yield* TestClock.adjust("2 seconds")
      const stale = yield* serve(cache, keyOf("k"), swr, compute)
      assert.deepStrictEqual([stale.source, stale.value], ["stale", "\"value-1\""])
      yield* settled(Ref.get(runs).pipe(Effect.map((n) => n === 2)))
      assert.strictEqual(yield* Ref.get(runs), 2)
      const fresh = yield* serve(cache, keyOf("k"), swr, compute)
      assert.deepStrictEqual([fresh.source, fresh.value], ["memory", "\"value-2\""])
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("answers with the stale value when the computation fails within the grace period", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const graced = policy({ graceMs: 60_000 })
      yield* serve(cache, keyOf("k"), graced, Effect.succeed({ value: "\"good\"", cacheable: true }))
      yield* TestClock.adjust("10 seconds")
      const failed = yield* serve(cache, keyOf("k"), graced, Effect.succeed({ value: "\"error\"", cacheable: false, failed: true }))
      assert.deepStrictEqual([failed.source, failed.value], ["stale", "\"good\""])
      const died = yield* serve(cache, keyOf("k"), graced, Effect.die("boom"))
      assert.strictEqual(died.value, "\"good\"")
      yield* TestClock.adjust("60 seconds")
      const gone = yield* serve(cache, keyOf("k"), graced, Effect.succeed({ value: "\"error\"", cacheable: false, failed: true }))
      assert.deepStrictEqual([gone.source, gone.value], ["computed", "\"error\""])
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("does not store results that are not cacheable or too large", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      yield* serve(cache, keyOf("a"), policy(), Effect.succeed({ value: "\"error\"", cacheable: false }))
      yield* serve(cache, keyOf("b"), policy({ maxBytes: 4 }), Effect.succeed({ value: "\"too large\"", cacheable: true }))
      const memory = yield* MemoryTier
      assert.isUndefined(memory.peek("a"))
      assert.isUndefined(memory.peek("b"))
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("interrupts the computation when its only caller goes away", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const never = Deferred.succeed(started, undefined).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
        Effect.as({ value: "x", cacheable: true })
      )
      const caller = yield* Effect.forkChild(serve(cache, keyOf("k"), policy(), never))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(caller)
      yield* Deferred.await(interrupted)
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("keeps the computation running while another caller still waits", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const slow = Effect.sleep("1 second").pipe(Effect.as({ value: "\"done\"", cacheable: true }))
      const leaving = yield* Effect.forkChild(serve(cache, keyOf("k"), policy(), slow))
      const staying = yield* Effect.forkChild(serve(cache, keyOf("k"), policy(), slow))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(leaving)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(staying)).value, "\"done\"")
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("every caller sharing a computation learns that its result reports a failure", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const slow = Effect.sleep("1 second").pipe(Effect.as({ value: "\"error\"", cacheable: false, failed: true }))
      const first = yield* Effect.forkChild(serve(cache, keyOf("k"), policy(), slow))
      const second = yield* Effect.forkChild(serve(cache, keyOf("k"), policy(), Effect.die("a waiter's own computation never runs")))
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 second")
      const served = [yield* Fiber.join(first), yield* Fiber.join(second)]
      assert.deepStrictEqual(served.map((s) => [s.source, s.failed]), [["computed", true], ["computed", true]])
      const ok = yield* serve(cache, keyOf("k"), policy(), Effect.succeed({ value: "\"v\"", cacheable: true }))
      assert.notStrictEqual(ok.failed, true)
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("closing the layer interrupts a computation in flight and answers its waiters", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const cache = Context.get(yield* Layer.buildWithScope(MemoryOnly, scope), TieredCache)
      const interrupted = yield* Deferred.make<void>()
      const slow = Effect.sleep("1 hour").pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)), Effect.as({ value: "x", cacheable: true }))
      const waiters = yield* Effect.forEach([1, 2], () => Effect.forkChild(serve(cache, keyOf("k"), policy(), slow)))
      yield* Effect.yieldNow
      yield* Scope.close(scope, Exit.void)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("1 second"), Effect.forkChild, Effect.andThen((f) => TestClock.adjust("1 second").pipe(Effect.andThen(Fiber.join(f)))))
      for (const waiter of waiters) {
        const exit = yield* Fiber.await(waiter)
        assert.isTrue(Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause))
      }
    }))

  it.effect("answers every waiter of a computation that interrupts itself", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const gate = yield* Deferred.make<void>()
      const selfInterrupting = Deferred.await(gate).pipe(Effect.andThen(Effect.interrupt), Effect.as({ value: "x", cacheable: true }))
      const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(serve(cache, keyOf("k"), policy(), selfInterrupting)))
      yield* Effect.yieldNow
      yield* Deferred.succeed(gate, undefined)
      const exits = yield* Effect.forEach(waiters, Fiber.await).pipe(Effect.timeout("1 second"), Effect.forkChild, Effect.andThen((f) => TestClock.adjust("1 second").pipe(Effect.andThen(Fiber.join(f)))))
      assert.isTrue(exits.every((exit) => Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause)))
      // the key is free again: the next caller computes
      assert.strictEqual((yield* serve(cache, keyOf("k"), policy(), Effect.succeed({ value: "\"next\"", cacheable: true }))).value, "\"next\"")
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("a refresh that joins a foreground computation keeps it alive when the foreground caller leaves", () =>
    Effect.gen(function*() {
      const cache = yield* TieredCache
      const { runs } = yield* counting
      const slow = Ref.updateAndGet(runs, (n) => n + 1).pipe(
        Effect.tap(() => Effect.sleep("1 second")),
        Effect.map((n) => ({ value: `"value-${n}"`, cacheable: true }))
      )
      const swr = policy({ staleWhileRevalidateMs: 60_000 })
      yield* serve(cache, keyOf("k"), swr, Effect.succeed({ value: "\"value-0\"", cacheable: true }))
      yield* TestClock.adjust("2 seconds")
      // one caller does not tolerate the stale value (a foreground miss), the next one does (a refresh)
      const foreground = yield* Effect.forkChild(serve(cache, keyOf("k"), policy({ graceMs: 60_000 }), slow))
      yield* Effect.yieldNow
      assert.strictEqual((yield* serve(cache, keyOf("k"), swr, slow)).source, "stale")
      yield* Effect.yieldNow
      yield* Fiber.interrupt(foreground)
      yield* TestClock.adjust("1 second")
      const memory = yield* MemoryTier
      yield* settled(Effect.sync(() => memory.peek("k")?.value === "\"value-1\""))
      assert.deepStrictEqual(memory.peek("k"), { value: "\"value-1\"", freshUntil: 4000, staleUntil: 64_000 })
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(MemoryOnly)))

  it.effect("logs and counts a failed background refresh, and keeps the stale value", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => void logs.push(`${logLevel}: ${String(message)}`))
      const cache = Context.get(yield* Layer.build(MemoryOnly.pipe(Layer.provide(Logger.layer([capture])))), TieredCache)
      const failures = Metric.value(CacheMetrics.refreshFailures).pipe(Effect.map((s) => s.count))
      const before = yield* failures
      const swr = policy({ staleWhileRevalidateMs: 60_000 })
      yield* serve(cache, keyOf("k"), swr, Effect.succeed({ value: "\"good\"", cacheable: true }))
      yield* TestClock.adjust("2 seconds")
      const served = yield* serve(cache, keyOf("k"), swr, Effect.fail("tool broke"))
      assert.strictEqual(served.value, "\"good\"")
      yield* settled(Effect.map(failures, (n) => n > before))
      assert.strictEqual((yield* failures) - before, 1)
      assert.isTrue(logs.some((line) => line.startsWith("Warn") && line.includes("refresh failed")), logs.join("\n"))
      assert.strictEqual((cache.serve(keyOf("k"), swr, Effect.fail("unused")) as Served).value, "\"good\"")
    }))

  it.effect("promotes an entry found in L4 into memory", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "tenfold-tiered-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const withL4 = TieredCache.layer().pipe(
        Layer.provideMerge(CacheTiers.layer([PersistentTier])),
        Layer.provideMerge(Layer.mergeAll(MemoryTier.layer(), PersistentTier.layer({ dir })))
      )
      const { compute, runs } = yield* counting
      yield* TieredCache.use((cache) => serve(cache, keyOf("k"), policy(), compute)).pipe(Effect.provide(withL4))
      // a new process: empty memory, same directory
      const sources = yield* Effect.gen(function*() {
        const cache = yield* TieredCache
        const a = yield* serve(cache, keyOf("k"), policy(), compute)
        const b = yield* serve(cache, keyOf("k"), policy(), compute)
        return [a.source, b.source]
      }).pipe(Effect.provide(withL4))
      assert.deepStrictEqual(sources, ["sqlite", "memory"])
      assert.strictEqual(yield* Ref.get(runs), 1)
    }))

  it.effect("stale hits that arrive together start one refresh: one lookup below L1, not one per hit", () =>
    Effect.gen(function*() {
      const gets = yield* Ref.make(0)
      // a tier that answers after a turn of the scheduler, as Redis answers after a round trip
      const below: CacheTier = {
        name: "below",
        get: () => Ref.update(gets, (n) => n + 1).pipe(Effect.andThen(Effect.yieldNow), Effect.as(undefined)),
        set: () => Effect.void,
        delete: () => Effect.void
      }
      const layer = TieredCache.layer().pipe(Layer.provideMerge(Layer.mergeAll(MemoryTier.layer(), Layer.succeed(CacheTiers, [below]))))
      const cache = Context.get(yield* Layer.build(layer), TieredCache)
      const { compute, runs } = yield* counting
      const swr = policy({ staleWhileRevalidateMs: 5000 })
      yield* serve(cache, keyOf("k"), swr, compute)
      yield* TestClock.adjust("2 seconds")
      for (let i = 0; i < 3; i++) assert.strictEqual((cache.serve(keyOf("k"), swr, compute) as Served).source, "stale")
      yield* settled(Ref.get(runs).pipe(Effect.map((n) => n === 2)))
      assert.strictEqual(yield* Ref.get(runs), 2)
      assert.strictEqual(yield* Ref.get(gets), 2, "one lookup for the miss, one for the refresh")
    }))
  it.effect("a tier that does not serve a policy is neither asked, nor written, nor counted for it", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const picky: CacheTier = {
        name: "picky",
        get: (key) => Effect.sync(() => void calls.push(`get ${key.tool}`)).pipe(Effect.as(undefined)),
        set: (key) => Effect.sync(() => void calls.push(`set ${key.tool}`)),
        delete: () => Effect.void,
        serves: (policy) => policy.maxBytes === 7
      }
      const layer = TieredCache.layer().pipe(Layer.provideMerge(Layer.mergeAll(MemoryTier.layer(), Layer.succeed(CacheTiers, [picky]))))
      const cache = Context.get(yield* Layer.build(layer), TieredCache)
      const { compute } = yield* counting
      const misses = CacheMetrics.forTier(CacheMetrics.misses, "picky")
      const before = (yield* Metric.value(misses)).count
      yield* serve(cache, keyOf("other"), policy(), compute)
      assert.deepStrictEqual(calls, [])
      assert.strictEqual((yield* Metric.value(misses)).count, before)
      yield* serve(cache, { ...keyOf("mine"), tool: "mine" } as never, policy({ maxBytes: 7 }), compute)
      assert.deepStrictEqual(calls, ["get mine"])
      assert.strictEqual((yield* Metric.value(misses)).count, before + 1)
    }))
})
