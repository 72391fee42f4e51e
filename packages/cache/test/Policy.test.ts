import { describe, expect, it } from "@effect/vitest"
import { canonicalJson, HASH_ABOVE_LENGTH, key, MAX_CANONICAL_LENGTH, MAX_DEPTH, resolve } from "../src/Policy.ts"

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

  it("resolves the semantic opt-in: declared, configured (which wins), or turned off by configuration", () => {
    const declared = { semantic: { argument: "query" } }
    expect(resolve({ readOnly: true, declared, configured: undefined })?.semantic).toEqual({ argument: "query" })
    expect(resolve({ readOnly: true, declared, configured: { semantic: { argument: "q", threshold: 0.9 } } })?.semantic).toEqual({ argument: "q", threshold: 0.9 })
    expect(resolve({ readOnly: true, declared, configured: { semantic: false } })).not.toHaveProperty("semantic")
    expect(resolve({ readOnly: true, declared: undefined, configured: undefined })).not.toHaveProperty("semantic")
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
    expect(key("t", privatePolicy, "alice", { b: 1, a: 2 })!.id).toBe(key("t", privatePolicy, "alice", { a: 2, b: 1 })!.id)
  })

  it("separates principals for private tools and shares public ones", () => {
    expect(key("t", privatePolicy, "alice", { q: 1 })!.id).not.toBe(key("t", privatePolicy, "bob", { q: 1 })!.id)
    expect(key("t", publicPolicy, "alice", { q: 1 })!.id).toBe(key("t", publicPolicy, "bob", { q: 1 })!.id)
  })

  it("separates tools and arguments", () => {
    expect(key("t", privatePolicy, undefined, { q: 1 })!.id).not.toBe(key("u", privatePolicy, undefined, { q: 1 })!.id)
    expect(key("t", privatePolicy, undefined, { q: 1 })!.id).not.toBe(key("t", privatePolicy, undefined, { q: "1" })!.id)
  })

  it("gives a semantic tier the tool, scope and arguments, and a digest that holds no argument", () => {
    const k = key("search", privatePolicy, "alice", { text: "secret words" })!
    expect([k.tool, k.scope, k.args]).toEqual(["search", "@alice", { text: "secret words" }])
    expect(k.digest).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(k.digest).toBe(key("search", privatePolicy, "alice", { text: "secret words" })!.digest)
  })

  it("replaces long canonical forms by their hash, keeping keys distinct", () => {
    const long = (c: string) => ({ q: c.repeat(HASH_ABOVE_LENGTH) })
    const a = key("t", privatePolicy, undefined, long("a"))!
    expect(a.id.length).toBeLessThan(100)
    expect(a.id).not.toContain("aaaa")
    expect(a.id).toBe(key("t", privatePolicy, undefined, long("a"))!.id)
    expect(a.id).not.toBe(key("t", privatePolicy, undefined, long("b"))!.id)
  })
})

/** A deterministic PRNG (mulberry32), so a failing case can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const nested = (depth: number, leaf: unknown, wrap: (inner: unknown) => unknown) => {
  let value = leaf
  for (let i = 0; i < depth; i++) value = wrap(value)
  return value
}

describe("cache keys of hostile arguments", () => {
  const policy = resolve({ readOnly: true, declared: undefined, configured: undefined })!

  it("refuses arguments nested past MAX_DEPTH instead of overflowing the stack", () => {
    for (const depth of [MAX_DEPTH + 1, 3000, 100_000]) {
      expect(key("t", policy, undefined, nested(depth, 1, (v) => [v]))).toBeUndefined()
      expect(key("t", policy, undefined, nested(depth, 1, (v) => ({ a: v })))).toBeUndefined()
      // the body a client sends: parsed JSON
      expect(key("t", policy, undefined, JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`))).toBeUndefined()
    }
    expect(key("t", policy, undefined, { a: nested(MAX_DEPTH - 2, 1, (v) => [v]) })).toBeDefined()
  })

  it("refuses arguments whose canonical form is longer than MAX_CANONICAL_LENGTH", () => {
    expect(key("t", policy, undefined, { q: "x".repeat(MAX_CANONICAL_LENGTH) })).toBeUndefined()
    expect(key("t", policy, undefined, { q: Array.from({ length: MAX_CANONICAL_LENGTH }, () => 0) })).toBeUndefined()
    const wide: Record<string, number> = {}
    for (let i = 0; i < MAX_CANONICAL_LENGTH / 4; i++) wide[`k${i}`] = i
    expect(key("t", policy, undefined, wide)).toBeUndefined()
    expect(key("t", policy, undefined, { q: "x".repeat(MAX_CANONICAL_LENGTH / 2) })).toBeDefined()
  })

  it("keys prototype-ish member names as plain data", () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":1},"toString":2,"constructor":{"prototype":3},"hasOwnProperty":4}')
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"polluted":1},"constructor":{"prototype":3},"hasOwnProperty":4,"toString":2}')
    expect(key("t", policy, undefined, parsed)!.id).not.toBe(key("t", policy, undefined, {})!.id)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it("refuses values that are not JSON instead of throwing", () => {
    const throwing = new Proxy({}, { ownKeys: () => { throw new Error("boom") } })
    for (const value of [10n, () => 1, Symbol("s"), throwing, { a: 1n }, [Symbol("s")]]) {
      expect(key("t", policy, undefined, value)).toBeUndefined()
    }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(key("t", policy, undefined, cyclic)).toBeUndefined()
  })

  it("never throws and keys equal arguments equally, for 2000 generated arguments", () => {
    const random = prng(42)
    const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(random() * items.length)]!
    const names = ["a", "b", "__proto__", "toString", "constructor", "valueOf", "", "\u0000", "é", "\ud800"]
    /** Mostly small values; now and then a deep chain, a wide level (at the top) or a long string. */
    const generate = (depth: number): unknown => {
      const roll = random()
      if (depth > 6 || roll < 0.3) {
        return pick<unknown>([null, true, false, 0, -0, 1.5e300, NaN, Infinity, "", "x".repeat(Math.floor(random() * 5000)), "\ud800\u0000"])
      }
      if (roll < 0.4) return nested(Math.floor(random() * 200), 1, (v) => (random() < 0.5 ? [v] : { k: v }))
      const width = Math.floor(random() * (depth === 0 && roll < 0.45 ? 2000 : 6))
      if (roll < 0.7) return Array.from({ length: width }, () => generate(depth + 1))
      const object: Record<string, unknown> = {}
      for (let i = 0; i < width; i++) Object.defineProperty(object, `${pick(names)}${i % 3}`, { value: generate(depth + 1), enumerable: true, configurable: true, writable: true })
      return object
    }
    for (let i = 0; i < 2000; i++) {
      const args = { a: generate(0) }
      const k = key("t", policy, "p", args)
      if (k === undefined) continue
      expect(k.id.length).toBeLessThanOrEqual(HASH_ABOVE_LENGTH + 10)
      expect(key("t", policy, "p", JSON.parse(JSON.stringify(args)))?.id).toBe(k.id)
    }
  })
})
