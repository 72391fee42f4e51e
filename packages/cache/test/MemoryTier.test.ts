import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { MemoryTier } from "../src/MemoryTier.ts"
import { anyPolicy, keyOf } from "./support/serve.ts"

const entry = (value: string, freshFor = 1000, staleFor = 0) => ({ value, freshUntil: freshFor, staleUntil: freshFor + staleFor })

describe("MemoryTier", () => {
  it.effect("stores and returns values as they are", () =>
    Effect.gen(function*() {
      const memory = yield* MemoryTier
      yield* memory.set(keyOf("k"), entry("v"), anyPolicy)
      assert.deepStrictEqual(yield* memory.get(keyOf("k"), anyPolicy), entry("v"))
      yield* memory.delete(keyOf("k"))
      assert.isUndefined(memory.peek("k"))
    }).pipe(Effect.provide(MemoryTier.layer())))

  it.effect("drops an entry once its stale time has passed", () =>
    Effect.gen(function*() {
      const memory = yield* MemoryTier
      memory.put(keyOf("k"), entry("v", 1000, 500))
      yield* TestClock.adjust("1499 millis")
      assert.isDefined(memory.peek("k"))
      yield* TestClock.adjust("1 millis")
      assert.isUndefined(memory.peek("k"))
      assert.strictEqual(memory.stats().entries, 0)
    }).pipe(Effect.provide(MemoryTier.layer())))

  it.effect("stays within its byte bound by evicting the least recently used", () =>
    Effect.gen(function*() {
      const memory = yield* MemoryTier
      const big = "x".repeat(1000)
      for (let i = 0; i < 10; i++) memory.put(keyOf(`k${i}`), entry(big, 1e12))
      memory.peek("k0") // k0 becomes most recently used
      for (let i = 10; i < 20; i++) memory.put(keyOf(`k${i}`), entry(big, 1e12))
      const stats = memory.stats()
      assert.isAtMost(stats.bytes, 10_000)
      assert.isAbove(stats.evictions, 0)
      assert.isUndefined(memory.peek("k1"))
      assert.isDefined(memory.peek("k19"))
    }).pipe(Effect.provide(MemoryTier.layer({ maxBytes: 10_000 }))))

  it.effect("stays within its entry bound", () =>
    Effect.gen(function*() {
      const memory = yield* MemoryTier
      for (let i = 0; i < 10; i++) memory.put(keyOf(`k${i}`), entry("v", 1e12))
      assert.strictEqual(memory.stats().entries, 3)
      memory.clear()
      assert.strictEqual(memory.stats().entries, 0)
    }).pipe(Effect.provide(MemoryTier.layer({ maxEntries: 3 }))))
})
