import { assert, describe, it } from "@effect/vitest"
import { projectPairs, readPairs } from "../../../bench/semantic/pairs.ts"
import { fileURLToPath } from "node:url"
import * as Guard from "../src/Guard.ts"

const pairs = readPairs(projectPairs)
/** The two sets written apart from the project's (bench/semantic/fresh-pairs.jsonl, own-pairs.jsonl). */
const checkSets = ["fresh-pairs.jsonl", "own-pairs.jsonl"].map((name) => readPairs(fileURLToPath(new URL(`../../../bench/semantic/${name}`, import.meta.url))))

/** Kinds of change the Guard reads itself, whatever the embedding says. */
const refusedKinds = ["entity_swap", "number_change", "date_change", "negation", "unit_change", "polarity_flip", "quote_change", "identifier_change"]
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

  it("refuses every pair whose change it reads (names, identifiers, numbers, dates, negations, units, direction, quotes), in every project set", () => {
    const passed = [pairs, ...checkSets].flat().filter((p) => refusedKinds.includes(p.kind) && Guard.check(p.a, p.b).agree)
    assert.deepStrictEqual(passed.map((p) => `${p.a} | ${p.b}`), [])
  })

  it("refuses every reversal of the project's set on facts alone", () => {
    const passed = pairs.filter((p) => p.kind === "reversal" && Guard.check(p.a, p.b).agree)
    assert.deepStrictEqual(passed.map((p) => `${p.a} | ${p.b}`), [])
  })

  it("lets at least nine in ten typos, reorderings and case changes through", () => {
    const harmless = pairs.filter((p) => harmlessKinds.includes(p.kind))
    const passed = harmless.filter((p) => Guard.check(p.a, p.b).agree)
    assert.isAtLeast(passed.length / harmless.length, 0.9)
  })
})

/**
 * A sample of the project's pairs, one or more of each kind, with the cosine USE-lite gave them
 * (`npm run bench:semantic`): `Guard.accept` at the default threshold must give each its label.
 * The bench measures the whole set; these pin the rule's verdict on the hard ones — negatives at
 * a high cosine, paraphrases at a low one, unrelated queries that share their names.
 */
const measured: ReadonlyArray<readonly [kind: string, same: boolean, cosine: number, a: string, b: string]> = [
  ["paraphrase", true, 0.767, "weather in Paris today", "what's the weather like in Paris today?"],
  ["paraphrase", true, 0.904, "will it rain in Berlin tomorrow", "is rain expected in Berlin tomorrow"],
  ["paraphrase", true, 0.770, "temperature in Tokyo right now", "how hot is it in Tokyo at the moment"],
  ["paraphrase", true, 0.869, "forecast for London this weekend", "London weather forecast for the weekend"],
  ["paraphrase", true, 0.694, "is it going to snow in Denver on Friday", "Denver snow forecast Friday"],
  ["paraphrase", true, 0.786, "current humidity in Singapore", "how humid is Singapore right now"],
  ["typo", true, 0.646, "weather in Amsterdam tomorrow", "wether in Amsterdam tommorrow"],
  ["typo", true, 0.872, "will it rain in Seattle today", "will it rain in Seatle today"],
  ["reorder", true, 0.926, "Rome weather tomorrow morning", "tomorrow morning weather in Rome"],
  ["reorder", true, 0.949, "in Oslo today what is the temperature", "what is the temperature in Oslo today"],
  ["case_punct", true, 0.815, "Weather in New York today", "weather in new york today!!"],
  ["entity_swap", false, 0.855, "weather in Paris today", "weather in Lyon today"],
  ["entity_swap", false, 0.913, "will it rain in Berlin tomorrow", "will it rain in Munich tomorrow"],
  ["date_change", false, 0.952, "weather in Paris today", "weather in Paris tomorrow"],
  ["date_change", false, 0.964, "forecast for London this weekend", "forecast for London next weekend"],
  ["number_change", false, 0.990, "10 day forecast for Boston", "5 day forecast for Boston"],
  ["negation", false, 0.961, "will it rain in Dublin today", "will it not rain in Dublin today"],
  ["unit_change", false, 0.915, "temperature in Toronto in celsius", "temperature in Toronto in fahrenheit"],
  ["scope_change", false, 0.831, "weather in Vienna", "hourly weather in Vienna for the next 48 hours"],
  ["scope_change", false, 0.718, "forecast for Lisbon", "marine forecast for Lisbon surf conditions"],
  ["unrelated_same_keywords", false, 0.780, "weather in Paris today", "history of weather forecasting in Paris"],
  ["reversal", false, 0.995, "flights from Paris to London", "flights from London to Paris"],
  ["reversal", false, 0.998, "cheapest flight from Boston to Chicago", "cheapest flight from Chicago to Boston"],
  ["number_change", false, 0.997, "flights for 2 adults from Oslo to Bergen", "flights for 3 adults from Oslo to Bergen"],
  ["polarity_flip", false, 0.989, "departures from Heathrow after 6pm", "departures from Heathrow before 6pm"],
  ["polarity_flip", false, 0.902, "arrivals at JFK terminal 4", "departures at JFK terminal 4"],
  ["negation", false, 0.886, "direct flights from Madrid to Rome", "flights from Madrid to Rome that are not direct"],
  ["scope_change", false, 0.854, "flights from Paris to London", "business class flights from Paris to London with lounge access"],
  ["unrelated_same_keywords", false, 0.777, "flights from Paris to London", "London Paris flight attendant jobs"],
  ["scope_change", false, 0.911, "Tesla share price", "Tesla share price history since 2015"],
  ["unrelated_same_keywords", false, 0.610, "Apple stock price", "price of an apple at the grocery store"],
  ["unrelated_same_keywords", false, 0.448, "Amazon share price", "Amazon rainforest size"],
  ["unit_change", false, 0.873, "convert 3 feet to centimeters", "convert 3 feet to meters"],
  ["case_punct", true, 0.720, "Kubernetes deployment YAML example", "kubernetes deployment yaml example."],
  ["scope_change", false, 0.928, "how to read a file in Node.js", "how to read a large file line by line in Node.js with streams"],
  ["identifier_change", false, 0.965, "find usages of parseConfig", "find usages of parseConfigFile"],
  ["identifier_change", false, 0.913, "definition of class UserRepository", "definition of class UserRepo"],
  ["quote_change", false, 0.817, "search code for \"connection refused\"", "search code for \"connection reset\""],
  ["quote_change", false, 0.760, "find the string 'max retries exceeded'", "find the string 'max redirects exceeded'"]
]

describe("Guard.accept on measured cosines", () => {
  it("gives each sampled pair its label at the default threshold", () => {
    const wrong = measured.filter(([, same, cosine, a, b]) => Guard.accept(Guard.facts(a), Guard.facts(b), cosine).agree !== same)
    assert.deepStrictEqual(wrong.map(([kind, , cosine, a, b]) => `${kind} ${cosine}: ${a} | ${b}`), [])
  })

  it("samples every kind of the project's set", () => {
    assert.deepStrictEqual(new Set(measured.map(([kind]) => kind)), new Set(pairs.map((p) => p.kind)))
  })

  it("refuses some unrelated queries and scope changes on their content words alone (facts agree, cosine above the threshold)", () => {
    const byTopic = measured.filter(([kind, , cosine, a, b]) =>
      (kind === "unrelated_same_keywords" || kind === "scope_change") && cosine >= Guard.defaultThreshold && Guard.check(a, b).agree
    )
    assert.isAtLeast(byTopic.length, 2)
    for (const [, , cosine, a, b] of byTopic) {
      assert.deepStrictEqual(Guard.accept(Guard.facts(a), Guard.facts(b), cosine), { agree: false, reason: "topic" }, `${a} | ${b}`)
    }
  })
})
