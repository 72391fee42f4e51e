import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, PubSub, Schema } from "effect"
import { type Notification, Notifications } from "../src/Notifications.ts"
import * as Tool from "../src/Tool.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"

const echo = Tool.make({ name: "echo", description: "Echoes", input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) })

const TestLayer = Notifications.layer().pipe(
  Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer([echo]), ResourceRegistry.layer(), PromptRegistry.layer()))
)

describe("Notifications", () => {
  it.effect("publishes the list_changed method of each list that changed, and resource updates", () =>
    Effect.gen(function*() {
      const subscription = yield* (yield* Notifications).subscribe
      yield* ToolRegistry.use((r) => r.remove("echo"))
      yield* PromptRegistry.use((r) => r.register({ name: "p", get: () => Effect.succeed({ messages: [] }) }))
      yield* ResourceRegistry.use((r) => r.register({ uri: "mem://a", name: "a", read: (uri) => Effect.succeed([{ uri, text: "" }]) }))
      yield* ResourceRegistry.use((r) => r.updated("mem://a"))
      const seen = yield* PubSub.takeAll(subscription)
      assert.deepStrictEqual<ReadonlyArray<Notification>>(seen, [
        { _tag: "ListChanged", method: "notifications/tools/list_changed" },
        { _tag: "ListChanged", method: "notifications/prompts/list_changed" },
        { _tag: "ListChanged", method: "notifications/resources/list_changed" },
        { _tag: "ResourceUpdated", uri: "mem://a" }
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("delivers what is published to every subscriber, logs included", () =>
    Effect.gen(function*() {
      const notifications = yield* Notifications
      const a = yield* notifications.subscribe
      const b = yield* notifications.subscribe
      const log: Notification = { _tag: "Log", level: "warning", data: "disk almost full" }
      yield* notifications.publish(log)
      assert.deepStrictEqual(yield* PubSub.take(a), log)
      assert.deepStrictEqual(yield* PubSub.take(b), log)
    }).pipe(Effect.provide(TestLayer)))
})
