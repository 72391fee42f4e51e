import { describe, expect, it } from "@effect/vitest"
import { canonicalJson, key, resolve } from "../src/Policy.ts"

describe("Policy.resolve", () => {
  it("caches read-only tools with the default policy, private by default", () => {
    expect(resolve({ readOnly: true, declared: undefined, configured: undefined })).toEqual({
      ttlMs: 60_000,
      staleWhileRevalidateMs: 0,
      graceMs: 0,
      scope: "private",
      maxBytes: 1024 * 1024
    })
  })

  it("never caches a tool that is not read-only unless declared or configured", () => {
    expect(resolve({ readOnly: false, declared: undefined, configured: undefined })).toBeUndefined()
    expect(resolve({ readOnly: false, declared: { ttl: "5 minutes" }, configured: undefined })?.ttlMs).toBe(300_000)
    expect(resolve({ readOnly: false, declared: undefined, configured: { ttl: 1000 } })?.ttlMs).toBe(1000)
  })

  it("lets configuration override a declaration, including turning caching off", () => {
    expect(resolve({ readOnly: true, declared: { ttl: 1000, shared: true }, configured: { ttl: 2000 } })).toMatchObject({ ttlMs: 2000, scope: "public" })
    expect(resolve({ readOnly: true, declared: { ttl: 1000 }, configured: false })).toBeUndefined()
    expect(resolve({ readOnly: true, declared: false, configured: undefined })).toBeUndefined()
    expect(resolve({ readOnly: true, declared: false, configured: { ttl: 5 } })?.ttlMs).toBe(5)
  })

  it("uses the configured default TTL", () => {
    expect(resolve({ readOnly: true, declared: undefined, configured: undefined, defaultTtlMs: 42 })?.ttlMs).toBe(42)
  })
})

describe("cache keys", () => {
  const privatePolicy = resolve({ readOnly: true, declared: undefined, configured: undefined })!
  const publicPolicy = resolve({ readOnly: true, declared: { shared: true }, configured: undefined })!

  it("sorts object keys at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"x":0,"y":1}]},"b":1}')
    expect(key("t", privatePolicy, "alice", { b: 1, a: 2 })).toBe(key("t", privatePolicy, "alice", { a: 2, b: 1 }))
  })

  it("separates principals for private tools and shares public ones", () => {
    expect(key("t", privatePolicy, "alice", { q: 1 })).not.toBe(key("t", privatePolicy, "bob", { q: 1 }))
    expect(key("t", publicPolicy, "alice", { q: 1 })).toBe(key("t", publicPolicy, "bob", { q: 1 }))
  })

  it("separates tools and arguments", () => {
    expect(key("t", privatePolicy, undefined, { q: 1 })).not.toBe(key("u", privatePolicy, undefined, { q: 1 }))
    expect(key("t", privatePolicy, undefined, { q: 1 })).not.toBe(key("t", privatePolicy, undefined, { q: "1" }))
  })
})
