import { assert, describe, it } from "@effect/vitest"
import { LoadBalancer } from "../src/index.ts"

const worker = (overrides: Partial<LoadBalancer.WorkerLoad> = {}): LoadBalancer.WorkerLoad => ({
  load: 0,
  queued: 0,
  capacity: 64,
  recentMs: [],
  warm: new Set(),
  ...overrides
})

describe("LoadBalancer", () => {
  it("scores with the seed's weights: load 0.4, queue 0.3, performance 0.2, affinity 0.1", () => {
    // idle, empty, average speed, cold: performance 0.2 + affinity 0.1
    assert.closeTo(LoadBalancer.score(worker(), "m", undefined), 0.3, 1e-9)
    assert.closeTo(LoadBalancer.score(worker({ load: 1 }), "m", undefined), 0.7, 1e-9)
    assert.closeTo(LoadBalancer.score(worker({ queued: 5 }), "m", undefined), 0.45, 1e-9)
    assert.closeTo(LoadBalancer.score(worker({ queued: 50 }), "m", undefined), 0.6, 1e-9) // queue factor capped at 1
    assert.closeTo(LoadBalancer.score(worker({ warm: new Set(["m"]) }), "m", undefined), 0.2, 1e-9)
    // twice as slow as the pool's mean: performance factor 2
    assert.closeTo(LoadBalancer.score(worker({ recentMs: [20, 20] }), "m", 10), 0.5, 1e-9)
  })

  it("picks the lowest score", () => {
    assert.strictEqual(LoadBalancer.choose([worker({ load: 1 }), worker()], "m"), 1)
    assert.strictEqual(LoadBalancer.choose([worker({ queued: 3 }), worker({ queued: 1 })], "m"), 1)
    // busy but warm (0.4 + 0.2) loses to idle and cold (0.2 + 0.1)
    assert.strictEqual(LoadBalancer.choose([worker({ load: 1, warm: new Set(["m"]) }), worker()], "m"), 1)
    // equally loaded: the warm one wins (affinity)
    assert.strictEqual(LoadBalancer.choose([worker(), worker({ warm: new Set(["m"]) })], "m"), 1)
    assert.strictEqual(LoadBalancer.choose([worker(), worker({ warm: new Set(["other"]) })], "m"), 0)
    // equally loaded and warm: the faster one wins (performance)
    assert.strictEqual(LoadBalancer.choose([worker({ recentMs: [30, 30] }), worker({ recentMs: [10, 10] })], "m"), 1)
    // one queued task (0.03) outweighs being twice as slow? no: 0.2 × (2 - 0.5) = 0.3 > 0.03
    assert.strictEqual(LoadBalancer.choose([worker({ recentMs: [40] }), worker({ recentMs: [10], queued: 1 })], "m"), 1)
  })

  it("never picks a worker whose mailbox is full; -1 when all are", () => {
    assert.strictEqual(LoadBalancer.choose([worker({ queued: 2, capacity: 2 }), worker({ load: 1, queued: 1, capacity: 2 })], "m"), 1)
    assert.strictEqual(LoadBalancer.choose([worker({ queued: 2, capacity: 2 })], "m"), -1)
    assert.strictEqual(LoadBalancer.choose([], "m"), -1)
  })

  it("measures performance over the last ten durations against the pool's mean", () => {
    const slowThenFast = worker({ recentMs: [...Array(20).fill(1000), ...Array(10).fill(10)] })
    assert.strictEqual(LoadBalancer.poolMeanMs([slowThenFast]), 10)
    assert.strictEqual(LoadBalancer.poolMeanMs([worker({ recentMs: [10] }), worker({ recentMs: [30] }), worker()]), 20)
    assert.strictEqual(LoadBalancer.poolMeanMs([worker()]), undefined)
  })
})
