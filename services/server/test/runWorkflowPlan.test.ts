/**
 * `run_workflow`'s plan: reference syntax and resolution, the checks made before any step runs
 * (ids, tools, dependencies, references, bounds), and seeded fuzzing of step shapes, argument
 * trees and reference strings: nothing throws, refusals say why, plans only name known steps.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Plan from "../src/tools/runWorkflow/Plan.ts"
import * as Reference from "../src/tools/runWorkflow/Reference.ts"

const tools = new Set(["text_stats", "fetch_url", "echo"])
const isTool = (name: string) => tools.has(name)

/** The plan, or a test failure with the refusal's message. */
const planOf = (steps: ReadonlyArray<Plan.Step>) => {
  const planned = Plan.plan(steps, isTool)
  if (planned instanceof Plan.InvalidPlan) return assert.fail(planned.message)
  return planned
}

/** The refusal's message, or a test failure. */
const refusalOf = (steps: ReadonlyArray<Plan.Step>) => {
  const planned = Plan.plan(steps, isTool)
  if (!(planned instanceof Plan.InvalidPlan)) return assert.fail("expected the plan to be refused")
  return planned.message
}

/** A seeded PRNG (mulberry32), so a failing fuzz case can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("Reference.parse", () => {
  it("reads a step id and a path of names, indexes and quoted keys", () => {
    assert.deepStrictEqual(Reference.parse("${steps.stats}"), { step: "stats", path: [], text: "${steps.stats}" })
    const parsed = Reference.parse("${steps.s-1.topTerms[0].term[\"a key\"][12]}")
    assert.deepStrictEqual(parsed, { step: "s-1", path: ["topTerms", 0, "term", "a key", 12], text: "${steps.s-1.topTerms[0].term[\"a key\"][12]}" })
  })

  it("leaves plain strings alone, including ones that only look a little like references", () => {
    for (const text of ["", "hello", "$steps.a", "{steps.a}", "${step.a}", "${stepsa}"]) assert.isUndefined(Reference.parse(text))
  })

  it("refuses a reference inside a longer string, and malformed paths, saying why", () => {
    assert.include((Reference.parse("see ${steps.a.text}") as Reference.BadReference).reason, "whole string")
    assert.include((Reference.parse("${steps.a.text") as Reference.BadReference).reason, "ends with")
    assert.include((Reference.parse("${steps.}") as Reference.BadReference).reason, "step id")
    assert.include((Reference.parse("${steps.a..b}") as Reference.BadReference).reason, "unexpected")
    assert.include((Reference.parse("${steps.a[01]}") as Reference.BadReference).reason, "unexpected")
    assert.include((Reference.parse("${steps.a[-1]}") as Reference.BadReference).reason, "unexpected")
    assert.include((Reference.parse(`\${steps.a${".x".repeat(Reference.MAX_PATH_SEGMENTS + 1)}}`) as Reference.BadReference).reason, "at most")
    assert.include((Reference.parse(`\${steps.a.${"x".repeat(Reference.MAX_REFERENCE_LENGTH)}}`) as Reference.BadReference).reason, "characters")
  })
})

describe("Reference.resolve", () => {
  const result = { topTerms: [{ term: "cat", count: 2 }], "a key": null, text: "plain" }
  const resolve = (text: string, value: unknown) => Reference.resolve(Reference.parse(text) as Reference.Reference, value)

  it("picks a field, an item or the whole result", () => {
    assert.deepStrictEqual(resolve("${steps.s.topTerms[0].term}", result), { value: "cat" })
    assert.deepStrictEqual(resolve("${steps.s[\"a key\"]}", result), { value: null })
    assert.deepStrictEqual(resolve("${steps.s}", "just text"), { value: "just text" })
  })

  it("says what is missing and what was there instead", () => {
    assert.include((resolve("${steps.s.topTerms[3]}", result) as Reference.BadReference).reason, "no .topTerms[3] (its .topTerms is an array of 1)")
    assert.include((resolve("${steps.s.text.length}", result) as Reference.BadReference).reason, "is text")
    assert.include((resolve("${steps.s.nope}", "text") as Reference.BadReference).reason, "its result is text")
  })

  it("never reads inherited properties", () => {
    for (const key of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      assert.instanceOf(resolve(`\${steps.s.${key}}`, {}), Reference.BadReference)
    }
    assert.instanceOf(resolve("${steps.s.length}", [1, 2]), Reference.BadReference)
  })
})

describe("Plan.plan", () => {
  it("adds each referenced step to the dependencies, once", () => {
    const [a, b] = planOf([
      { id: "a", tool: "fetch_url", arguments: { url: "https://example.com" } },
      { id: "b", tool: "text_stats", arguments: { text: "${steps.a}", top: "${steps.a.count}" }, dependsOn: ["a"] }
    ])
    assert.deepStrictEqual(a!.dependsOn, [])
    assert.deepStrictEqual(b!.dependsOn, ["a"])
    assert.strictEqual(b!.references.length, 2)
  })

  it("refuses duplicate ids, unknown tools and unknown or self dependencies", () => {
    assert.include(refusalOf([{ id: "a", tool: "echo" }, { id: "a", tool: "echo" }]), "\"a\" is used by more than one step")
    assert.include(refusalOf([{ id: "a", tool: "nope" }]), "unknown tool \"nope\"")
    assert.include(refusalOf([{ id: "a", tool: "echo", dependsOn: ["zz"] }]), "depends on unknown step \"zz\"")
    assert.include(refusalOf([{ id: "a", tool: "echo", dependsOn: ["a"] }]), "depends on itself")
  })

  it("refuses references to unknown steps, to the step itself and malformed ones, naming where they are", () => {
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: { x: ["${steps.zz.text}"] } }]), "arguments.x[0]: ${steps.zz.text} names unknown step \"zz\"")
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: { x: "${steps.a}" } }]), "cannot use its own result")
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: { x: { y: "text ${steps.b}" } } }, { id: "b", tool: "echo" }]), "arguments.x.y: a reference must be the whole string")
  })

  it("bounds the arguments' depth, size and references", () => {
    let deep: unknown = "leaf"
    for (let i = 0; i < Plan.MAX_ARGUMENT_DEPTH + 5; i++) deep = { d: deep }
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: deep as Record<string, unknown> }]), "nest deeper")
    // a million levels: refused at the depth bound without recursing (no stack overflow)
    let deeper: unknown = 1
    for (let i = 0; i < 1_000_000; i++) deeper = [deeper]
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: { x: deeper } }]), "nest deeper")
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: { x: new Array(Plan.MAX_ARGUMENT_NODES + 1).fill(0) } }]), "more than")
    const wide = Object.fromEntries(Array.from({ length: Plan.MAX_ARGUMENT_NODES + 1 }, (_, i) => [`k${i}`, i]))
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: wide }]), "more than")
    const refs = Array.from({ length: Plan.MAX_REFERENCES_PER_STEP + 1 }, () => "${steps.b}")
    assert.include(refusalOf([{ id: "a", tool: "echo", arguments: { refs } }, { id: "b", tool: "echo" }]), `at most ${Plan.MAX_REFERENCES_PER_STEP} references`)
  })
})

describe("Plan.resolveArguments", () => {
  it("replaces each reference by the value it picks, with any type, leaving the client's arguments as they were", () => {
    const args = { text: "${steps.a.text}", list: [1, "${steps.a.n}"], nested: { all: "${steps.a}" }, plain: "keep" }
    const [, b] = planOf([{ id: "a", tool: "echo" }, { id: "b", tool: "echo", arguments: args }])
    const results: Record<string, unknown> = { a: { text: "hello", n: [1, 2] } }
    const resolved = Plan.resolveArguments(b!, (id) => results[id])
    assert.deepStrictEqual(resolved, { text: "hello", list: [1, [1, 2]], nested: { all: { text: "hello", n: [1, 2] } }, plain: "keep" })
    assert.strictEqual(args.text, "${steps.a.text}")
  })

  it("keeps a \"__proto__\" argument a plain field", () => {
    const args = JSON.parse("{\"__proto__\": \"${steps.a.x}\"}") as Record<string, unknown>
    const [, b] = planOf([{ id: "a", tool: "echo" }, { id: "b", tool: "echo", arguments: args }])
    const resolved = Plan.resolveArguments(b!, () => ({ x: { polluted: true } })) as Record<string, unknown>
    assert.isTrue(Object.hasOwn(resolved, "__proto__"))
    assert.isUndefined((resolved as { polluted?: unknown }).polluted)
    assert.strictEqual(Object.getPrototypeOf(resolved), Object.prototype)
  })

  it(`refuses to build arguments whose references hold more than ${Plan.MAX_RESOLVED_BYTES} bytes (one result referenced many times)`, () => {
    // 100 references to one 1 MiB result would hand the step's tool 100 MiB built from a small request
    const args = Object.fromEntries(Array.from({ length: Plan.MAX_REFERENCES_PER_STEP }, (_, i) => [`p${i}`, "${steps.a}"]))
    const [, b] = planOf([{ id: "a", tool: "echo" }, { id: "b", tool: "echo", arguments: args }])
    const big = "x".repeat(1024 * 1024 - 2)
    const unresolved = Plan.resolveArguments(b!, () => big)
    assert.instanceOf(unresolved, Plan.UnresolvedReference)
    assert.include((unresolved as Plan.UnresolvedReference).message, `more than ${Plan.MAX_RESOLVED_BYTES} bytes`)
    // within the bound, the same references resolve
    const small = Plan.resolveArguments(b!, () => "x".repeat(1000))
    assert.notInstanceOf(small, Plan.UnresolvedReference)
  })

  it("says which reference did not resolve and why", () => {
    const [, b] = planOf([{ id: "a", tool: "echo" }, { id: "b", tool: "echo", arguments: { url: "${steps.a.links[2]}" } }])
    const unresolved = Plan.resolveArguments(b!, () => ({ links: ["x"] }))
    assert.instanceOf(unresolved, Plan.UnresolvedReference)
    assert.include((unresolved as Plan.UnresolvedReference).message, "arguments.url: ${steps.a.links[2]}: step \"a\"'s result has no .links[2]")
  })
})

describe("fuzz", () => {
  const alphabet = ["a", "b", "c", "x", "0", "-", "_", ".", "[", "]", "\"", "$", "{", "}", " ", "1", "é"]
  const pick = <A>(next: () => number, items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!

  it("parses any reference-like string without throwing, and what it accepts reads back the same", () => {
    const next = random(2026)
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(next() * 24)
      let text = "${steps."
      for (let i = 0; i < length; i++) text += pick(next, alphabet)
      if (next() < 0.7) text += "}"
      const parsed = Reference.parse(text)
      assert.isDefined(parsed, text)
      if (parsed instanceof Reference.BadReference) {
        assert.isAbove(parsed.reason.length, 0)
        continue
      }
      assert.deepStrictEqual(Reference.parse(`\${steps.${parsed!.step}${Reference.formatPath(parsed!.path)}}`), { ...parsed!, text: `\${steps.${parsed!.step}${Reference.formatPath(parsed!.path)}}` }, text)
    }
  })

  it("plans random workflows without throwing: a plan names only its own steps, a refusal says why", () => {
    const next = random(9)
    const ids = ["a", "b", "c", "d", "e"]
    const value = (depth: number): unknown => {
      const r = next()
      if (depth > 3 || r < 0.3) return next() < 0.5 ? `\${steps.${pick(next, [...ids, "zz"])}${pick(next, ["", ".text", "[0]", ".x.y", "..", "[\"k\"]"])}}` : pick(next, ["plain", 1, null, true, "${steps.", "a ${steps.a}"])
      if (r < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1))
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [pick(next, ["k", "url", "__proto__", `f${i}`]), value(depth + 1)]))
    }
    let planned = 0
    for (let n = 0; n < 5_000; n++) {
      const steps: Array<Plan.Step> = Array.from({ length: 1 + Math.floor(next() * 5) }, () => ({
        id: pick(next, ids),
        tool: pick(next, ["echo", "text_stats", "nope"]),
        ...(next() < 0.7 ? { arguments: value(0) as Record<string, unknown> } : {}),
        ...(next() < 0.4 ? { dependsOn: Array.from({ length: Math.floor(next() * 3) }, () => pick(next, [...ids, "zz"])) } : {})
      }))
      const result = Plan.plan(steps, isTool)
      if (result instanceof Plan.InvalidPlan) {
        assert.match(result.message, /^Step/)
        continue
      }
      planned++
      const own = new Set(steps.map((s) => s.id))
      for (const step of result) {
        for (const dependency of step.dependsOn) {
          assert.isTrue(own.has(dependency) && dependency !== step.id, `${step.id} -> ${dependency}`)
        }
        const resolved = Plan.resolveArguments(step, () => ({ text: "t", x: { y: 1 }, k: [0] }))
        if (resolved instanceof Plan.UnresolvedReference) assert.include(resolved.message, "arguments")
        else assert.notInclude(JSON.stringify(resolved ?? {}), "${steps.")
      }
    }
    assert.isAbove(planned, 100, "the generator also makes valid plans")
  })
})
