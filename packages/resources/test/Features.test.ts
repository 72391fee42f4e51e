import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DIMENSION, extract } from "../src/Features.ts"
import { random } from "./support/random.ts"

const NAMES = ["complexity", "limit", "enable_reranking", "parallel_processing", "accuracy_level", "timeout_ms", "priority", "cost_sensitive", "__proto__", "constructor", "x"]

/** Any JSON-ish value, or one of the odd things an embedding app might pass. */
const anyValue = (next: () => number, depth: number): unknown => {
  const pick = Math.floor(next() * 14)
  switch (pick) {
    case 0: return null
    case 1: return undefined
    case 2: return next() < 0.5
    case 3: return [NaN, Infinity, -Infinity, -0, 1e308, -1e308, Number.MIN_VALUE][Math.floor(next() * 7)]
    case 4: return (next() - 0.5) * 10 ** Math.floor(next() * 12)
    case 5: return ["high", "low", "normal", "HIGH", "", "x".repeat(10_000)][Math.floor(next() * 6)]
    case 6: return BigInt(7)
    case 7: return Symbol("s")
    case 8: return () => 1
    case 9: return depth > 0 ? Array.from({ length: Math.floor(next() * 5) }, () => anyValue(next, depth - 1)) : []
    default: {
      if (depth <= 0) return {}
      const object: Record<string, unknown> = {}
      for (let i = Math.floor(next() * 6); i > 0; i--) object[NAMES[Math.floor(next() * NAMES.length)]!] = anyValue(next, depth - 1)
      return object
    }
  }
}

const assertWellFormed = (request: ReturnType<typeof extract>) => {
  assert.strictEqual(request.features.length, DIMENSION)
  for (const f of request.features) assert.isTrue(Number.isFinite(f) && f >= 0 && f <= 10, String(f))
  assert.include(["high", "normal", "low"], request.priority)
  assert.isBoolean(request.costSensitive)
}

describe("Features.extract", () => {
  it.effect("encodes the seed's feature vector", () =>
    Effect.sync(() => {
      const request = extract({ operation: "embedding" }, {
        complexity: 2,
        limit: 50,
        enable_reranking: true,
        parallel_processing: false,
        accuracy_level: 0.9,
        timeout_ms: 15_000,
        priority: "high"
      })
      assert.deepStrictEqual(Array.from(request.features), [0, 1, 0, 0, 2, 0.5, 1, 0, 0.9, 0.25, 1])
      assert.strictEqual(request.priority, "high")
      assert.isFalse(request.costSensitive)
    }))

  it.effect("falls back to the tool's hints, then the seed's defaults", () =>
    Effect.sync(() => {
      const request = extract({ complexity: 3, priority: "low", costSensitive: true }, {})
      assert.deepStrictEqual(Array.from(request.features), [0, 0, 0, 0, 3, 0.1, 0, 0, 0.5, 0.5, 1])
      assert.strictEqual(request.priority, "low")
      assert.isTrue(request.costSensitive)
    }))

  it.effect("clamps out-of-range numbers and ignores values of the wrong type", () =>
    Effect.sync(() => {
      const request = extract({}, { complexity: 1e9, limit: -5, accuracy_level: "1", timeout_ms: Infinity, enable_reranking: "yes", priority: "urgent" })
      assert.deepStrictEqual(Array.from(request.features), [0, 0, 0, 0, 10, 0, 0, 0, 0.5, 0.5, 1])
      assert.strictEqual(request.priority, "normal")
    }))

  it.effect("never runs a getter and survives a throwing Proxy", () =>
    Effect.sync(() => {
      let ran = false
      const withGetter = Object.defineProperty({}, "complexity", { get: () => ((ran = true), 9), enumerable: true })
      assertWellFormed(extract({}, withGetter))
      assert.isFalse(ran)
      const hostile = new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error("trap") }, get: () => { throw new Error("trap") } })
      assert.deepStrictEqual(Array.from(extract({}, hostile).features), Array.from(extract({}, {}).features))
    }))

  it.effect("reads only the named top-level keys: a huge or deep argument costs the same", () =>
    Effect.sync(() => {
      let deep: unknown = { complexity: 1 }
      for (let i = 0; i < 100_000; i++) deep = { nested: deep }
      const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))
      assertWellFormed(extract({}, deep))
      assertWellFormed(extract({}, { ...wide, limit: 20 }))
      assert.strictEqual(extract({}, { ...wide, limit: 20 }).features[5], 0.2)
    }))

  it.effect("fuzz: any arguments give a well-formed request", () =>
    Effect.sync(() => {
      const next = random(42)
      for (let i = 0; i < 5_000; i++) {
        const hints = { operation: (["search", "embedding", "analysis", "workflow", undefined] as const)[i % 5], complexity: anyValue(next, 0) as number }
        assertWellFormed(extract(hints, anyValue(next, 4)))
      }
    }))
})
