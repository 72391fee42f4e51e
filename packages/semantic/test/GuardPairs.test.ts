import { assert, describe, it } from "@effect/vitest"
import { projectPairs, readPairs } from "../../../bench/semantic/pairs.ts"
import * as Guard from "../src/Guard.ts"

const pairs = readPairs(projectPairs)

/** Kinds of change the Guard reads itself, whatever the embedding says. */
const refusedKinds = ["entity_swap", "number_change", "date_change", "negation", "unit_change", "polarity_flip", "quote_change"]
/** Kinds of harmless difference: surface changes the Guard must not mistake for another question. */
const harmlessKinds = ["typo", "reorder", "case_punct"]

describe("Guard on the project's labelled pairs (bench/semantic/pairs.jsonl)", () => {
  it("has at least 300 pairs covering every kind of the issue", () => {
    assert.isAtLeast(pairs.length, 300)
    const kinds = new Set(pairs.map((p) => p.kind))
    for (const kind of ["paraphrase", "typo", "reorder", "entity_swap", "reversal", "negation", "number_change", "scope_change", "unrelated_same_keywords"]) {
      assert.isTrue(kinds.has(kind), kind)
    }
  })

  it("refuses every pair whose change it reads (names, numbers, dates, negations, units, direction, quotes)", () => {
    const passed = pairs.filter((p) => refusedKinds.includes(p.kind) && Guard.check(p.a, p.b).agree)
    assert.deepStrictEqual(passed.map((p) => `${p.a} | ${p.b}`), [])
  })

  it("lets at least nine in ten typos, reorderings and case changes through", () => {
    const harmless = pairs.filter((p) => harmlessKinds.includes(p.kind))
    const passed = harmless.filter((p) => Guard.check(p.a, p.b).agree)
    assert.isAtLeast(passed.length / harmless.length, 0.9)
  })
})
