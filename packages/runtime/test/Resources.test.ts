import { assert, describe, it } from "@effect/vitest"
import { Admission } from "@tenfold/executor"
import { ResourceManager } from "@tenfold/resources"
import { Effect, type Layer, Option } from "effect"
import { ConfigError, fromObject, resolve } from "../src/Config.ts"
import { admissionLayer } from "../src/Tenfold.ts"

describe("resource pools in the runtime", () => {
  it.effect("admission is the resource manager by default, configured from the config", () =>
    Effect.gen(function*() {
      const manager = yield* ResourceManager
      assert.strictEqual(yield* Admission, manager.admission)
      assert.deepStrictEqual(manager.pools.capacity().memoryMiB, 512)
      assert.strictEqual(manager.pools.network.capacity(), 4)
      assert.strictEqual(manager.pools.network.maxQueued, 2)
      assert.strictEqual(manager.decide({ name: "search_docs" }, {})?.allocation.strategy, "performance")
      assert.isUndefined(manager.decide({ name: "echo" }, {}))
      assert.strictEqual(manager.admission.load().capacity, 7)
    }).pipe(Effect.provide(admissionLayer(resolve({
      memoryBudgetMib: 512,
      networkPermits: 4,
      maxQueuedPerPool: 2,
      maxRunningTools: 7,
      resourceMonitorIntervalMs: 0,
      resourceTools: { search_docs: { operation: "search", priority: "high" } }
    })) as Layer.Layer<Admission | ResourceManager>))) // resources on: the manager's layer

  it.effect("with resources off, admission is the counting one alone", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* Effect.serviceOption(ResourceManager)))
      assert.strictEqual((yield* Admission).load().capacity, 7)
    }).pipe(Effect.provide(admissionLayer(resolve({ resources: false, maxRunningTools: 7 })))))

  it.effect("a config file's resourceTools are checked: operation, complexity and priority name a bad value", () =>
    Effect.gen(function*() {
      const good = yield* fromObject("test", { resourceTools: { a: { operation: "embedding", complexity: 2, priority: "low", costSensitive: true } } })
      assert.deepStrictEqual(good.resourceTools, { a: { operation: "embedding", complexity: 2, priority: "low", costSensitive: true } })
      for (const bad of [{ operation: "mining" }, { complexity: 11 }, { priority: "urgent" }, { cores: 2 }]) {
        const error = yield* Effect.flip(fromObject("test", { resourceTools: { a: bad } }))
        assert.instanceOf(error, ConfigError)
        assert.include(error.message, "resourceTools")
      }
    }))
})
