import { assert, describe, it } from "@effect/vitest"
import * as Guard from "../src/Guard.ts"

const accept = (a: string, b: string, cosine: number, threshold?: number) => Guard.accept(Guard.facts(a), Guard.facts(b), cosine, threshold)
const concepts = (text: string) => Guard.facts(text).content.map((w) => w.concept)

describe("Guard.accept", () => {
  it("asks the threshold when the texts share their content words, fillers aside", () => {
    const t = Guard.defaultThreshold
    assert.deepStrictEqual(accept("weather in Paris today", "what's the weather like in Paris today?", t), { agree: true })
    assert.deepStrictEqual(accept("weather in Paris today", "what's the weather like in Paris today?", t - 0.01), { agree: false, reason: "similarity" })
  })

  it("asks a little more for one unshared content word, and a cosine near 1 for each further one", () => {
    const t = 0.6
    // one: "city" — asks requiredCosine(t, 1), above t
    assert.isAbove(Guard.requiredCosine(t, 1), t)
    assert.isTrue(accept("capital of Australia", "what is the capital city of Australia", Guard.requiredCosine(t, 1), t).agree)
    assert.deepStrictEqual(accept("capital of Australia", "what is the capital city of Australia", t, t), { agree: false, reason: "topic" })
    // two: "gains", "tax" — the facts agree, the topic does not
    assert.isTrue(Guard.check("capital of Australia", "capital gains tax in Australia").agree)
    assert.deepStrictEqual(accept("capital of Australia", "capital gains tax in Australia", 0.9, t), { agree: false, reason: "topic" })
    assert.isTrue(accept("capital of Australia", "capital gains tax in Australia", Guard.requiredCosine(t, 2), t).agree)
    assert.deepStrictEqual(accept("hotels in Barcelona near the beach", "Barcelona beach volleyball tournament", 0.9, t), { agree: false, reason: "topic" })
  })

  it("requiredCosine: the threshold when every content word is shared, then closer to 1 by firstWordFactor and unsharedWordFactor per word, never above 1", () => {
    assert.strictEqual(Guard.requiredCosine(0.6, 0), 0.6)
    assert.closeTo(Guard.requiredCosine(0.6, 1), 1 - 0.4 * Guard.firstWordFactor, 1e-12)
    assert.closeTo(Guard.requiredCosine(0.6, 2), 1 - 0.4 * Guard.firstWordFactor * Guard.unsharedWordFactor, 1e-12)
    let previous = 0
    for (let n = 0; n < 80; n++) {
      const required = Guard.requiredCosine(0.6, n)
      assert.isAtLeast(required, previous)
      assert.isAtMost(required, 1)
      previous = required
    }
  })

  it("refuses on facts first, whatever the cosine", () => {
    assert.deepStrictEqual(accept("flights from Paris to London", "flights from London to Paris", 1), { agree: false, reason: "roles" })
    assert.deepStrictEqual(accept("weather in Paris today", "weather in Paris tomorrow", 1), { agree: false, reason: "dates" })
  })

  it("never hits on a cosine that is not a number", () => {
    assert.deepStrictEqual(accept("weather in Paris", "weather in Paris", Number.NaN), { agree: false, reason: "similarity" })
  })

  it("is symmetric", () => {
    const pairs = [
      ["capital of Australia", "capital gains tax in Australia"],
      ["AAPL stock price", "current price of AAPL shares"],
      ["modules that import utils.ts", "modules that utils.ts imports"],
      ["pet friendly hotels in Austin", "hotels in Austin that allow dogs"]
    ] as const
    for (const [a, b] of pairs) {
      for (const cosine of [0.5, 0.7, 0.85, 0.95]) assert.deepStrictEqual(accept(a, b, cosine), accept(b, a, cosine), `${a} | ${b} @ ${cosine}`)
    }
  })
})

describe("Guard content words", () => {
  it("drops fillers and reads words as concepts (synonyms, abbreviations, British spellings)", () => {
    assert.deepStrictEqual(concepts("how do I find the weather in Paris please"), ["weather", "paris"])
    assert.deepStrictEqual(concepts("AAPL shares"), ["aapl", "stock"])
    assert.deepStrictEqual(concepts("show me the docs for the repo config"), ["repository", "configuration"])
    assert.deepStrictEqual(concepts("colour of the centre"), concepts("color of the center"))
    assert.deepStrictEqual(concepts("flat tyre"), concepts("flat tire"))
  })

  it("covers derived forms and typos, but not another word that starts the same", () => {
    assert.deepStrictEqual(accept("current humidity in Singapore", "how humid is Singapore right now", 0.6, 0.6), { agree: true })
    assert.deepStrictEqual(accept("tech news today", "tech nwes today", 0.6, 0.6), { agree: true })
    assert.deepStrictEqual(accept("how to sort an array in javascript", "how to sort an array in java", 1).agree, false)
    // "car" / "cart": one word of a template swapped for another, whatever the cosine
    assert.deepStrictEqual(accept("car insurance quotes", "cart insurance quotes", 0.99, 0.6), { agree: false, reason: "slot" })
    assert.deepStrictEqual(accept("humidity insurance quotes", "humid insurance quotes", 0.6, 0.6), { agree: true })
  })

  it("bounds the words it compares: a 1000-character text of distinct words is accepted against itself", () => {
    const words = Array.from({ length: 160 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}x`)
    const text = words.join(" ").slice(0, Guard.maxTextLength)
    assert.isAtMost(Guard.facts(text).content.length, 32)
    assert.isTrue(accept(text, text, 1).agree)
  })
})

describe("Guard checks added with accept", () => {
  it("binds a bare number to what it counts", () => {
    assert.deepStrictEqual(Guard.check("flights for 1 adult and 2 children to Nice", "flights for 2 adults and 1 child to Nice"), { agree: false, reason: "numbers" })
    assert.deepStrictEqual(Guard.check("table for 2 adults", "table for 2 children"), { agree: false, reason: "numbers" })
    assert.isTrue(Guard.check("room for 2 adults", "room for 2 adult").agree)
  })

  it("reads \"1 cup\" as \"a cup\"", () => {
    assert.isTrue(Guard.check("how many tablespoons in a cup", "tablespoons in 1 cup").agree)
    assert.deepStrictEqual(Guard.check("tablespoons in 2 cups", "tablespoons in a cup"), { agree: false, reason: "numbers" })
  })

  it("refuses a subject and an object swapped around a verb, not a reordering around a preposition", () => {
    assert.deepStrictEqual(Guard.check("modules that import utils.ts", "modules that utils.ts imports"), { agree: false, reason: "roles" })
    assert.deepStrictEqual(Guard.check("who follows Elon Musk", "who does Elon Musk follow"), { agree: false, reason: "roles" })
    assert.isTrue(Guard.check("price of Google stock", "Google stock price").agree)
    assert.isTrue(Guard.check("best pizza places in Naples", "Naples best pizza places").agree)
    assert.deepStrictEqual(Guard.check("does React use Redux", "does Redux use React"), { agree: false, reason: "roles" })
  })

  it("lets keywords come in any order: word order carries roles only in a clause", () => {
    assert.isTrue(Guard.check("Paris weather", "weather Paris").agree)
    assert.isTrue(Guard.check("AAPL stock price", "stock price AAPL").agree)
  })

  it("lets a role's object go when it is a filler or the other text covers it", () => {
    assert.isTrue(Guard.check("temperature in Tokyo right now", "how hot is it in Tokyo at the moment").agree)
    assert.isTrue(Guard.check("forecast for London this weekend", "London weather forecast for the weekend").agree)
    assert.deepStrictEqual(Guard.check("symptoms of flu", "symptoms of flu in children"), { agree: false, reason: "roles" })
  })

  it("reads an acronym as the words it spells out in the other text, and only those", () => {
    assert.isTrue(Guard.check("hotels in NYC", "hotels in New York City").agree)
    assert.isTrue(accept("Delhi AQI today", "air quality in Delhi today", 0.6, 0.6).agree)
    assert.isTrue(accept("who is the CEO of Microsoft", "Microsoft chief executive", 0.7, 0.6).agree)
    assert.isTrue(accept("install the AWS CLI", "install the AWS command line interface", 0.6, 0.6).agree)
    assert.deepStrictEqual(Guard.check("hotels in NYC", "hotels in Nashville"), { agree: false, reason: "names" })
    assert.deepStrictEqual(Guard.check("GDP of France", "population of France"), { agree: false, reason: "names" })
    assert.deepStrictEqual(Guard.check("hotels in NYC", "hotels in New York"), { agree: true }, "all but the last letter spell it out")
    assert.deepStrictEqual(Guard.check("the AI market", "the ML market"), { agree: false, reason: "names" })
  })

  it("tolerates a typo in the one differing slot, read on the written forms", () => {
    assert.isTrue(Guard.check("how to merge two dictionaries in Python", "how to merge two dictionaires in Python").agree)
    assert.deepStrictEqual(Guard.check("how to merge two lists in Python", "how to merge two sets in Python"), { agree: false, reason: "slot" })
  })
})

describe("Guard.accept fuzz", () => {
  it("never throws, stays symmetric and accepts a text against itself, on random and adversarial strings up to the maximum length", () => {
    let seed = 11
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const pieces = [
      "a", "Z", "0", "9", " ", ".", ",", ":", "'", "\"", "`", "“", "”", "‘", "’", "/", "\\", "_", "-", "@", "#", "$", "€", "%", "°", "(", ")",
      "\n", "\t", "\u0001", "\u0000", "\ud800", "🙂", " from ", " to ", " in ", " not ", " 1 ", " 2 adults ", " cup ", " May ", " km ",
      " Paris ", " fooBar ", " v1.2 ", " imports ", " utils.ts ", " tyre ", " shares ", " how ", " the ", " humidity ", "constructor",
      "__proto__", "toString", "hasOwnProperty"
    ]
    for (let i = 0; i < 3_000; i++) {
      const text = () => {
        let out = ""
        const length = next() % (i % 10 === 0 ? Guard.maxTextLength + 50 : 200)
        while (out.length < length) out += pieces[next() % pieces.length]
        return out
      }
      const [a, b] = [text(), text()]
      const cosine = [Number.NaN, -1, 0, 0.5, 0.99, 1, 2, Infinity][next() % 8]!
      const verdict = accept(a, b, cosine)
      assert.isBoolean(verdict.agree)
      assert.deepStrictEqual(accept(b, a, cosine), verdict)
      if (a.length <= Guard.maxTextLength) assert.isTrue(accept(a, a, 1).agree, JSON.stringify(a))
    }
  })
})
