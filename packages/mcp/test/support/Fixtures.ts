/**
 * A small MCP server for transport tests: an echo, a slow and a progress-reporting tool, a
 * resource whose handler throws, and a dispatcher that throws synchronously for `test/throw`
 * (standing for any defect a client input could still reach).
 */
import { Effect, Layer, Schema } from "effect"
import { Dispatcher } from "../../src/Dispatcher.ts"
import { EventStore } from "../../src/EventStore.ts"
import { Notifications } from "../../src/Notifications.ts"
import { MetaKey } from "../../src/Protocol.ts"
import { PromptRegistry } from "../../src/PromptRegistry.ts"
import { ResourceRegistry } from "../../src/ResourceRegistry.ts"
import { Sessions, type SessionsOptions } from "../../src/Sessions.ts"
import * as Tool from "../../src/Tool.ts"
import { ToolRegistry } from "../../src/ToolRegistry.ts"

export const tools = [
  Tool.make({ name: "echo", description: "Echoes text", input: Schema.Struct({ text: Schema.String }), handler: ({ text }) => Effect.succeed(text) }),
  Tool.make({
    name: "wait",
    description: "Answers after `ms` milliseconds",
    input: Schema.Struct({ ms: Schema.Int }),
    handler: ({ ms }) => Effect.sleep(ms).pipe(Effect.as(`waited ${ms}`))
  }),
  Tool.make({
    name: "count",
    description: "Counts to `to`, reporting progress",
    input: Schema.Struct({ to: Schema.Int }),
    handler: ({ to }, ctx) =>
      Effect.gen(function*() {
        for (let i = 1; i <= to; i++) yield* ctx.progress(i, to)
        return `counted to ${to}`
      })
  })
]

/** The method the test dispatcher throws on, synchronously, as a bug would. */
export const THROWING_METHOD = "test/throw"

/** The real dispatcher, except that it throws for {@link THROWING_METHOD}. */
const throwingDispatcher = Layer.effect(
  Dispatcher,
  Effect.gen(function*() {
    const real = yield* Dispatcher
    return Dispatcher.of({
      ...real,
      handle: (id, method, params, peer, out) => {
        if (method === THROWING_METHOD) throw new Error("a bug reached by client input")
        return real.handle(id, method, params, peer, out)
      }
    })
  })
).pipe(Layer.provide(Dispatcher.layer({ serverInfo: { name: "test", version: "1" } })))

/**
 * Everything a transport needs below it: registries, notifications, the (throwing) dispatcher,
 * sessions and an event store (in memory unless given).
 */
export const below = (options: { readonly sessions?: SessionsOptions; readonly events?: Layer.Layer<EventStore> } = {}) =>
  Layer.mergeAll(throwingDispatcher, Notifications.layer(), Sessions.layer(options.sessions)).pipe(
    Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer())),
    Layer.provideMerge(options.events ?? EventStore.layerMemory())
  )

export const meta = { [MetaKey.protocolVersion]: "2026-07-28", [MetaKey.clientCapabilities]: {} }

/** Headers of a 2026-07-28 request for `method` (and `name` for tools/call). */
export const modernHeaders = (method: string, name?: string): Record<string, string> => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2026-07-28",
  "mcp-method": method,
  ...(name === undefined ? {} : { "mcp-name": name })
})

export const modernBody = (id: number, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method,
  params: { ...params, _meta: meta }
})

export const legacyHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" }

export const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }

export const rpc = (id: number | string, method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id, method, params })
