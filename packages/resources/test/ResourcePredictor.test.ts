import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { extract, type Operation, OPERATIONS } from "../src/Features.ts"
import type { ResourceProfile, Target } from "../src/Profile.ts"
import * as ResourcePredictor from "../src/ResourcePredictor.ts"
import { random } from "./support/random.ts"

/** A synthetic workload whose true costs differ from the priors: calls, and what each really used. */
const workload = (seed: number, size: number) => {
  const next = random(seed)
  return Array.from({ length: size }, () => {
    const operation: Operation = OPERATIONS[Math.floor(next() * 4)]!
    const args = {
      complexity: next() * 3,
      limit: Math.floor(next() * 100),
      enable_reranking: next() < 0.5,
      parallel_processing: next() < 0.3,
      accuracy_level: next()
    }
    const { features } = extract({ operation }, args)
    const noise = () => 1 + (next() - 0.5) * 0.1
    const heavy = operation === "analysis" ? 1 : 0
    const actual: ResourceProfile = {
      cpu: (0.02 + 0.3 * heavy + 0.1 * args.complexity + (args.parallel_processing ? 0.5 : 0)) * noise(),
      memoryMiB: (8 + 2 * args.limit + (args.enable_reranking ? 64 : 0)) * noise(),
      network: (operation === "search" ? 3 : 0) + (args.parallel_processing ? 2 : 0),
      durationMs: (20 + 400 * args.complexity + (args.enable_reranking ? 250 : 0) + 900 * heavy) * noise()
    }
    return { features, actual }
  })
}

const targets: ReadonlyArray<[Target, keyof ResourceProfile]> = [["cpu", "cpu"], ["memory", "memoryMiB"], ["network", "network"], ["duration", "durationMs"]]

describe("ResourcePredictor", () => {
  it.effect("its error falls as it learns a synthetic workload", () =>
    Effect.sync(() => {
      const predictor = ResourcePredictor.make()
      const runs = workload(1, 3000)
      runs.slice(0, 30).forEach((r) => predictor.observe("tool", r.features, r.actual))
      const early = predictor.error()
      runs.slice(30).forEach((r) => predictor.observe("tool", r.features, r.actual))
      const late = predictor.error()
      for (const [target] of targets) {
        assert.strictEqual(late[target].observations, 3000)
        assert.isBelow(late[target].mae, early[target].mae * 0.3, `${target}: ${late[target].mae} vs ${early[target].mae}`)
      }
    }))

  it.effect("after training, predicts unseen calls far better than its priors", () =>
    Effect.sync(() => {
      const predictor = ResourcePredictor.make()
      const untrained = ResourcePredictor.make()
      workload(2, 2000).forEach((r) => predictor.observe("tool", r.features, r.actual))
      const unseen = workload(3, 500)
      for (const [, field] of targets) {
        const mae = (p: typeof predictor) => unseen.reduce((sum, r) => sum + Math.abs(p.predict("tool", r.features)[field] - r.actual[field]), 0) / unseen.length
        assert.isBelow(mae(predictor), mae(untrained) * 0.3, field)
      }
    }))

  it.effect("starts from its priors: embedding and analysis cost more CPU than search", () =>
    Effect.sync(() => {
      const predictor = ResourcePredictor.make()
      const cpu = (operation: Operation) => predictor.predict("t", extract({ operation }, {}).features).cpu
      assert.isAbove(cpu("embedding"), cpu("search"))
      assert.isAbove(cpu("analysis"), cpu("search"))
    }))

  it.effect("keeps models per tool: one tool's runs do not move another's predictions", () =>
    Effect.sync(() => {
      const predictor = ResourcePredictor.make()
      const { features } = extract({ operation: "search" }, {})
      const before = predictor.predict("b", features).durationMs
      for (let i = 0; i < 200; i++) predictor.observe("a", features, { durationMs: 5000 })
      assert.closeTo(predictor.predict("a", features).durationMs, 5000, 50)
      assert.strictEqual(predictor.predict("b", features).durationMs, before)
    }))

  it.effect("holds at most maxModels models, dropping the least recently trained", () =>
    Effect.sync(() => {
      const predictor = ResourcePredictor.make({ maxModels: 3 })
      const { features } = extract({}, {})
      for (const tool of ["a", "b", "c", "a", "d"]) predictor.observe(tool, features, { durationMs: 9000 })
      assert.strictEqual(predictor.size(), 3)
      const prior = ResourcePredictor.make().predict("x", features).durationMs
      assert.strictEqual(predictor.predict("b", features).durationMs, prior) // dropped
      assert.notStrictEqual(predictor.predict("a", features).durationMs, prior)
    }))

  it.effect("stays finite and in range whatever it is fed", () =>
    Effect.sync(() => {
      const predictor = ResourcePredictor.make({ forgetting: 0.9 })
      const features = extract({ operation: "workflow" }, { complexity: 10, limit: 1000, timeout_ms: 600_000 }).features
      const garbage = [NaN, Infinity, -Infinity, 1e308, -1e308, 0, 1e-300]
      for (let i = 0; i < 5000; i++) {
        const v = garbage[i % garbage.length]!
        predictor.observe("t", features, { cpu: v, memoryMiB: v, network: v, durationMs: v })
      }
      // the same features over and over: no covariance wind-up
      for (let i = 0; i < 5000; i++) predictor.observe("t", features, { durationMs: 100 })
      const p = predictor.predict("t", features)
      for (const value of Object.values(p)) {
        assert.isTrue(Number.isFinite(value))
        assert.isAtLeast(value, 0)
      }
      assert.closeTo(p.durationMs, 100, 1)
      for (const [target] of targets) assert.isTrue(Number.isFinite(predictor.error()[target].mae))
    }))
})
