/**
 * The memory phase of the HTTP fuzz test: requests that differ only in a client-chosen string
 * (cursors, session creations, method names, subscription URIs, listen streams, request states),
 * repeated thousands of times, so anything memoised or kept per raw client string shows up as
 * resident memory that keeps growing.
 */
import { anyOf, error, type Expect, result } from "./Expect.ts"
import { SESSION, TOKEN, type HttpCase } from "./HttpCases.ts"

const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }

const stateless = (id: number, method: string, params: Record<string, unknown>, name?: string): Pick<HttpCase, "headers" | "body"> => ({
  headers: {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": method,
    ...(name === undefined ? {} : { "mcp-name": name }),
    authorization: `Bearer ${TOKEN}`
  },
  body: Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: META } }))
})

const session = (id: number, method: string, params: Record<string, unknown>, withSession = true): Pick<HttpCase, "headers" | "body"> => ({
  headers: {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(withSession ? { "mcp-session-id": SESSION } : {}),
    authorization: `Bearer ${TOKEN}`
  },
  body: Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method, params }))
})

/** A limit answer (ServerBusy, in-band or as 429/503) is a right answer to anything that creates state. */
const orBusy = (expect: Expect): Expect => anyOf(expect, error([200, 429, 503], [-32000]))

export interface MemoryStep {
  readonly name: string
  readonly count: number
  readonly make: (i: number, id: number) => HttpCase
}

const step = (name: string, count: number, make: (i: number, id: number) => Pick<HttpCase, "headers" | "body"> & { expect: Expect; method?: string }): MemoryStep => ({
  name,
  count,
  make: (i, id) => ({ category: `memory/${name}`, method: "POST", path: "/mcp", ...make(i, id) })
})

/** Each step with its request count; together a few seconds of traffic. */
export const memorySteps = (scale: number): ReadonlyArray<MemoryStep> => {
  const steps = stringSteps(scale)
  // the same requests with the same strings: the heap reaches its working size before the baseline
  const warmUp: MemoryStep = { name: "warm-up", count: 2000, make: (i, id) => steps[i % steps.length]!.make(0, id) }
  return [warmUp, ...steps]
}

const stringSteps = (scale: number): ReadonlyArray<MemoryStep> => [
  // `o:000…0` is offset 0 written a new way each time: a page memoised per raw cursor grows without bound
  step("non-canonical-cursors", Math.round(4000 * scale), (i, id) => {
    const cursor = Buffer.from(`o:${"0".repeat(30_000 + i)}`).toString("base64url")
    const built = i % 2 === 0 ? stateless(id, "tools/list", { cursor }) : session(id, "tools/list", { cursor })
    return { ...built, expect: anyOf(result(id), error([200, 400], [-32602], id)) }
  }),
  step("session-creations", Math.round(2000 * scale), (_, id) => ({
    ...session(id, "initialize", { protocolVersion: "2025-11-25", capabilities: { x: "c".repeat(2000) }, clientInfo: { name: "m".repeat(2000), version: "1" } }, false),
    expect: orBusy(result(id))
  })),
  step("unique-method-names", Math.round(5000 * scale), (i, id) => ({ ...session(id, `x/${i}/${"m".repeat(2000)}`, {}), expect: error([200], [-32601], id) })),
  step("unique-subscriptions", Math.round(3000 * scale), (i, id) => ({
    ...session(id, "resources/subscribe", { uri: `file:///${i}/${"u".repeat(40_000)}` }),
    expect: orBusy(anyOf(result(id), error([200], [-32602], id)))
  })),
  step("unique-tool-names", Math.round(3000 * scale), (i, id) => {
    const name = `tool-${i}-${"n".repeat(4000)}`
    return { ...stateless(id, "tools/call", { name, arguments: {} }, name), expect: error([200, 400], [-32602], id) }
  }),
  step("unique-request-states", Math.round(2000 * scale), (i, id) => ({
    ...stateless(id, "tools/call", { name: "text_stats", arguments: { text: "a" }, requestState: `${i}.${"s".repeat(4000)}` }, "text_stats"),
    expect: error([200, 400], [-32602], id)
  })),
  step("unique-session-ids", Math.round(3000 * scale), (i, id) => {
    const built = session(id, "ping", {})
    return { ...built, headers: { ...built.headers, "mcp-session-id": `${i}-${"z".repeat(4000)}` }, expect: error([404], [-32001], id) }
  })
]
