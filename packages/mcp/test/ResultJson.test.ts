import { assert, describe, it } from "@effect/vitest"
import * as ResultJson from "../src/internal/ResultJson.ts"
import { bodyText, Spliced } from "../src/Peer.ts"
import { MetaKey } from "../src/Protocol.ts"

const text = (body: Buffer | Spliced) => bodyText({ body, status: 200 })

const identity = { name: "t", version: "1" }
const json = ResultJson.make(identity)
const meta = { [MetaKey.serverInfo]: identity }

describe("ResultJson", () => {
  it("adds resultType and the server identity to a plain result, an empty one and one with a resultType", () => {
    assert.deepStrictEqual(JSON.parse(json.stateless({ content: [] })), { content: [], resultType: "complete", _meta: meta })
    assert.deepStrictEqual(JSON.parse(json.stateless({})), { resultType: "complete", _meta: meta })
    assert.deepStrictEqual(JSON.parse(json.stateless({ resultType: "input_required" })), { resultType: "input_required", _meta: meta })
  })

  it("merges the identity into a result's own _meta", () => {
    assert.deepStrictEqual(JSON.parse(json.stateless({ content: [], _meta: { mine: 1 } })), {
      content: [],
      resultType: "complete",
      _meta: { mine: 1, ...meta }
    })
  })

  it("states the remaining freshness and scope of a cached result, and none when it was not cached", () => {
    assert.deepStrictEqual(JSON.parse(json.cached(`{"content":[]}`, "private", 10_500, 10_000)), {
      content: [],
      ttlMs: 500,
      cacheScope: "private",
      resultType: "complete",
      _meta: meta
    })
    assert.deepStrictEqual(JSON.parse(json.cached(`{}`, "public", 0, 10_000)), { resultType: "complete", _meta: meta })
    assert.deepStrictEqual(JSON.parse(json.cached(`{"content":[],"_meta":{"x":1}}`, "public", 10_001, 10_000)), {
      content: [],
      ttlMs: 1,
      cacheScope: "public",
      resultType: "complete",
      _meta: { x: 1, ...meta }
    })
  })

  it("closes a list page with cache hints and the identity", () => {
    assert.deepStrictEqual(JSON.parse(`{"tools":[]${json.cacheableTail("public", 60_000)}`), {
      tools: [],
      resultType: "complete",
      ttlMs: 60_000,
      cacheScope: "public",
      _meta: meta
    })
  })
})

describe("ResultJson.responseBytes", () => {
  it("splices any id in front of a precomputed result, for small and large results alike", () => {
    const small = Buffer.from(`{"tools":[]}}`)
    const large = Buffer.from(`{"text":"${"é".repeat(200_000)}"}}`)
    const answers = [ResultJson.responseBytes(1, small), ResultJson.responseBytes("ид-\"2\"", small), ResultJson.responseBytes(3, large)].map(text)
    assert.deepStrictEqual(answers.map((a) => JSON.parse(a).id), [1, "ид-\"2\"", 3])
    assert.deepStrictEqual(JSON.parse(answers[0]!), { jsonrpc: "2.0", id: 1, result: { tools: [] } })
    assert.strictEqual(JSON.parse(answers[2]!).result.text.length, 200_000)
  })

  it("hands a large result over as it is, behind its head: no copy per answer", () => {
    const large = Buffer.from(`{"text":"${"x".repeat(100_000)}"}}`)
    const answer = ResultJson.responseBytes(7, large)
    assert.instanceOf(answer, Spliced)
    assert.strictEqual((answer as Spliced).tail, large)
    assert.strictEqual((answer as Spliced).byteLength, Buffer.byteLength(text(answer)))
  })

  it("never hands out a region twice: earlier answers stay intact however many follow", () => {
    const page = Buffer.from(`{"n":"${"x".repeat(10_000)}"}}`)
    const answers = Array.from({ length: 300 }, (_, i) => ResultJson.responseBytes(i, page))
    answers.forEach((answer, i) => assert.strictEqual(JSON.parse(text(answer)).id, i))
  })
})
