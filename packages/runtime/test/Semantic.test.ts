import { assert, describe, it } from "@effect/vitest"
import { Tool } from "@tenfold/mcp"
import { Effect, Schema } from "effect"
import { resolve } from "../src/Config.ts"
import { describeCache, semanticOn } from "../src/Tenfold.ts"

const search = Tool.make({
  name: "search",
  description: "Searches",
  input: Schema.Struct({ query: Schema.String }),
  annotations: { readOnlyHint: true },
  cache: { semantic: { argument: "query" } },
  handler: ({ query }) => Effect.succeed(query)
})
const plain = Tool.make({
  name: "plain",
  description: "Does not opt in",
  input: Schema.Struct({ query: Schema.String }),
  annotations: { readOnlyHint: true },
  handler: ({ query }) => Effect.succeed(query)
})

describe("semanticOn", () => {
  it("builds L3 only when a tool opts in, by declaration or configuration, or when asked", () => {
    assert.isFalse(semanticOn(resolve({}), [plain]))
    assert.isTrue(semanticOn(resolve({}), [search, plain]))
    assert.isTrue(semanticOn(resolve({ cacheTools: { plain: { semantic: { argument: "query" } } } }), [plain]))
    assert.isTrue(semanticOn(resolve({ semantic: true }), []))
  })

  it("stays off when the configuration turns the declared opt-in or the cache off", () => {
    assert.isFalse(semanticOn(resolve({ cacheTools: { search: { semantic: false } } }), [search]))
    assert.isFalse(semanticOn(resolve({ cacheTools: { search: false } }), [search]))
    assert.isFalse(semanticOn(resolve({ cache: false, semantic: true }), [search]))
  })

  it("names L3 in the start-up line when it is built", () => {
    assert.include(describeCache(resolve({ cacheDir: "" }), [search]), "then L3 semantic (use-lite, up to 10000 entries)")
    assert.notInclude(describeCache(resolve({ cacheDir: "" }), [plain]), "L3")
  })
})
