import { assert, describe, it } from "@effect/vitest"
import * as Guard from "../src/Guard.ts"

/** Pairs a user would NOT accept one answer for, with the fact the Guard must name. */
const mismatches: ReadonlyArray<readonly [Guard.Mismatch, string, string]> = [
  ["numbers", "convert 5 km to miles", "convert 50 km to miles"],
  ["numbers", "flights for two adults to Oslo", "flights for 3 adults to Oslo"],
  ["numbers", "convert 5 km to miles", "how many km is 5 miles"],
  ["numbers", "Python 3.12 new features", "Python 3.11 new features"],
  ["numbers", "top 10 movies of 2023", "top 10 movies of 2022"],
  ["dates", "weather in Paris today", "weather in Paris tomorrow"],
  ["dates", "forecast for London next weekend", "forecast for London last weekend"],
  ["dates", "am I free on Thursday at 3pm", "am I free on Thursday at 4pm"],
  ["dates", "events on December 24", "events on November 24"],
  ["quotes", "search code for \"connection refused\"", "search code for \"connection reset\""],
  ["quotes", "find the string 'max retries'", "find the string 'max redirects'"],
  ["names", "weather in Paris", "weather in Lyon"],
  ["names", "AAPL stock price", "MSFT stock price"],
  ["names", "find usages of parseConfig", "find usages of parseConfigFile"],
  ["names", "callers of fetchUser", "callers of fetch_user"],
  ["names", "TODO comments in src/server", "TODO comments in src/client"],
  ["names", "open https://example.com/a", "open https://example.com/b"],
  ["names", "mail from alice@example.com", "mail from bob@example.com"],
  ["names", "is flight BA117 on time", "is flight BA119 on time"],
  ["names", "who calls the method flushBuffer", "who calls the method flushBuffers"],
  ["negation", "restaurants with parking", "restaurants without parking"],
  ["negation", "regex that matches digits", "regex that doesn't match digits"],
  ["negation", "issues labeled bug", "issues not labeled bug"],
  ["polarity", "laptops under $1000", "laptops over $1000"],
  ["polarity", "top gainers on the NASDAQ", "top losers on the NASDAQ"],
  ["polarity", "how to encode a URL", "how to decode a URL"],
  ["polarity", "sort by price ascending", "sort by price descending"],
  ["roles", "flights from Paris to London", "flights from London to Paris"],
  ["roles", "Madrid to Rome flights", "flights from Rome to Madrid"],
  ["roles", "drive from San Jose to San Francisco", "drive from San Francisco to San Jose"],
  ["roles", "convert liters to gallons", "convert gallons to liters"],
  ["roles", "stock price of apple", "stock price of microsoft"],
  ["roles", "how to sort an array in javascript", "how to sort an array in java"],
  ["slot", "apple stock price", "google stock price"],
  ["length", "a".repeat(Guard.maxTextLength + 1), "a".repeat(Guard.maxTextLength + 1)]
]

/** Pairs that differ harmlessly: the Guard must let the embedding decide. */
const harmless: ReadonlyArray<readonly [string, string, string]> = [
  ["paraphrase", "weather in Paris today", "what's the weather like in Paris today?"],
  ["paraphrase", "convert 5 km to miles", "how many miles is five kilometers"],
  ["paraphrase", "100 USD to EUR", "how many euros is $100"],
  ["paraphrase", "how to sort a list in python", "sorting a list in Python"],
  ["paraphrase", "AAPL stock price", "current price of AAPL shares"],
  ["paraphrase", "meeting at 3pm", "meeting at 15:00"],
  ["paraphrase", "how many ounces in a pound", "convert 1 pound to ounces"],
  ["paraphrase", "cheap hotels in Prague", "budget hotels in Prague"],
  ["typo", "weather in Amsterdam tomorrow", "wether in Amsterdam tomorow"],
  ["typo", "will it rain in Seattle today", "will it rain in Seatle today"],
  ["typo", "how to read a file in Node.js", "how to raed a file in Node.js"],
  ["reorder", "flights from Paris to London", "flights to London from Paris"],
  ["reorder", "flights from New York to Paris", "flights to Paris from New York"],
  ["reorder", "Rome weather tomorrow morning", "tomorrow morning weather in Rome"],
  ["reorder", "stock price of apple", "Apple stock price"],
  ["case", "Weather in New York today", "weather in new york today"],
  ["case", "WEATHER IN BERLIN", "weather in berlin"],
  ["punctuation", "who won the 2022 World Cup?", "who won the 2022 World Cup"],
  ["punctuation", "weather, Paris, today!!", "weather in Paris today"]
]

describe("Guard", () => {
  it("refuses each kind of mismatch, naming it", () => {
    for (const [reason, a, b] of mismatches) assert.deepStrictEqual(Guard.check(a, b), { agree: false, reason }, `${a} | ${b}`)
  })

  it("lets each kind of harmless difference through", () => {
    for (const [kind, a, b] of harmless) assert.deepStrictEqual(Guard.check(a, b), { agree: true }, `${kind}: ${a} | ${b}`)
  })

  it("is symmetric", () => {
    for (const [, a, b] of [...mismatches, ...harmless]) assert.deepStrictEqual(Guard.check(b, a), Guard.check(a, b), `${a} | ${b}`)
  })

  it("reads facts once and compares them as often as needed", () => {
    const stored = Guard.facts("flights from Paris to London on May 3")
    assert.deepStrictEqual(stored.numbers, ["3"])
    assert.deepStrictEqual(stored.dates, ["may"])
    assert.deepStrictEqual(stored.roles.get("from"), ["paris"])
    assert.isTrue(Guard.agree(stored, Guard.facts("May 3 flights to London from Paris")).agree)
    assert.isFalse(Guard.agree(stored, Guard.facts("flights from London to Paris on May 3")).agree)
  })

  it("never throws on arbitrary text, agrees with itself and stays symmetric (fuzz)", () => {
    let seed = 8
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const alphabet = "aZ09 .,:;!?\"'`“”‘’/\\_-@#$€%°()[]{}<>\n\t\u0001" + "from to in not no May km pm Paris fooBar v1.2 "
    for (let i = 0; i < 5_000; i++) {
      const text = () => Array.from({ length: next() % 160 }, () => alphabet[next() % alphabet.length]).join("")
      const [a, b] = [text(), text()]
      const verdict = Guard.check(a, b)
      assert.isBoolean(verdict.agree)
      assert.deepStrictEqual(Guard.check(b, a), verdict)
      assert.isTrue(Guard.check(a, a).agree, JSON.stringify(a))
    }
    const worst = ["\"".repeat(Guard.maxTextLength), "1 ".repeat(Guard.maxTextLength / 2), "from to ".repeat(Guard.maxTextLength / 8)]
    for (const text of worst) assert.isTrue(Guard.check(text, text).agree)
  })
})
