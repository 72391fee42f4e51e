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

  it("tasksStatus (the tasks extension): -32021 without the extension; else the ids kept (bounded) and acknowledged; a status change of one of them is sent as its DetailedTask", () => {
    assert.strictEqual(refusal({ tasksStatus: ["t1"] }), -32021)
    const refused = ListenFilter.parse({ tasksStatus: ["a", "b", "c", "d"] }, limits, true)
    assert.strictEqual(refused instanceof ProtocolError ? refused.code : undefined, -32602)
    const filter = ListenFilter.parse({ tasksStatus: ["t1", 5, "x".repeat(300)] }, limits, true)
    if (filter instanceof ProtocolError) return assert.fail(filter.message)
    assert.deepStrictEqual(filter.acknowledged, { tasksStatus: ["t1"] })
    const task = {
      taskId: "t1",
      status: "completed" as const,
      statusMessage: undefined,
      createdAt: 0,
      lastUpdatedAt: 1000,
      ttlMs: 60_000,
      pollIntervalMs: 1000,
      result: { content: [] },
      error: undefined,
      inputRequests: undefined
    }
    const message = JSON.parse(ListenFilter.taskMessageFor(filter, task, 9)!)
    assert.strictEqual(message.method, "notifications/tasks/status")
    assert.deepStrictEqual(
      { taskId: message.params.taskId, status: message.params.status, result: message.params.result, id: message.params._meta[MetaKey.subscriptionId] },
      { taskId: "t1", status: "completed", result: { content: [] }, id: 9 }
    )
    assert.isUndefined(ListenFilter.taskMessageFor(filter, { ...task, taskId: "t2" }, 9))
    assert.isUndefined(ListenFilter.taskMessageFor(parsed({ toolsListChanged: true }), task, 9))
  })
})
