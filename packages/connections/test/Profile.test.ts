import { assert, describe, it } from "@effect/vitest"
import { profiles, resolve } from "../src/Profile.ts"
import { nextCapacity } from "../src/Sizing.ts"

describe("Profile.resolve", () => {
  it("gives an unlisted origin the default profile and a listed one its profile", () => {
    const origins = { "https://fast.example": "low_latency" } as const
    assert.deepStrictEqual(resolve("https://other.example", origins, "high_throughput"), { profile: "high_throughput", settings: profiles.high_throughput })
    assert.deepStrictEqual(resolve("https://fast.example", origins, "default"), { profile: "low_latency", settings: profiles.low_latency })
  })

  it("lays numbers over a profile and keeps min ≤ per host ≤ max ≤ connections", () => {
    const { settings } = resolve("http://a", { "http://a": { profile: "low_latency", perHost: 4, timeoutMs: 2000 } }, "default")
    assert.deepStrictEqual(settings, { ...profiles.low_latency, perHost: 4, minPerHost: 2, maxPerHost: 8, timeoutMs: 2000 })
    const squeezed = resolve("http://a", { "http://a": { connections: 3, perHost: 10, minPerHost: 7 } }, "default").settings
    assert.deepStrictEqual([squeezed.connections, squeezed.perHost, squeezed.minPerHost, squeezed.maxPerHost], [3, 3, 3, 3])
  })

  it("turns numbers undici would throw on into whole numbers of at least 1", () => {
    const { settings } = resolve("http://a", { "http://a": { connections: 0, perHost: -3, maxPerHost: Number.NaN, timeoutMs: 2.7, keepAliveMs: 0 } }, "default")
    assert.deepStrictEqual([settings.connections, settings.perHost, settings.minPerHost, settings.maxPerHost, settings.timeoutMs, settings.keepAliveMs], [1, 1, 1, 1, 2, 1])
  })
})

describe("Sizing.nextCapacity", () => {
  const bounds = { min: 2, max: 40 }
  it("grows × 1.5 above 80 % use or with requests queued, halves below 30 %, keeps between", () => {
    assert.strictEqual(nextCapacity({ capacity: 20, peak: 17, queued: 0 }, bounds), 30)
    assert.strictEqual(nextCapacity({ capacity: 20, peak: 3, queued: 1 }, bounds), 30)
    assert.strictEqual(nextCapacity({ capacity: 20, peak: 16, queued: 0 }, bounds), 20)
    assert.strictEqual(nextCapacity({ capacity: 20, peak: 6, queued: 0 }, bounds), 20)
    assert.strictEqual(nextCapacity({ capacity: 20, peak: 5, queued: 0 }, bounds), 10)
  })
  it("stays within its bounds", () => {
    assert.strictEqual(nextCapacity({ capacity: 30, peak: 30, queued: 5 }, bounds), 40)
    assert.strictEqual(nextCapacity({ capacity: 3, peak: 0, queued: 0 }, bounds), 2)
  })
})
