/**
 * The memory phase of the fuzz tests: requests that differ only in a client-chosen string
 * (cursors, session creations, method names, subscription URIs, listen streams, request states),
 * repeated thousands of times, so anything memoised or kept per raw client string shows up as
 * resident memory that keeps growing; and messages whose size or shape would make the server
 * keep or walk far more than their bytes (huge capabilities and listen filters, deep nesting,
 * long progress tokens, over-long stdio lines, listen streams never cancelled), each refused.
 */
import { anyOf, error, type Expect, type Id, result } from "./Expect.ts"
import { OTHER_TOKEN, SESSION, TOKEN, type HttpCase } from "./HttpCases.ts"
import type { StdioCase } from "./StdioCases.ts"

const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }

/** The headers and body of a request (a body is always sent here). */
type Built = Pick<HttpCase, "headers"> & { readonly body: Buffer }

const stateless = (id: number, method: string, params: Record<string, unknown>, name?: string): Built => ({
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

const session = (id: number, method: string, params: Record<string, unknown>, withSession = true, token = TOKEN): Built => ({
  headers: {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(withSession ? { "mcp-session-id": SESSION } : {}),
    authorization: `Bearer ${token}`
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
  return [warmUp, ...steps, ...boundSteps(scale)]
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

/** Messages that would make the server keep or walk far more than their bytes; each is refused. */
const boundSteps = (scale: number): ReadonlyArray<MemoryStep> => [
  // a session keeps its client's capabilities: 3.5 MB of them per initialize grew RSS by GBs over 1000
  // sessions; 128 KB is 8 × the bound (another principal than the steps above, whose sessions fill their share)
  step("huge-capabilities", Math.round(300 * scale), (i, id) => ({
    ...session(id, "initialize", { protocolVersion: "2025-11-25", capabilities: { x: `${i}${"c".repeat(128 * 1024)}` }, clientInfo: { name: "m", version: "1" } }, false, OTHER_TOKEN),
    expect: error([200], [-32602], id)
  })),
  // a listen stream keeps its filter while open: URIs past 4096 characters, or past the filter's total, are refused
  step("huge-listen-filters", Math.round(16 * scale), (i, id) => {
    const uris = i % 2 === 0
      ? Array.from({ length: 35 }, (_, k) => `file:///${i}/${k}/${"u".repeat(100_000)}`)
      : Array.from({ length: 1000 }, (_, k) => `file:///${i}/${k}/${"u".repeat(3900)}`)
    return { ...stateless(id, "subscriptions/listen", { notifications: { resourceSubscriptions: uris } }), expect: error([200], [-32602], id) }
  }),
  // 3.8 MB nested 1.9 million deep in an argument the tool ignores: refused before JSON.parse builds it
  step("deep-bodies", Math.round(32 * scale), (_, id) => {
    const built = stateless(id, "tools/call", { name: "text_stats", arguments: { text: "a", ignored: "@DEEP@" } }, "text_stats")
    return { ...built, body: Buffer.from(built.body.toString("utf8").replace(`"@DEEP@"`, () => DEEP)), expect: error([400], [-32600], null) }
  }),
  // every progress notification echoes the token, and a resumable stream stores each one
  step("long-progress-tokens", Math.round(1000 * scale), (i, id) => ({
    ...session(id, "tools/call", { name: "text_stats", arguments: { text: "a" }, _meta: { progressToken: `${i}-${"p".repeat(4000)}` } }),
    expect: error([200], [-32602], id)
  }))
]

const MEGABYTE = "c".repeat(1024 * 1024)
const DEEP_LEVELS = 1_900_000
const DEEP = "[".repeat(DEEP_LEVELS) + "]".repeat(DEEP_LEVELS)

/** One step of the stdio memory phase: `count` cases on one connection. */
export interface StdioMemoryStep {
  readonly name: string
  readonly count: number
  readonly make: (i: number, id: number) => StdioCase
}

/** Listen streams one stdio connection may hold in the memory phase (its server is started with this cap). */
export const STDIO_LISTEN_CAP = 100

const LISTENS_PER_CASE = 500

const listenLine = (id: string) =>
  Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method: "subscriptions/listen", params: { notifications: { toolsListChanged: true }, _meta: META } }))

/**
 * The stdio memory phase, in order on one connection: lines far past the 4 MiB line bound
 * (answered at once and discarded unbuffered), lines nested 1.9 million deep, and 50,000
 * listen streams never cancelled (past the connection's cap each is refused).
 */
export const stdioMemorySteps = (scale: number): ReadonlyArray<StdioMemoryStep> => [
  {
    name: "over-long-lines",
    count: Math.max(1, Math.round(8 * scale)),
    make: (i, id) => ({
      category: "memory/over-long-lines",
      lines: [Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"pad":"${i}${MEGABYTE.repeat(8)}"}}`)],
      outcomes: [-32600],
      nulls: 1
    })
  },
  {
    name: "deep-lines",
    count: Math.max(1, Math.round(8 * scale)),
    make: (_, id) => ({
      category: "memory/deep-lines",
      lines: [Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"text_stats","arguments":{"text":"a","ignored":${DEEP}}}}`)],
      outcomes: [-32600],
      nulls: 1
    })
  },
  {
    name: "listens-never-cancelled",
    count: 1 + Math.max(1, Math.round(100 * scale)),
    make: (i, id) => {
      // the first case fills the connection's share; every listen after it must be refused
      const n = i === 0 ? STDIO_LISTEN_CAP : LISTENS_PER_CASE
      const ids: Array<Id> = Array.from({ length: n }, (_, k) => `listen-${id}-${k}`)
      return { category: "memory/listens-never-cancelled", lines: ids.map((l) => listenLine(String(l))), ...(i === 0 ? {} : { ids }), outcomes: [-32000], nulls: 0 }
    }
  }
]
