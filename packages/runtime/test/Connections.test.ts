import { assert, describe, it } from "@effect/vitest"
import { ConnectionPool } from "@tenfold/connections"
import { Effect } from "effect"
import { fromObject, resolve } from "../src/Config.ts"
import { connectionsLayer } from "../src/Tenfold.ts"

describe("connectionsLayer", () => {
  it.live("sizes outbound pools by the configured profile and per-origin settings", () =>
    Effect.gen(function*() {
      const input = yield* fromObject("test", {
        connectionProfile: "low_latency",
        connectionOrigins: { "http://127.0.0.1:1": { perHost: 3 }, "http://127.0.0.2:1": "high_throughput" }
      })
      const capacities = yield* ConnectionPool.use((pool) =>
        Effect.gen(function*() {
          // nothing listens on port 1: each request fails at once, but leaves its origin's pool behind
          for (const url of ["http://127.0.0.1:1/", "http://127.0.0.2:1/", "http://127.0.0.3:1/"]) yield* Effect.flip(pool.request({ url, retries: 0 }))
          return Object.fromEntries((yield* pool.stats).map((s) => [s.origin, [s.profile, s.capacity]]))
        })).pipe(Effect.provide(connectionsLayer(resolve(input))))
      assert.deepStrictEqual(capacities, {
        "http://127.0.0.1:1": ["low_latency", 3],
        "http://127.0.0.2:1": ["high_throughput", 50],
        "http://127.0.0.3:1": ["low_latency", 10]
      })
    }))

  it.effect("refuses an unknown profile name", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fromObject("test", { connectionOrigins: { "https://a.example": "fastest" } }))
      assert.strictEqual(error._tag, "ConfigError")
    }))
})
