import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { analyse, handler } from "../src/tools/textStats.ts"

describe("textStats.analyse", () => {
  it("counts characters, words, sentences and unique words", () => {
    const stats = analyse({ text: "The cat and the dog. The cat sat!" })
    assert.strictEqual(stats.characters, 33)
    assert.strictEqual(stats.words, 8)
    assert.strictEqual(stats.sentences, 2)
    assert.strictEqual(stats.uniqueWords, 5) // the, cat, and, dog, sat
    assert.strictEqual(stats.averageWordLength, 3)
    assert.strictEqual(stats.readingTimeSeconds, 3) // ceil(8 / 238 words per minute in seconds)
  })

  it("lists the top terms without stop words, most frequent first, ties alphabetical", () => {
    const stats = analyse({ text: "The cat and the dog. The cat sat!" })
    assert.deepStrictEqual(stats.topTerms, [
      { term: "cat", count: 2 },
      { term: "dog", count: 1 },
      { term: "sat", count: 1 }
    ])
  })

  it("counts words case-insensitively and keeps contractions whole", () => {
    const stats = analyse({ text: "Don't stop. DON'T stop, don’t!" })
    assert.strictEqual(stats.words, 5)
    assert.deepStrictEqual(stats.topTerms, [{ term: "don't", count: 2 }, { term: "stop", count: 2 }, { term: "don’t", count: 1 }])
  })

  it("limits the top terms to `top` and defaults to 5", () => {
    const text = "alpha beta gamma delta epsilon zeta eta theta alpha alpha beta"
    assert.deepStrictEqual(analyse({ text, top: 2 }).topTerms, [{ term: "alpha", count: 3 }, { term: "beta", count: 2 }])
    assert.strictEqual(analyse({ text }).topTerms.length, 5)
    assert.strictEqual(analyse({ text, top: 50 }).topTerms.length, 8)
  })

  it("counts characters by code point, not UTF-16 unit", () => {
    const stats = analyse({ text: "héllo 😀 wörld" })
    assert.strictEqual(stats.characters, 13)
    assert.strictEqual(stats.words, 2)
    assert.deepStrictEqual(stats.topTerms.map((t) => t.term), ["héllo", "wörld"])
  })

  it("answers zeros for empty text", () => {
    assert.deepStrictEqual(analyse({ text: "" }), {
      characters: 0,
      words: 0,
      sentences: 0,
      uniqueWords: 0,
      averageWordLength: 0,
      readingTimeSeconds: 0,
      topTerms: []
    })
  })

  it("leaves topTerms empty when every word is a stop word", () => {
    const stats = analyse({ text: "The and of to it." })
    assert.strictEqual(stats.words, 5)
    assert.deepStrictEqual(stats.topTerms, [])
  })

  it.effect("the handler answers the analysis", () =>
    Effect.gen(function*() {
      const stats = yield* handler({ text: "One two. Three!" })
      assert.strictEqual(stats.words, 3)
      assert.strictEqual(stats.sentences, 2)
    }))
})
