import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { allocate, strategyFor } from "../src/AllocationStrategy.ts"

const predicted = { cpu: 1, memoryMiB: 100, network: 10, durationMs: 50 }
const plenty = { cpu: 8, memoryMiB: 1000, network: 100 }

describe("AllocationStrategy", () => {
  it.effect("picks the strategy from the request's priority", () =>
    Effect.sync(() => {
      assert.strictEqual(strategyFor("high", false), "performance")
      assert.strictEqual(strategyFor("high", true), "performance")
      assert.strictEqual(strategyFor("low", false), "cost")
      assert.strictEqual(strategyFor("normal", true), "cost")
      assert.strictEqual(strategyFor("normal", false), "balanced")
    }))

  it.effect("performance grants ×1.5 CPU, ×1.3 memory, ×1.2 network when free", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(allocate("performance", predicted, plenty, plenty), { strategy: "performance", cpu: 1.5, memoryMiB: 130, network: 12 })
    }))

  it.effect("performance's boost is capped by what is free, never below the prediction", () =>
    Effect.sync(() => {
      const free = { cpu: 1.2, memoryMiB: 50, network: 11 }
      assert.deepStrictEqual(allocate("performance", predicted, free, plenty), { strategy: "performance", cpu: 1.2, memoryMiB: 100, network: 11 })
    }))

  it.effect("cost grants ×0.8 CPU, ×0.9 memory, ×1.0 network; balanced the prediction", () =>
    Effect.sync(() => {
      const cost = allocate("cost", predicted, plenty, plenty)
      assert.strictEqual(cost.strategy, "cost")
      assert.closeTo(cost.cpu, 0.8, 1e-12)
      assert.closeTo(cost.memoryMiB, 90, 1e-12)
      assert.strictEqual(cost.network, 10)
      assert.deepStrictEqual(allocate("balanced", predicted, plenty, plenty), { strategy: "balanced", cpu: 1, memoryMiB: 100, network: 10 })
    }))

  it.effect("no grant exceeds the pool's size", () =>
    Effect.sync(() => {
      const small = { cpu: 0.5, memoryMiB: 64, network: 4 }
      for (const strategy of ["performance", "cost", "balanced"] as const) {
        const grant = allocate(strategy, predicted, small, small)
        assert.deepStrictEqual([grant.cpu, grant.memoryMiB, grant.network], [0.5, 64, 4], strategy)
      }
    }))
})
