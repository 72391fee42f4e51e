/**
 * Change notifications reach real SDK clients: a tool registered at run time makes the client
 * refresh its tool list (2025-11-25: the session's GET stream; 2026-07-28: subscriptions/listen),
 * and a subscribed resource's update reaches a 2025-11-25 session.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { ResourceRegistry, Tool, ToolRegistry } from "@tenfold/mcp"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support.ts"

let server: RunningServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

/** Repeats `step`, each time followed by a short wait, until `done()` holds (at most 25 times). */
const until = async (step: (i: number) => Promise<unknown>, done: () => boolean) => {
  for (let i = 0; i < 25 && !done(); i++) {
    await step(i)
    await new Promise((r) => setTimeout(r, 200))
  }
  return done()
}

const register = (name: string) =>
  server.runtime.runPromise(ToolRegistry.use((registry) =>
    registry.register(Tool.make({ name, description: "Added at run time", input: Schema.Struct({}), handler: () => Effect.succeed("new") }))
  ))

describe.each([
  { name: "2025-11-25", options: {} },
  { name: "2026-07-28", options: { versionNegotiation: { mode: { pin: "2026-07-28" as const } } } }
])("tools/list_changed, revision $name", ({ name, options }) => {
  it("makes the client refresh its tool list when a tool is added", async () => {
    const seen: Array<ReadonlyArray<string>> = []
    const client = new Client({ name: "tenfold-e2e", version: "1.0.0" }, {
      ...options,
      listChanged: { tools: { debounceMs: 0, onChanged: (error, tools) => void (error === null && tools !== null && seen.push(tools.map((t) => t.name))) } }
    })
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)))
    try {
      await client.listTools()
      // the client opens its notification stream in the background: keep changing until it listens
      const prefix = `added_${name.replaceAll("-", "_")}_`
      const added = await until((i) => register(`${prefix}${i}`), () => seen.some((names) => names.some((n) => n.startsWith(prefix))))
      expect(added).toBe(true)
    } finally {
      await client.close()
    }
  })
})

describe("resources/updated", () => {
  it("reaches a 2025-11-25 session subscribed to the resource", async () => {
    await server.runtime.runPromise(ResourceRegistry.use((r) =>
      r.register({ uri: "mem://note", name: "note", read: (uri) => Effect.succeed([{ uri, text: "v1" }]) })
    ))
    const updates: Array<string> = []
    const client = new Client({ name: "tenfold-e2e", version: "1.0.0" })
    client.setNotificationHandler("notifications/resources/updated", (n) => void updates.push(n.params.uri))
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)))
    try {
      await client.subscribeResource({ uri: "mem://note" })
      const delivered = await until(() => server.runtime.runPromise(ResourceRegistry.use((r) => r.updated("mem://note"))), () => updates.length > 0)
      expect(delivered).toBe(true)
      expect(new Set(updates)).toEqual(new Set(["mem://note"]))
    } finally {
      await client.close()
    }
  })
})
