/**
 * Generated bad lines for the stdio fuzz test, each with the answers it must get: a line with a
 * valid id gets exactly one answer with that id (with a code from its category's set); a line
 * that cannot be read as a request gets one error with id null; notifications and responses get
 * nothing.
 */
import type { Id, Outcome } from "./Expect.ts"
import { deep, hostile, hostileNonObject, hostileNonString, lit, NUMBERS, obj, TRAPS, words } from "./Hostile.ts"
import type { Random } from "./Random.ts"

export interface StdioCase {
  readonly category: string
  /** Lines to write (without their newline). */
  readonly lines: ReadonlyArray<Buffer>
  /** The id that must get exactly one answer, with one of `outcomes`. */
  readonly id?: Id
  /** More ids that must each get exactly one answer with one of `outcomes`, before the ping after the case is answered (the server answers them as it reads them). */
  readonly ids?: ReadonlyArray<Id>
  readonly outcomes: ReadonlyArray<Outcome>
  /** How many answers with id null the lines must get (0 or 1). */
  readonly nulls: number
}

type Entries = ReadonlyArray<readonly [string, string]>

const META = obj([["io.modelcontextprotocol/protocolVersion", `"2026-07-28"`], ["io.modelcontextprotocol/clientCapabilities", "{}"]])

const line = (id: string | undefined, method: string, params: Entries, meta?: string) =>
  obj([
    ["jsonrpc", `"2.0"`],
    ...(id === undefined ? [] : [["id", id] as const]),
    ["method", lit(method)],
    ["params", obj(meta === undefined ? params : [...params, ["_meta", meta]])]
  ])

const one = (category: string, text: string, id: Id | undefined, outcomes: ReadonlyArray<Outcome>, nulls = 0): StdioCase => ({
  category,
  lines: [Buffer.from(text)],
  ...(id === undefined ? {} : { id }),
  outcomes,
  nulls
})

const stateless = (rng: Random) => rng.chance(0.4)
const textArgs = (rng: Random) => obj([["text", lit(words(rng, rng.int(1, 8)))]])
const noNewline = (s: string) => s.replace(/[\r\n]/g, " ")

const malformed = (rng: Random, id: number): StdioCase => {
  const text = line(String(id), "tools/call", [["name", `"text_stats"`], ["arguments", textArgs(rng)]], stateless(rng) ? META : undefined)
  for (let i = 0; i < 20; i++) {
    const at = rng.int(0, text.length - 1)
    const bad = noNewline(rng.pick([text.slice(0, at), text + "}", text.replace(/"/, "'"), `\uFEFF${text}`, rng.ascii(rng.int(1, 40)), text.slice(0, at) + "\u0000" + text.slice(at + 1), "[".repeat(rng.int(1, 40))]))
    if (bad.trim() === "") continue
    try {
      JSON.parse(bad)
    } catch {
      return one("json/malformed", bad, undefined, [-32700], 1)
    }
  }
  return one("json/malformed", "{", undefined, [-32700], 1)
}

const notAnObject = (rng: Random): StdioCase => one("json/not-an-object", rng.pick(["1", "null", `"x"`, "true", "[]", "1e309", "-0"]), undefined, [-32600], 1)

const frame = (rng: Random, id: number): StdioCase => {
  const field = rng.pick(["jsonrpc", "id", "method", "params"] as const)
  const entries: Array<[string, string]> = [["jsonrpc", `"2.0"`], ["id", String(id)], ["method", `"tools/list"`], ["params", "{}"]]
  const value = field === "jsonrpc"
    ? rng.pick([`"1.0"`, "2", hostileNonString(rng)])
    : field === "id"
    ? rng.pick(["null", "1.5", "true", "{}", "[]", "1e309", rng.pick(TRAPS)])
    : field === "method"
    ? rng.pick(["5", "null", "{}", "[]", "true"])
    : rng.pick(["[]", `"x"`, "5", "null", "true"])
  entries[entries.findIndex(([k]) => k === field)] = [field, value]
  return field === "id"
    ? one(`frame/${field}`, obj(entries), undefined, [-32600], 1)
    : one(`frame/${field}`, obj(entries), id, [-32600])
}

const toolsCall = (rng: Random, id: number): StdioCase => {
  const meta = stateless(rng) ? META : undefined
  const field = rng.pick(["name", "arguments", "top", "requestState", "inputResponses", "meta"] as const)
  const args = textArgs(rng)
  const params: Entries = field === "name"
    ? [["name", rng.chance(0.5) ? hostileNonString(rng) : lit(rng.unicode(rng.int(0, 30)))], ["arguments", args]]
    : field === "arguments"
    ? [["name", `"text_stats"`], ["arguments", hostile(rng)]]
    : field === "top"
    ? [["name", `"text_stats"`], ["arguments", obj([["text", `"a b"`], ["top", rng.pick(NUMBERS)]])]]
    : field === "meta"
    ? [["name", `"text_stats"`], ["arguments", args], ["_meta", obj([["progressToken", hostile(rng)]])]]
    : [["name", `"text_stats"`], ["arguments", args], [field, hostile(rng)]]
  const outcomes: ReadonlyArray<Outcome> = field === "name" ? [-32602] : ["result", -32602]
  return one(`params/tools-call-${field}${meta === undefined ? "" : "-stateless"}`, line(String(id), "tools/call", params, field === "meta" ? undefined : meta), id, outcomes)
}

const others = (rng: Random, id: number): StdioCase => {
  const meta = stateless(rng) ? META : undefined
  const tag = meta === undefined ? "" : "-stateless"
  const sessionOnly: ReadonlyArray<Outcome> = meta === undefined ? [] : [-32601]
  switch (rng.int(0, 8)) {
    case 0: {
      const method = rng.pick(["tools/list", "resources/list", "prompts/list", "resources/templates/list"])
      const text = rng.ascii(10)
      const cursor = rng.pick([hostileNonString(rng), lit(text), lit(Buffer.from(`o:${"0".repeat(rng.int(2, 50))}`).toString("base64url"))])
      const decodes = cursor === lit(text) && Buffer.from(text, "base64url").toString().startsWith("o:")
      return one(`params/list-cursor${tag}`, line(String(id), method, [["cursor", cursor]], meta), id, decodes ? ["result", -32602] : [-32602])
    }
    case 1: {
      const level = rng.chance(0.4) ? rng.pick(TRAPS) : hostileNonString(rng)
      return one(`params/logging-setLevel${tag}`, line(String(id), "logging/setLevel", [["level", level]], meta), id, meta === undefined ? [-32602] : sessionOnly)
    }
    case 2:
      return one(`params/resources-subscribe${tag}`, line(String(id), "resources/subscribe", [["uri", hostileNonString(rng)]], meta), id, meta === undefined ? [-32602] : sessionOnly)
    case 3:
      return one(`params/resources-read${tag}`, line(String(id), "resources/read", [["uri", hostile(rng)]], meta), id, [-32602])
    case 4:
      return one(`params/prompts-get${tag}`, line(String(id), "prompts/get", [["name", hostile(rng)], ["arguments", hostile(rng)]], meta), id, [-32602])
    case 5:
      return one(`params/completion${tag}`, line(String(id), "completion/complete", [["ref", hostile(rng)], ["argument", hostile(rng)]], meta), id, [-32602])
    case 6:
      return one(`params/unknown-method${tag}`, line(String(id), rng.pick(["__proto__", "toString", "constructor", "", rng.ascii(20)]), [], meta), id, [-32601])
    case 7:
      return one(`params/ping${tag}`, line(String(id), "ping", [["x", hostile(rng)]], meta), id, meta === undefined ? ["result"] : sessionOnly)
    default: {
      const pv = "io.modelcontextprotocol/protocolVersion"
      const cc = "io.modelcontextprotocol/clientCapabilities"
      const bad = rng.pick([
        [obj([[pv, hostileNonString(rng)], [cc, "{}"]]), -32602],
        [obj([[pv, `"2026-07-28"`], [cc, hostileNonObject(rng)]]), -32602],
        [obj([[pv, `"2026-07-28"`]]), -32602],
        [obj([[pv, lit(rng.pick(["2025-11-25", "1", ""]))], [cc, "{}"]]), -32022]
      ] as const)
      return one("envelope/bad", line(String(id), "tools/list", [], bad[0]), id, [bad[1]])
    }
  }
}

const messages = (rng: Random, id: number): StdioCase => {
  switch (rng.int(0, 3)) {
    case 0:
      return one("session/notification", line(undefined, rng.pick(["notifications/initialized", "notifications/cancelled", "notifications/x"]), [["requestId", hostile(rng)]]), undefined, [])
    case 1:
      return one("session/response", obj([["jsonrpc", `"2.0"`], ["id", rng.pick([`"tenfold-0"`, String(id)])], [rng.pick(["result", "error"]), hostile(rng)]]), undefined, [])
    case 2: {
      // a 2026-07-28 listen is acknowledged, then answered when the client cancels it
      const listen = line(String(id), "subscriptions/listen", [["notifications", hostile(rng)]], META)
      const cancel = line(undefined, "notifications/cancelled", [["requestId", String(id)]])
      return { category: "params/subscriptions-listen", lines: [Buffer.from(listen), Buffer.from(cancel)], id, outcomes: ["result", -32602], nulls: 0 }
    }
    default: {
      const raw = rng.pick(["1e20", "-0", "9007199254740993", "1e-400", `""`, `"${"9".repeat(500)}"`])
      return one("numbers/id", line(raw, "ping", []), JSON.parse(raw) as Id, ["result"])
    }
  }
}

const nesting = (rng: Random, id: number): StdioCase => {
  const nest = deep(rng.pick([3000, 10_000, 100_000]), rng.pick(["array", "object"] as const))
  const meta = stateless(rng) ? META : undefined
  const where = rng.pick(["arguments", "text", "level", "cursor"] as const)
  const params: Entries = where === "arguments"
    ? [["name", `"text_stats"`], ["arguments", nest]]
    : where === "text"
    ? [["name", `"text_stats"`], ["arguments", obj([["text", nest]])]]
    : [[where === "level" ? "level" : "cursor", nest]]
  const method = where === "level" ? "logging/setLevel" : where === "cursor" ? "tools/list" : "tools/call"
  // every depth here is past maxJsonDepth (512): refused before parsing, so with id null
  return one(`nesting/${where}${meta === undefined ? "" : "-stateless"}`, line(String(id), method, params, meta), undefined, [-32600], 1)
}

const bytes = (rng: Random, id: number): StdioCase => {
  if (rng.chance(0.5)) {
    const text = line(String(id), "tools/call", [["name", `"text_stats"`], ["arguments", obj([["text", `"MARK"`]])]])
    const at = text.indexOf("MARK")
    const bad = Buffer.from(rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]))
    return { category: "utf8/in-text", lines: [Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at))])], id, outcomes: ["result", -32602, -32700], nulls: 0 }
  }
  const big = "lorem ipsum dolor. ".repeat(Math.floor(rng.int(50_000, 500_000) / 19))
  return one("size/huge-line", line(String(id), "tools/call", [["name", `"text_stats"`], ["arguments", obj([["text", lit(big)]])]]), id, ["result"])
}

type Generator = (rng: Random, id: number) => StdioCase

const MIX: ReadonlyArray<readonly [Generator, number]> = [
  [malformed, 12],
  [notAnObject, 4],
  [frame, 12],
  [toolsCall, 25],
  [others, 30],
  [messages, 8],
  [nesting, 3],
  [bytes, 3]
]

/** The `index`-th stdio case of a run. */
export const stdioCase = (rng: Random, index: number): StdioCase => rng.weighted(MIX)(rng, index + 1)
