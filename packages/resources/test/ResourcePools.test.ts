import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Scheduler, Scope } from "effect"
import type { Allocation } from "../src/Profile.ts"
import * as ResourcePools from "../src/ResourcePools.ts"
import { PoolFull, WeightedPool } from "../src/WeightedPool.ts"

const grant = (cpu: number, memoryMiB: number, network: number): Allocation => ({ strategy: "balanced", cpu, memoryMiB, network })
const held = (pools: ReturnType<typeof ResourcePools.make>) => pools.pools.map((p) => p.load().active)

describe("ResourcePools", () => {
  const pools = () => ResourcePools.make({ cores: 2, memoryBudgetMiB: 100, networkPermits: 4, maxQueuedPerPool: 1 })

  it.effect("sizes the pools: cores in hundredths, MiB of the budget, network permits", () =>
    Effect.sync(() => {
      const p = pools()
      assert.deepStrictEqual(p.pools.map((pool) => pool.capacity()), [200, 100, 4])
      assert.deepStrictEqual(p.capacity(), { cpu: 2, memoryMiB: 100, network: 4 })
    }))

  it.effect("gives the permits back when the holder succeeds", () =>
    Effect.gen(function*() {
      const p = pools()
      const during = yield* p.withAllocation(grant(0.5, 30, 2), Effect.sync(() => held(p)))
      assert.deepStrictEqual(during, [50, 30, 2])
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("gives the permits back when the holder fails", () =>
    Effect.gen(function*() {
      const p = pools()
      const error = yield* Effect.flip(p.withAllocation(grant(0.5, 30, 2), Effect.fail("boom")))
      assert.strictEqual(error, "boom")
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("gives the permits back when the holder is interrupted", () =>
    Effect.gen(function*() {
      const p = pools()
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(p.withAllocation(grant(1, 50, 1), Effect.andThen(Deferred.succeed(started, undefined), Effect.never)))
      yield* Deferred.await(started)
      assert.deepStrictEqual(held(p), [100, 50, 1])
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("a waiter interrupted in the queue leaves it and holds nothing", () =>
    Effect.gen(function*() {
      const p = pools()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(p.withAllocation(grant(0.1, 80, 0), Deferred.await(release)))
      yield* Effect.yieldNow
      const waiter = yield* Effect.forkChild(p.withAllocation(grant(0.1, 80, 0), Effect.void))
      yield* Effect.yieldNow
      // the waiter holds its CPU permits while it waits for memory
      assert.deepStrictEqual(p.memory.load(), { active: 80, capacity: 100, queued: 1 })
      yield* Fiber.interrupt(waiter)
      assert.deepStrictEqual(p.memory.load(), { active: 80, capacity: 100, queued: 0 })
      assert.strictEqual(p.cpu.load().active, 10)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("scoped acquisition holds until the scope closes, also when it closes with a failure", () =>
    Effect.gen(function*() {
      const p = pools()
      const scope = yield* Scope.make()
      yield* Scope.provide(p.acquire(grant(0.2, 10, 1)), scope)
      assert.deepStrictEqual(held(p), [20, 10, 1])
      yield* Scope.close(scope, Exit.fail("boom"))
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("scoped acquisition interrupted while it waits leaves the queue and holds nothing", () =>
    Effect.gen(function*() {
      const p = pools()
      const holder = yield* Scope.make()
      yield* Scope.provide(p.acquire(grant(0.1, 100, 0)), holder)
      const waiting = yield* Effect.forkChild(Effect.scoped(p.acquire(grant(0.1, 10, 0))))
      yield* Effect.yieldNow
      assert.strictEqual(p.memory.load().queued, 1)
      yield* Fiber.interrupt(waiting)
      assert.deepStrictEqual(held(p), [10, 100, 0])
      assert.strictEqual(p.memory.load().queued, 0)
      yield* Scope.close(holder, Exit.void)
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("refuses with PoolFull past a pool's queue bound, and gives back what earlier pools granted", () =>
    Effect.gen(function*() {
      const p = pools()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(p.withAllocation(grant(0.1, 0, 4), Deferred.await(release)))
      yield* Effect.yieldNow
      const queued = yield* Effect.forkChild(p.withAllocation(grant(0.1, 0, 1), Effect.succeed("ran")))
      yield* Effect.yieldNow
      const refused = yield* Effect.flip(p.withAllocation(grant(0.3, 5, 1), Effect.succeed("never")))
      assert.instanceOf(refused, PoolFull)
      assert.strictEqual(refused.pool, "network")
      assert.isAbove(refused.retryAfterMs, 0)
      // the refused run's CPU and memory permits went back: only the holder's and the waiter's remain
      assert.deepStrictEqual(held(p), [20, 0, 4])
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      assert.strictEqual(yield* Fiber.join(queued), "ran")
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }))

  it.effect("a request larger than a pool takes the whole pool and runs alone", () =>
    Effect.gen(function*() {
      const p = pools()
      const during = yield* p.withAllocation(grant(10, 500, 99), Effect.sync(() => held(p)))
      assert.deepStrictEqual(during, [200, 100, 4])
    }))
})

describe("WeightedPool", () => {
  it.effect("hands permits in arrival order: a large request is not overtaken by smaller ones", () =>
    Effect.gen(function*() {
      const pool = new WeightedPool({ name: "memory", capacity: 10, maxQueued: 10 })
      const order: Array<string> = []
      assert.isTrue(pool.tryTake(8))
      const big = yield* Effect.forkChild(Effect.andThen(pool.take(6), Effect.sync(() => order.push("big"))))
      yield* Effect.yieldNow
      const small = yield* Effect.forkChild(Effect.andThen(pool.take(2), Effect.sync(() => order.push("small"))))
      yield* Effect.yieldNow
      // 2 are free, enough for `small`, but `big` arrived first
      assert.deepStrictEqual(order, [])
      pool.release(8)
      yield* Fiber.join(big)
      yield* Fiber.join(small)
      assert.deepStrictEqual(order, ["big", "small"])
      assert.deepStrictEqual(pool.load(), { active: 8, capacity: 10, queued: 0 })
    }))

  it.effect("resize lets waiters in when the pool grows", () =>
    Effect.gen(function*() {
      const pool = new WeightedPool({ name: "memory", capacity: 4 })
      assert.isTrue(pool.tryTake(4))
      const waiter = yield* Effect.forkChild(pool.take(3))
      yield* Effect.yieldNow
      pool.resize(7)
      assert.strictEqual(yield* Fiber.join(waiter), 3)
      assert.deepStrictEqual(pool.load(), { active: 7, capacity: 7, queued: 0 })
    }))

  it.effect("the retry hint is the configured one, or one recent hold time when holds are longer (at most 60 s)", () =>
    Effect.sync(() => {
      const pool = new WeightedPool({ name: "cpu", capacity: 1, retryAfterMs: 1000 })
      assert.strictEqual(pool.retryAfterMs(), 1000)
      pool.recordHold(200)
      assert.strictEqual(pool.retryAfterMs(), 1000)
      pool.recordHold(5000) // mean moves a tenth of the way: 200 + 480
      assert.strictEqual(pool.retryAfterMs(), 1000)
      for (let i = 0; i < 100; i++) pool.recordHold(5000)
      assert.closeTo(pool.retryAfterMs(), 5000, 1)
      for (let i = 0; i < 200; i++) pool.recordHold(10_000_000)
      assert.strictEqual(pool.retryAfterMs(), 60_000)
    }))

  it.live("permits handed to waiters that are interrupted before their next step are given back (at every point the scheduler may yield)", () =>
    // a fiber yields to the scheduler every `ops` operations; over a range of budgets, one of the
    // yields falls between a waiter's wake-up and its taking ownership of what it was handed
    Effect.gen(function*() {
      for (let ops = 3; ops <= 64; ops++) {
        const p = ResourcePools.make({ cores: 1, memoryBudgetMiB: 100, networkPermits: 4, maxQueuedPerPool: 64 })
        assert.isTrue(p.cpu.tryTake(100))
        const waiters = yield* Effect.forEach(Array.from({ length: 8 }), () =>
          Effect.forkChild(p.withAllocation(grant(0.1, 1, 0), Effect.never).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, ops))))
        while (p.cpu.load().queued < 8) yield* Effect.sleep(1)
        yield* Effect.sync(() => p.cpu.release(100)) // wakes the waiters, each until its next yield
        yield* Effect.forEach(waiters, Fiber.interrupt, { discard: true })
        assert.deepStrictEqual(held(p), [0, 0, 0], `yielding every ${ops} operations`)
      }
    }))

  it.live("scoped acquisitions interrupted right after their hand-over give it back", () =>
    Effect.gen(function*() {
      for (let ops = 3; ops <= 64; ops++) {
        const p = ResourcePools.make({ cores: 1, memoryBudgetMiB: 100, networkPermits: 4, maxQueuedPerPool: 64 })
        assert.isTrue(p.cpu.tryTake(100))
        const waiters = yield* Effect.forEach(Array.from({ length: 8 }), () =>
          Effect.forkChild(Effect.scoped(Effect.andThen(p.acquire(grant(0.1, 1, 0)), Effect.never)).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, ops))))
        while (p.cpu.load().queued < 8) yield* Effect.sleep(1)
        yield* Effect.sync(() => p.cpu.release(100))
        yield* Effect.forEach(waiters, Fiber.interrupt, { discard: true })
        assert.deepStrictEqual(held(p), [0, 0, 0], `yielding every ${ops} operations`)
      }
    }))

  it.live("a holder interrupted at any point the scheduler may yield while it takes free permits gives them back", () =>
    Effect.gen(function*() {
      const p = ResourcePools.make({ cores: 1, memoryBudgetMiB: 100, networkPermits: 4, maxQueuedPerPool: 64 })
      for (let ops = 2; ops <= 64; ops++) {
        const fiber = yield* Effect.forkChild(p.withAllocation(grant(0.1, 1, 1), Effect.never).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, ops)), { startImmediately: true })
        fiber.interruptUnsafe()
        yield* Fiber.await(fiber)
        assert.deepStrictEqual(held(p), [0, 0, 0], `yielding every ${ops} operations`)
      }
    }))

  it.live("a full queue of holders that finish at once drains: each hand-over starts the next holder on its own stack, not nested in the previous one's", () =>
    Effect.gen(function*() {
      const n = 4096
      const p = ResourcePools.make({ cores: 1, memoryBudgetMiB: 100, networkPermits: 4, maxQueuedPerPool: n })
      const done = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(p.withAllocation(grant(1, 0, 0), Deferred.await(done)))
      while (p.cpu.load().active < 100) yield* Effect.sleep(1)
      const runs = yield* Effect.forEach(Array.from({ length: n }), () => Effect.forkChild(p.withAllocation(grant(1, 1, 1), Effect.void)))
      while (p.cpu.load().queued < n) yield* Effect.sleep(1)
      yield* Deferred.succeed(done, undefined)
      yield* Fiber.join(holder)
      const exits = yield* Effect.forEach(runs, Fiber.await).pipe(Effect.timeoutOrElse({ duration: 20_000, orElse: () => Effect.die(new Error(`stuck: ${JSON.stringify(p.cpu.load())}`)) }))
      assert.deepStrictEqual(exits.filter((exit) => exit._tag !== "Success").map(String), [])
      assert.deepStrictEqual(held(p), [0, 0, 0])
    }), 30_000)
})
