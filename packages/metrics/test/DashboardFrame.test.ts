import { assert, describe, it } from "@effect/vitest"
import { MAX_ROWS, pointOf, trimmed } from "../src/internal/Frame.ts"
import { Ring } from "../src/internal/Ring.ts"
import type { RequestGroup } from "../src/Snapshot.ts"
import { snapshot } from "./support/snapshot.ts"

const group = (name: string, count: number): RequestGroup => ({ name, count, avgMs: 1, p50Ms: 1, p95Ms: 2, p99Ms: 3, successes: count, failures: 0 })

describe("dashboard frames", () => {
  it("charts a snapshot as one point: percentiles, rates, failures per second, tiers and pools by name", () => {
    assert.deepStrictEqual(pointOf(snapshot()), {
      t: 1_700_000_000,
      p50: 1,
      p95: 5,
      p99: 9,
      rps: 10,
      errors: 0.5,
      hitRate: 0.75,
      tiers: { memory: 0.75 },
      pools: { tools: 0.25 },
      cpu: 0.1,
      memory: 0.2,
      eventLoop: 0.3
    })
    assert.strictEqual(pointOf(snapshot({ windowSeconds: 0 })).errors, 0)
  })

  it("keeps a frame small however many tools, tiers, pools and alerts there are: the busiest tools, the newest alerts", () => {
    const many = snapshot({
      tools: Array.from({ length: 1000 }, (_, i) => group(`tool_${i}`, i)),
      methods: Array.from({ length: 1000 }, (_, i) => group(`m_${i}`, i)),
      pools: Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}`, active: 0, capacity: 1, queued: 0, utilisation: 0 })),
      alerts: Array.from({ length: 1000 }, (_, i) => ({ rule: `r${i}`, severity: "warning" as const, message: "m", since: i }))
    })
    const frame = trimmed(many)
    assert.strictEqual(frame.tools.length, MAX_ROWS)
    assert.strictEqual(frame.tools[0]!.name, "tool_999")
    assert.strictEqual(frame.methods.length, MAX_ROWS)
    assert.strictEqual(frame.pools.length, MAX_ROWS)
    assert.strictEqual(frame.alerts.length, MAX_ROWS)
    assert.strictEqual(frame.alerts[0]!.since, 999)
    assert.strictEqual(Object.keys(pointOf(many).pools).length, MAX_ROWS)
    assert.isBelow(JSON.stringify(frame).length, 32 * 1024)
  })

  it("keeps the last items of a ring, oldest first, at any fill", () => {
    const ring = new Ring<number>(3)
    assert.deepStrictEqual(ring.toArray(), [])
    const seen: Array<Array<number>> = []
    for (let i = 1; i <= 7; i++) {
      ring.push(i)
      seen.push(ring.toArray())
    }
    assert.deepStrictEqual(seen, [[1], [1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7]])
    assert.strictEqual(ring.size, 3)
    assert.throws(() => new Ring(0))
  })
})
