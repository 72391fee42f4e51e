import { assert, describe, it } from "@effect/vitest"
import { ProtocolError } from "../src/JsonRpc.ts"
import * as ListenFilter from "../src/internal/ListenFilter.ts"
import { MetaKey } from "../src/Protocol.ts"

const limits = { maxUris: 3, maxBytes: 40 }
const parsed = (requested: unknown) => {
  const filter = ListenFilter.parse(requested, limits)
  if (filter instanceof ProtocolError) throw new Error(filter.message)
  return filter
}
const refusal = (requested: unknown) => {
  const filter = ListenFilter.parse(requested, limits)
  return filter instanceof ProtocolError ? filter.code : undefined
}

describe("ListenFilter", () => {
  it("keeps only the known keys and the string URIs", () => {
    const filter = parsed({ toolsListChanged: true, promptsListChanged: "yes", resourceSubscriptions: ["a://1", 7, "a://1"], junk: "x".repeat(1000) })
    assert.deepStrictEqual(filter.acknowledged, { toolsListChanged: true, resourceSubscriptions: ["a://1"] })
  })

  it("refuses with -32602 a missing filter, too many URIs, a URI past 4096 characters, or URIs past the total", () => {
    assert.strictEqual(refusal(undefined), -32602)
    assert.strictEqual(refusal({ resourceSubscriptions: ["a", "b", "c", "d"] }), -32602)
    assert.strictEqual(refusal({ resourceSubscriptions: ["x".repeat(4097)] }), -32602)
    assert.strictEqual(refusal({ resourceSubscriptions: ["x".repeat(30), "y".repeat(30)] }), -32602)
    assert.isUndefined(refusal({ resourceSubscriptions: ["x".repeat(20), "y".repeat(20)] }))
  })

  it("answers only what the filter asks for, tagged with the stream's id", () => {
    const filter = parsed({ toolsListChanged: true, resourceSubscriptions: ["a://1"] })
    assert.deepStrictEqual(JSON.parse(ListenFilter.messageFor(filter, { _tag: "ListChanged", method: "notifications/tools/list_changed" }, 5)!), {
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [MetaKey.subscriptionId]: 5 } }
    })
    assert.strictEqual(JSON.parse(ListenFilter.messageFor(filter, { _tag: "ResourceUpdated", uri: "a://1" }, "s")!).params.uri, "a://1")
    assert.isUndefined(ListenFilter.messageFor(filter, { _tag: "ResourceUpdated", uri: "a://2" }, "s"))
    assert.isUndefined(ListenFilter.messageFor(filter, { _tag: "ListChanged", method: "notifications/prompts/list_changed" }, "s"))
    assert.isUndefined(ListenFilter.messageFor(filter, { _tag: "Log", level: "error", data: "x" }, "s"))
  })
})
