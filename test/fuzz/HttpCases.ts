/**
 * Generated bad HTTP requests for the fuzz test, each with the answer it must get. Categories
 * follow what a client can get wrong: the bytes (JSON, UTF-8), the JSON-RPC frame, the MCP
 * params of each method, the 2026-07-28 envelope and headers, the 2025-11-25 session, HTTP
 * itself, nesting and size. Expectations follow the README's error table.
 */
import { anyOf, error, type Expect, type Id, type Outcome, refusal, result } from "./Expect.ts"
import { deep, hostile, hostileNonObject, hostileNonString, lit, NUMBERS, obj, TRAPS, words } from "./Hostile.ts"
import type { Random } from "./Random.ts"

/** Replaced by a live 2025-11-25 session id when the request is sent. */
export const SESSION = "@SESSION@"
/** The bearer token the fuzzed server accepts (principal `fuzzer`), and another principal's. */
export const TOKEN = "fuzz-token"
export const OTHER_TOKEN = "other-token"
export const TOKENS_ENV = `${TOKEN}=fuzzer,${OTHER_TOKEN}=other`

export interface HttpCase {
  readonly category: string
  readonly method: string
  /** Path and query, relative to the server's origin. */
  readonly path: string
  readonly headers: Record<string, string | Array<string>>
  readonly body: Buffer | undefined
  readonly expect: Expect
}

type Rev = "stateless" | "session"
type Entries = ReadonlyArray<readonly [string, string]>

const ENDPOINT = "/mcp"
const VERSION = "2026-07-28"
const META = obj([["io.modelcontextprotocol/protocolVersion", lit(VERSION)], ["io.modelcontextprotocol/clientCapabilities", "{}"]])
/** The envelope of a 2026-07-28 client that declares the tasks extension. */
const TASKS_META = obj([["io.modelcontextprotocol/protocolVersion", lit(VERSION)], ["io.modelcontextprotocol/clientCapabilities", `{"extensions":{"io.modelcontextprotocol/tasks":{}}}`]])
const NAME_FIELD: Readonly<Record<string, string>> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId"
}
const LIST_METHODS = ["tools/list", "resources/list", "resources/templates/list", "prompts/list"]
const SESSION_ONLY = new Set(["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"])

/** Whether a string can travel in a header as it is (else it is sent `=?base64?…?=`). */
const headerSafe = (s: string) => /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(s) && !s.startsWith("=?")
const headerValue = (s: string) => (headerSafe(s) ? s : `=?base64?${Buffer.from(s).toString("base64")}?=`)

/** Unknown names answer -32602; a name that cannot travel in Mcp-Name as it is may also meet -32020 first. */
const unknownNameOutcomes = (rev: Rev, raw: string): ReadonlyArray<Outcome> => {
  if (rev === "session" || !raw.startsWith(`"`)) return [-32602]
  const name = JSON.parse(raw) as string
  return headerSafe(name) ? [-32602] : [-32602, -32020]
}

/** Statuses an outcome may come with in each revision (stateless method-not-found is a 404). */
const statusesOf = (rev: Rev, outcome: Outcome): ReadonlyArray<number> => {
  if (outcome === "result") return [200]
  if (rev === "session") return outcome === -32700 || outcome === -32600 ? [400, 200] : [200]
  switch (outcome) {
    case -32601:
      return [404]
    case -32602:
      return [200, 400]
    default:
      return [400]
  }
}

const expectOf = (rev: Rev, outcomes: ReadonlyArray<Outcome>, id?: Id): Expect =>
  error([...new Set(outcomes.flatMap((o) => statusesOf(rev, o)))], outcomes, id)

const baseHeaders = (rev: Rev, method: string, name?: string): Record<string, string | Array<string>> =>
  rev === "stateless"
    ? {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": VERSION,
      "mcp-method": method,
      ...(name === undefined ? {} : { "mcp-name": headerValue(name) }),
      authorization: `Bearer ${TOKEN}`
    }
    : {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": SESSION,
      "mcp-protocol-version": "2025-11-25",
      authorization: `Bearer ${TOKEN}`
    }

/** The JSON text of one request (stateless ones get the `_meta` envelope unless `meta` says otherwise). */
const message = (rev: Rev, id: string | undefined, method: string, params: Entries, meta: string | undefined = rev === "stateless" ? META : undefined) =>
  obj([
    ["jsonrpc", `"2.0"`],
    ...(id === undefined ? [] : [["id", id] as const]),
    ["method", lit(method)],
    ["params", obj(meta === undefined ? params : [...params, ["_meta", meta]])]
  ])

interface Built {
  readonly headers: Record<string, string | Array<string>>
  readonly body: string
}

/** A well-formed request: headers (Mcp-Name mirrors the name field when it is a string) and body. */
const request = (rev: Rev, id: number, method: string, params: Entries, meta?: string): Built => {
  const field = NAME_FIELD[method]
  const raw = field === undefined ? undefined : params.find(([k]) => k === field)?.[1]
  const name = raw?.startsWith(`"`) === true ? (JSON.parse(raw) as string) : undefined
  return { headers: baseHeaders(rev, method, name), body: message(rev, String(id), method, params, meta) }
}

const toCase = (category: string, built: Built, expect: Expect, extra: Partial<HttpCase> = {}): HttpCase => ({
  category,
  method: "POST",
  path: ENDPOINT,
  headers: built.headers,
  body: Buffer.from(built.body),
  expect,
  ...extra
})

const textArgs = (rng: Random) => obj([["text", lit(words(rng, rng.int(1, 12)))]])

/** A valid request of either revision, with the answer it gets. */
const valid = (rng: Random, rev: Rev, id: number): { built: Built; expect: Expect; method: string } => {
  const method = rng.pick(rev === "stateless"
    ? ["tools/call", "tools/list", "resources/list", "prompts/list", "server/discover", "resources/templates/list"]
    : ["tools/call", "tools/list", "ping", "server/discover", "prompts/list"])
  const params: Entries = method === "tools/call" ? [["name", `"text_stats"`], ["arguments", textArgs(rng)]] : []
  return { built: request(rev, id, method, params), expect: result(id), method }
}

const revOf = (rng: Random): Rev => (rng.chance(0.5) ? "stateless" : "session")

const without = (headers: Record<string, string | Array<string>>, name: string) => {
  const copy = { ...headers }
  delete copy[name]
  return copy
}

// ---- the bytes ---------------------------------------------------------------------------------

const malformedJson = (rng: Random, id: number): HttpCase => {
  const { built } = valid(rng, revOf(rng), id)
  const text = built.body
  const mutations: ReadonlyArray<() => string> = [
    () => text.slice(0, rng.int(0, text.length - 1)),
    () => text + rng.pick(["}", "]", ",", "x", "{", "\"", " garbage"]),
    () => text.replace(/"/, "'"),
    () => text.replace(/:/, ":NaN,"),
    () => text.replace(/}$/, ",}"),
    () => `// comment\n${text}`,
    () => `\uFEFF${text}`,
    () => text.replace(/"2\.0"/, "2.0.0"),
    () => {
      const at = rng.int(0, text.length - 1)
      return text.slice(0, at) + rng.pick(["\u0000", "\\", "\"", "{", "]", ":", "\u0001", "\n"]) + text.slice(at + 1)
    },
    () => rng.ascii(rng.int(0, 64)),
    () => "",
    () => "[".repeat(rng.int(1, 50)),
    () => `{"jsonrpc":"2.0","id":1,"method":"ping"}{"jsonrpc":"2.0","id":2,"method":"ping"}`,
    () => text.replace(/\d+/, "0x1F")
  ]
  for (let i = 0; i < 20; i++) {
    const body = rng.pick(mutations)()
    if (!parses(body)) return toCase("json/malformed", { ...built, body }, error([400], [-32700], null))
  }
  return toCase("json/malformed", { ...built, body: "{" }, error([400], [-32700], null))
}

const parses = (text: string) => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

const notAnObject = (rng: Random, id: number): HttpCase => {
  const { built } = valid(rng, revOf(rng), id)
  const body = rng.pick(["1", "-0", "1e309", "null", "true", `"x"`, `"{}"`, "0", `"[]"`])
  return toCase("json/not-an-object", { ...built, body }, error([400], [-32600], null))
}

const INVALID_UTF8: ReadonlyArray<ReadonlyArray<number>> = [
  [0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80]
]

const invalidUtf8 = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const bad = Buffer.from(rng.pick(INVALID_UTF8))
  const where = rng.pick(["text", "method", "key", "between"] as const)
  const built = request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", obj([["text", `"MARK"`]])]])
  const marker = where === "text" ? "MARK" : where === "method" ? "tools/call\"" : where === "key" ? "\"arguments\"" : ",\"method\""
  const at = built.body.indexOf(marker) + (where === "method" ? 5 : where === "key" ? 3 : where === "between" ? 0 : 2)
  const body = Buffer.concat([Buffer.from(built.body.slice(0, at)), bad, Buffer.from(built.body.slice(at))])
  const outcomes: ReadonlyArray<Outcome> = where === "text"
    ? ["result", -32602, -32700]
    : where === "method"
    ? [-32601, -32700, -32600, -32020]
    : where === "key"
    ? [-32602, -32700, -32600]
    : [-32700]
  return { category: `utf8/in-${where}`, method: "POST", path: ENDPOINT, headers: built.headers, body, expect: expectOf(rev, outcomes, where === "between" ? null : undefined) }
}

// ---- the JSON-RPC frame ------------------------------------------------------------------------

const frameFields = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const field = rng.pick(["jsonrpc", "id", "method", "params"] as const)
  const { built } = valid(rng, rev, id)
  const parsed = JSON.parse(built.body) as Record<string, unknown>
  const entries: Array<[string, string]> = Object.entries(parsed).map(([k, v]) => [k, lit(v)])
  const i = entries.findIndex(([k]) => k === field)
  const replacement = field === "jsonrpc"
    ? rng.pick([undefined, `"1.0"`, `"2"`, "2", "2.0", `" 2.0"`, hostileNonString(rng)])
    : field === "id"
    ? rng.pick(["null", "1.5", "true", "{}", "[]", "[1]", "1e309", "-1e309", "1E400", rng.pick(TRAPS)])
    : field === "method"
    ? rng.pick([undefined, ...[hostileNonString(rng), "5", "null", "{}", "[]"]])
    : rng.pick(["[]", "[1]", `"x"`, "5", "true", "null", `"{}"`])
  if (replacement === undefined) entries.splice(i, 1)
  else entries[i] = [field, replacement]
  const answeredId: Id = field === "id" ? null : id
  return toCase(`frame/${field}`, { ...built, body: obj(entries) }, error([400, 200], [-32600], answeredId))
}

const duplicateKeys = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const { built, expect } = valid(rng, rev, id)
  // a later duplicate key wins in JSON.parse: a hostile first value must be harmless
  const body = built.body.replace(`{"jsonrpc":"2.0"`, () => `{"jsonrpc":${hostile(rng)},"method":${hostile(rng)},"params":${hostile(rng)},"jsonrpc":"2.0"`)
  return toCase("frame/duplicate-keys", { ...built, body }, expect)
}

// ---- the 2026-07-28 envelope and headers ------------------------------------------------------

const envelope = (rng: Random, id: number): HttpCase => {
  const method = rng.pick(["tools/list", "tools/call", "server/discover", "prompts/list"])
  const params: Entries = method === "tools/call" ? [["name", `"text_stats"`], ["arguments", textArgs(rng)]] : []
  const pv = "io.modelcontextprotocol/protocolVersion"
  const cc = "io.modelcontextprotocol/clientCapabilities"
  const variant = rng.int(0, 9)
  const metaOf = (entries: Entries) => obj(entries)
  let meta: string
  let expect: Expect
  let headers: Record<string, string | Array<string>> | undefined
  switch (variant) {
    case 0:
      meta = hostileNonObject(rng)
      expect = error([400], [-32602], id)
      break
    case 1:
      meta = metaOf([[cc, "{}"]])
      expect = error([400], [-32602], id)
      break
    case 2:
      meta = metaOf([[pv, hostileNonString(rng)], [cc, "{}"]])
      expect = error([400], [-32602], id)
      break
    case 3:
      meta = metaOf([[pv, lit(VERSION)], [cc, hostileNonObject(rng)]])
      expect = error([400], [-32602], id)
      break
    case 4:
      meta = metaOf([[pv, lit(VERSION)]])
      expect = error([400], [-32602], id)
      break
    case 5: {
      const other = rng.pick(["2025-11-25", "2099-01-01", "garbage", "2026-07-28x"])
      meta = metaOf([[pv, lit(other)], [cc, "{}"]])
      expect = error([400], [-32020], id)
      break
    }
    case 6: {
      const other = rng.pick(["2025-11-25", "2099-01-01", "garbage", "1"])
      meta = metaOf([[pv, lit(other)], [cc, "{}"]])
      headers = { ...baseHeaders("stateless", method, method === "tools/call" ? "text_stats" : undefined), "mcp-protocol-version": other }
      expect = error([400], [-32022], id)
      break
    }
    default: {
      // keys a server reads only when they are right
      const key = rng.pick(["io.modelcontextprotocol/logLevel", "io.modelcontextprotocol/clientInfo", "progressToken", "__proto__", "constructor", "toString"])
      meta = metaOf([[pv, lit(VERSION)], [cc, "{}"], [key, hostile(rng)]])
      // a progress token is echoed in every progress notification: only numbers and short strings are taken
      expect = key === "progressToken" ? anyOf(result(id), error([400], [-32602], id)) : result(id)
    }
  }
  const built = request("stateless", id, method, params, meta)
  return toCase(`envelope/${variant <= 6 ? `bad-${variant}` : "extra-keys"}`, headers === undefined ? built : { ...built, headers }, expect)
}

const statelessHeaders = (rng: Random, id: number): HttpCase => {
  const method = rng.pick(["tools/call", "tools/list", "server/discover"])
  const params: Entries = method === "tools/call" ? [["name", `"text_stats"`], ["arguments", textArgs(rng)]] : []
  const built = request("stateless", id, method, params)
  const h = built.headers
  const mismatch = error([400], [-32020], id)
  const variants: ReadonlyArray<() => [string, Record<string, string | Array<string>>, Expect]> = [
    () => ["version-missing", without(h, "mcp-protocol-version"), mismatch],
    () => ["version-other", { ...h, "mcp-protocol-version": rng.pick(["2025-11-25", "2026-07-29", "", "garbage", "2026-07-28;q=1"]) }, mismatch],
    () => ["version-duplicated", { ...h, "mcp-protocol-version": [VERSION, VERSION] }, anyOf(mismatch, result(id), error([400], [-32600], id))],
    () => ["method-missing", without(h, "mcp-method"), mismatch],
    () => ["method-other", { ...h, "mcp-method": rng.pick(["tools/lis", "TOOLS/CALL", "ping", "", "x".repeat(rng.int(1, 300))]) }, mismatch],
    () => ["method-duplicated", { ...h, "mcp-method": [method, method] }, anyOf(mismatch, result(id), error([400], [-32600], id))],
    () =>
      method === "tools/call"
        ? ["name-missing", without(h, "mcp-name"), mismatch]
        : ["name-extra", { ...h, "mcp-name": "text_stats" }, anyOf(result(id), mismatch)],
    () =>
      method === "tools/call"
        ? ["name-other", { ...h, "mcp-name": rng.pick(["text_stat", "TEXT_STATS", "=?base64?!!?=", "=?base64?dGV4dF9zdGF0cw?=", "=?base64?/w==?=", ""]) }, mismatch]
        : ["name-garbage", { ...h, "mcp-name": rng.ascii(rng.int(1, 50)).trim() || "x" }, anyOf(result(id), mismatch)],
    () =>
      method === "tools/call"
        ? ["name-base64", { ...h, "mcp-name": `=?base64?${Buffer.from("text_stats").toString("base64")}?=` }, result(id)]
        : ["version-whitespace", { ...h, "mcp-protocol-version": ` ${VERSION}\t` }, result(id)],
    () => ["param-headers", { ...h, "mcp-param-region": rng.ascii(20), "mcp-param-text": "=?base64?###?=" }, result(id)]
  ]
  const [name, headers, expect] = rng.pick(variants)()
  return toCase(`headers/mcp-${name}`, { ...built, headers }, expect)
}

// ---- HTTP: content type, accept, auth, host, methods, paths -----------------------------------

const contentType = (rng: Random, id: number): HttpCase => {
  const { built, expect } = valid(rng, revOf(rng), id)
  const good = ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8", "application/json ; charset=utf-8"]
  const bad = [
    "text/plain", "application/jsonp", "application/json-patch+json", "multipart/form-data; boundary=x; x=application/json",
    "text/application/json", "xapplication/json", "application/javascript", "", "*/*", "application/*", "json", "application/x-www-form-urlencoded"
  ]
  const variant = rng.int(0, 3)
  if (variant === 0) return toCase("headers/content-type-valid", { ...built, headers: { ...built.headers, "content-type": rng.pick(good) } }, expect)
  if (variant === 1) return toCase("headers/content-type-missing", { ...built, headers: without(built.headers, "content-type") }, refusal(415))
  if (variant === 2) {
    const value = rng.pick(bad)
    return toCase(`headers/content-type-invalid`, { ...built, headers: { ...built.headers, "content-type": value } }, refusal(415))
  }
  const pair = rng.chance(0.5) ? [rng.pick(good), rng.pick(bad)] : [rng.pick(bad), rng.pick(good)]
  return toCase("headers/content-type-duplicated", { ...built, headers: { ...built.headers, "content-type": pair } }, anyOf(expect, refusal(415), refusal(400)))
}

const accept = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const { built, expect } = valid(rng, rev, id)
  const value = rng.pick(["image/png", "text/html", "application/xml", "", "application/*", "text/*", "application/json;q=0", "*/*", "application/json", "text/event-stream"])
  const accepted = ["*/*", "application/json", "text/event-stream"].includes(value)
  return toCase(`headers/accept-${rev}`, { ...built, headers: { ...built.headers, accept: value } }, accepted ? expect : anyOf(refusal(406), expect))
}

const authorization = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const { built, expect } = valid(rng, rev, id)
  const variants: ReadonlyArray<() => [string, Record<string, string | Array<string>>, Expect]> = [
    () => ["missing", without(built.headers, "authorization"), refusal(401)],
    () => ["unknown", { ...built.headers, authorization: `Bearer ${rng.ascii(rng.int(1, 80)).trim() || "x"}` }, refusal(401)],
    () => ["basic", { ...built.headers, authorization: "Basic Zm9vOmJhcg==" }, refusal(401)],
    () => ["empty", { ...built.headers, authorization: rng.pick(["Bearer", "Bearer ", "", "Bearer\t", TOKEN]) }, refusal(401)],
    () => ["huge", { ...built.headers, authorization: `Bearer ${"A".repeat(rng.int(4_000, 12_000))}` }, anyOf(refusal(401), refusal(431))],
    () => ["scheme-case", { ...built.headers, authorization: `${rng.pick(["bearer", "BEARER", "BeArEr"])} ${TOKEN}` }, expect],
    () => ["duplicated", { ...built.headers, authorization: [`Bearer ${TOKEN}`, "Bearer nope"] }, anyOf(expect, refusal(401), refusal(400))],
    () => [
      "other-principal",
      { ...built.headers, authorization: `Bearer ${OTHER_TOKEN}` },
      rev === "session" ? error([404], [-32001], id) : expect
    ]
  ]
  const [name, headers, e] = rng.pick(variants)()
  return toCase(`headers/auth-${name}`, { ...built, headers }, e)
}

const hostOrigin = (rng: Random, id: number): HttpCase => {
  const { built, expect } = valid(rng, revOf(rng), id)
  const variants: ReadonlyArray<() => [string, Record<string, string | Array<string>>, Expect]> = [
    () => ["host-foreign", { ...built.headers, host: rng.pick(["evil.example", "127.0.0.1.evil.example", "localhost.evil", "[::2]:80", "0.0.0.0"]) }, refusal(403)],
    () => ["host-empty", { ...built.headers, host: "" }, anyOf(refusal(403), refusal(400), expect)],
    () => ["host-loopback", { ...built.headers, host: rng.pick(["localhost", "127.0.0.1", "[::1]", "localhost:1"]) }, expect],
    () => ["origin-foreign", { ...built.headers, origin: rng.pick(["http://evil.example", "https://localhost.evil", "http://127.0.0.1.evil.example"]) }, refusal(403)],
    () => ["origin-odd", { ...built.headers, origin: rng.pick(["null", "file://", "x", "http://", "http://[::1"]) }, anyOf(refusal(403), expect)],
    () => ["origin-loopback", { ...built.headers, origin: rng.pick(["http://localhost:3000", "http://127.0.0.1", "https://localhost"]) }, expect]
  ]
  const [name, headers, e] = rng.pick(variants)()
  return toCase(`headers/${name}`, { ...built, headers }, e)
}

const httpMethods = (rng: Random, id: number): HttpCase => {
  const { built, expect } = valid(rng, revOf(rng), id)
  const sse = { accept: "text/event-stream", authorization: `Bearer ${TOKEN}` }
  const variants: ReadonlyArray<() => HttpCase> = [
    () => toCase("http/method-unsupported", built, refusal(405), { method: rng.pick(["PUT", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "TRACE"]) }),
    () => toCase("http/get-no-session", { headers: sse, body: "" }, refusal(405), { method: "GET", body: undefined }),
    () => toCase("http/get-not-sse", { headers: { ...sse, accept: "application/json", "mcp-session-id": SESSION }, body: "" }, refusal(406), { method: "GET", body: undefined }),
    () =>
      toCase(
        "http/get-bad-last-event-id",
        {
          headers: {
            ...sse,
            "mcp-session-id": SESSION,
            "last-event-id": rng.pick([rng.ascii(rng.int(0, 100)), `${SESSION}/nope:1`, `${SESSION}/standalone:99999`, `${SESSION}:1`, `${SESSION}/`, `${SESSION}/x:1e309`, `${SESSION}/x:-1`, `${SESSION}/${"a".repeat(3000)}:0`])
          },
          body: ""
        },
        refusal(400),
        { method: "GET", body: undefined }
      ),
    () => toCase("http/get-unknown-session", { headers: { ...sse, "mcp-session-id": rng.ascii(36) }, body: "" }, refusal(404), { method: "GET", body: undefined }),
    () => toCase("http/delete-unknown-session", { headers: { authorization: `Bearer ${TOKEN}`, "mcp-session-id": rng.pick(["x", rng.ascii(36), "00000000-0000-0000-0000-000000000000"]) }, body: "" }, refusal(404), { method: "DELETE", body: undefined }),
    () => toCase("http/delete-no-session", { headers: { authorization: `Bearer ${TOKEN}` }, body: "" }, refusal(400), { method: "DELETE", body: undefined }),
    () => toCase("http/path-other", built, refusal(404), { path: rng.pick(["/", "/mcp/", "/MCP", "//mcp", "/mcp/../mcp", "/mcp%00", "/mcpx", `/${"a".repeat(2000)}`]) }),
    () => toCase("http/path-query", built, expect, { path: rng.pick(["/mcp?x=1", "/mcp?", "/mcp?a=%ff&__proto__=1"]) })
  ]
  return rng.pick(variants)()
}

// ---- sessions ----------------------------------------------------------------------------------

const sessionHeaders = (rng: Random, id: number): HttpCase => {
  const { built, expect } = valid(rng, "session", id)
  const variants: ReadonlyArray<() => [string, Record<string, string | Array<string>>, Expect]> = [
    () => ["unknown", { ...built.headers, "mcp-session-id": rng.pick([rng.ascii(rng.int(1, 64)).trim() || "x", "00000000-0000-0000-0000-000000000000", "a".repeat(4000)]) }, error([404], [-32001], id)],
    () => ["missing", without(without(built.headers, "mcp-session-id"), "mcp-protocol-version"), error([400], [-32000, -32001], id)],
    () => ["duplicated", { ...built.headers, "mcp-session-id": [SESSION, SESSION] }, anyOf(error([404], [-32001], id), expect, error([400], [-32000, -32600], id))],
    () => ["version-unsupported", { ...built.headers, "mcp-protocol-version": rng.pick(["1999-01-01", "garbage", "2026-07-28", ""]) }, anyOf(error([400], [-32000, -32022, -32020], id), expect)]
  ]
  const [name, headers, e] = rng.pick(variants)()
  return toCase(`session/${name}`, { ...built, headers }, e)
}

const sessionMessages = (rng: Random, id: number): HttpCase => {
  const h = baseHeaders("session", "")
  const variant = rng.int(0, 5)
  if (variant === 0) {
    const body = obj([["jsonrpc", `"2.0"`], ["method", lit(rng.pick(["notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/x", rng.ascii(10)]))], ["params", obj([["requestId", hostile(rng)], ["progressToken", hostile(rng)], ["reason", hostile(rng)]])]])
    return toCase("session/notification", { headers: h, body }, refusal(202))
  }
  if (variant === 1) {
    const body = obj([["jsonrpc", `"2.0"`], ["id", rng.pick([lit(`tenfold-${rng.int(0, 5)}`), String(id), lit(rng.ascii(8))])], [rng.pick(["result", "error"]), hostile(rng)]])
    return toCase("session/response", { headers: h, body }, anyOf(refusal(202), error([400], [-32600])))
  }
  if (variant === 2) {
    const body = obj([["jsonrpc", `"2.0"`], ["method", `"notifications/initialized"`], ["params", hostileNonObject(rng)]])
    return toCase("session/notification-bad-params", { headers: h, body }, anyOf(error([400], [-32600], null), refusal(202)))
  }
  if (variant === 3) {
    const built = request("session", id, "initialize", [["protocolVersion", hostile(rng)], ["capabilities", hostile(rng)], ["clientInfo", hostile(rng)]])
    return toCase("session/initialize-again", built, error([400], [-32600], id))
  }
  if (variant === 4) {
    const headers = without(without(h, "mcp-session-id"), "mcp-protocol-version")
    const body = message("session", String(id), "initialize", [["protocolVersion", rng.pick([`"2025-11-25"`, hostile(rng)])], ["capabilities", hostile(rng)], ["clientInfo", hostile(rng)]])
    return toCase("session/initialize-hostile", { headers, body }, result(id))
  }
  const uri = rng.chance(0.5) ? hostileNonString(rng) : lit(rng.unicode(rng.int(0, 60)))
  const method = rng.pick(["resources/subscribe", "resources/unsubscribe"])
  const built = request("session", id, method, [["uri", uri]])
  return toCase(`session/${method}`, built, uri.startsWith(`"`) ? result(id) : error([200], [-32602], id))
}

// ---- MCP params, per method --------------------------------------------------------------------

const toolsCall = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const field = rng.pick(["name", "arguments", "text", "top", "requestState", "inputResponses", "extra"] as const)
  const args = textArgs(rng)
  let params: Entries
  let outcomes: ReadonlyArray<Outcome>
  switch (field) {
    case "name": {
      const name = rng.chance(0.5) ? hostileNonString(rng) : lit(rng.chance(0.5) ? rng.ascii(rng.int(0, 80)) : rng.unicode(rng.int(1, 30)))
      params = [["name", name], ["arguments", args]]
      outcomes = unknownNameOutcomes(rev, name)
      break
    }
    case "arguments":
      params = [["name", `"text_stats"`], ["arguments", rng.pick([hostileNonObject(rng), "{}", "null", `{"__proto__":{"text":"x"}}`, `{"text":"x","text":${hostileNonString(rng)}}`])]]
      outcomes = [-32602, "result"]
      break
    case "text":
      params = [["name", `"text_stats"`], ["arguments", obj([["text", hostile(rng)]])]]
      outcomes = [-32602, "result"]
      break
    case "top":
      params = [["name", `"text_stats"`], ["arguments", obj([["text", `"a b"`], ["top", rng.chance(0.5) ? rng.pick(NUMBERS) : hostile(rng)]])]]
      outcomes = [-32602, "result"]
      break
    case "requestState":
      params = [["name", `"text_stats"`], ["arguments", args], ["requestState", rng.chance(0.5) ? hostile(rng) : lit(rng.ascii(rng.int(0, 200)))]]
      outcomes = [-32602, "result"]
      break
    case "inputResponses":
      params = [["name", `"text_stats"`], ["arguments", args], ["inputResponses", hostile(rng)]]
      outcomes = [-32602, "result"]
      break
    default: {
      const key = rng.pick(["task", "__proto__", "constructor", "progressToken", "cursor"])
      params = [["name", `"text_stats"`], ["arguments", args], [key, hostile(rng)]]
      // 2025-11-25: params.task asks for a task, which text_stats (taskSupport forbidden) refuses with -32601
      outcomes = key === "task" && rev === "session" ? [-32601] : ["result", -32602]
    }
  }
  if (rev === "session" && rng.chance(0.3)) {
    params = [...params, ["_meta", obj([["progressToken", hostile(rng)]])]]
    outcomes = outcomes.includes(-32602) ? outcomes : [...outcomes, -32602]
  }
  return toCase(`params/tools-call-${field}`, request(rev, id, "tools/call", params), expectOf(rev, outcomes, id))
}

const CANONICAL = Buffer.from("o:0").toString("base64url")

const lists = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const method = rng.pick(LIST_METHODS)
  const variant = rng.int(0, 3)
  let cursor: string
  let outcomes: ReadonlyArray<Outcome>
  if (variant === 0) {
    cursor = hostileNonString(rng)
    outcomes = [-32602]
  } else if (variant === 1) {
    const text = rng.ascii(rng.int(0, 60))
    cursor = lit(text)
    outcomes = Buffer.from(text, "base64url").toString().startsWith("o:") ? ["result", -32602] : [-32602]
  } else if (variant === 2) {
    // offset 0 or 1 written in a way the server never writes it: refused, so it cannot be memoised per spelling
    const decoded = rng.pick(["o:00", "o:0.0", "o:-0", "o: 0", "o:0x0", "o:", "o:0e0", "o:+0", "o:0\u0000", "o:01", `o:${"0".repeat(rng.int(2, 200))}`])
    cursor = lit(rng.chance(0.8) ? Buffer.from(decoded).toString("base64url") : rng.pick([`${CANONICAL}=`, `${CANONICAL}==`, `${CANONICAL}.`, `b.zow`, `${CANONICAL}\n`]))
    outcomes = [-32602]
  } else {
    // small offsets may be in range (the binary serves a few tools); one past any page it has is not
    const decoded = rng.pick(["o:2", "o:100000", "o:-1", "o:1e309", "o:NaN", "o:9007199254740993", "o:Infinity", "x:0", "o:1.5", "o:0", "o:1"])
    cursor = lit(Buffer.from(decoded).toString("base64url"))
    outcomes = ["o:0", "o:1", "o:2"].includes(decoded) ? ["result", -32602] : [-32602]
  }
  return toCase(`params/${method}-cursor`, request(rev, id, method, [["cursor", cursor]]), expectOf(rev, outcomes, id))
}

const otherMethods = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const variant = rng.pick(["resources/read", "prompts/get", "completion/complete", "logging/setLevel", "ping", "server/discover", "tasks", "unknown"] as const)
  const sessionOnly = (method: string) => rev === "stateless" && SESSION_ONLY.has(method)
  switch (variant) {
    case "resources/read": {
      const uri = rng.chance(0.5) ? hostileNonString(rng) : lit(rng.pick(["file:///etc/passwd", "", "x", rng.unicode(20), `${"a".repeat(1000)}:`]))
      return toCase("params/resources-read", request(rev, id, variant, [["uri", uri]]), expectOf(rev, unknownNameOutcomes(rev, uri), id))
    }
    case "prompts/get": {
      const name = rng.chance(0.5) ? hostileNonString(rng) : lit(rng.ascii(rng.int(0, 30)))
      return toCase("params/prompts-get", request(rev, id, variant, [["name", name], ["arguments", hostile(rng)]]), expectOf(rev, unknownNameOutcomes(rev, name), id))
    }
    case "completion/complete": {
      const ref = rng.pick([hostile(rng), `{"type":"ref/prompt","name":${hostile(rng)}}`, `{"type":"ref/resource","uri":${hostile(rng)}}`, `{"type":"ref/prompt","name":"x"}`])
      const argument = rng.pick([hostile(rng), `{"name":${hostile(rng)},"value":${hostile(rng)}}`, `{"name":"a","value":"b"}`])
      return toCase("params/completion-complete", request(rev, id, variant, [["ref", ref], ["argument", argument], ["context", hostile(rng)]]), expectOf(rev, [-32602, "result"], id))
    }
    case "logging/setLevel": {
      const level = rng.chance(0.3) ? rng.pick(TRAPS) : rng.chance(0.5) ? hostileNonString(rng) : lit(rng.pick(["info", "debug", "INFO", "verbose", "", "emergency"]))
      const known = ["\"info\"", "\"debug\"", "\"emergency\""].includes(level)
      return toCase(`params/logging-setLevel-${rev}`, request(rev, id, variant, [["level", level]]), expectOf(rev, sessionOnly(variant) ? [-32601] : known ? ["result"] : [-32602], id))
    }
    case "tasks": {
      // no task of this client exists: every id is unknown (-32602); 2026-07-28 without the extension: -32021
      const method = rng.pick(["tasks/get", "tasks/result", "tasks/list", "tasks/cancel", "tasks/update"])
      const taskId = rng.chance(0.5) ? hostile(rng) : lit(rng.pick(["", "x", rng.unicode(20), "a".repeat(300), "AAAAAAAAAAAAAAAAAAAAAAAA"]))
      const declares = rev === "stateless" && rng.chance(0.5)
      const params: Entries = [["taskId", taskId], ["cursor", hostile(rng)], ["inputResponses", hostile(rng)]]
      const outcomes: ReadonlyArray<Outcome> = rev === "stateless"
        ? method === "tasks/result" || method === "tasks/list" ? [-32601] : declares ? [-32602, -32020] : [-32021, -32020]
        : method === "tasks/update" ? [-32601] : method === "tasks/list" ? ["result", -32602] : [-32602]
      return toCase(`params/${method}-${rev}${declares ? "-extension" : ""}`, request(rev, id, method, params, declares ? TASKS_META : undefined), expectOf(rev, outcomes, id))
    }
    case "ping":
    case "server/discover":
      return toCase(`params/${variant}`, request(rev, id, variant, [[rng.pick(["x", "__proto__", "cursor"]), hostile(rng)]]), expectOf(rev, sessionOnly(variant) ? [-32601] : ["result"], id))
    default: {
      const method = rng.pick([
        "__proto__", "constructor", "toString", "hasOwnProperty", "tools/call/", "TOOLS/LIST", "tools", "", " ", "notifications/initialized",
        "initialize/", "resources/subscribe ", "rpc.discover", "$/cancelRequest", rng.ascii(rng.int(1, 60)), "x".repeat(rng.int(100, 2000))
      ])
      const built = request(rev, id, method, [])
      const headers = rev === "stateless" && !headerSafe(method) ? without(built.headers, "mcp-method") : built.headers
      const outcomes: ReadonlyArray<Outcome> = rev === "stateless" && !headerSafe(method) ? [-32601, -32020] : [-32601]
      return toCase(`params/unknown-method-${rev}`, { ...built, headers }, expectOf(rev, outcomes, id))
    }
  }
}

const listen = (rng: Random, id: number): HttpCase => {
  const good = rng.chance(0.5)
  const notifications = good
    ? obj([["toolsListChanged", rng.pick(["true", hostile(rng)])], ["resourceSubscriptions", rng.pick([`["a","b"]`, hostile(rng)])]])
    : hostileNonObject(rng)
  const built = request("stateless", id, "subscriptions/listen", [["notifications", notifications]])
  return toCase(`params/subscriptions-listen-${good ? "filter" : "bad"}`, built, good ? { statuses: [200], firstEventOnly: true } : error([200, 400], [-32602], id))
}

const numbers = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const { built } = valid(rng, rev, id)
  const raw = rng.pick(["1e20", "-0", "1.0", "1e-400", "9007199254740993", "2e0", `""`, `"${"9".repeat(400)}"`, "1e309", "1.5", "-1e309", "0.5e1"])
  const value = JSON.parse(raw) as number | string
  const isId = typeof value === "string" || Number.isInteger(value)
  const body = built.body.replace(`"id":${id}`, () => `"id":${raw}`)
  return toCase(`numbers/id`, { ...built, body }, isId ? anyOf(result(value), error([400], [-32600], null)) : error([400, 200], [-32600], null))
}

// ---- nesting and size --------------------------------------------------------------------------

const nesting = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const depth = rng.pick([3000, 3000, 10_000, 100_000])
  const nest = deep(depth, rng.chance(0.7) ? "array" : "object")
  const where = rng.pick(["arguments", "text", "meta", "cursor", "id", "inputResponses", "requestState", "level", "params-extra"] as const)
  const args = textArgs(rng)
  // every depth here is past maxJsonDepth (512): refused before parsing, so with id null
  const tooDeep = error([400], [-32600], null)
  switch (where) {
    case "arguments":
    case "text": {
      const built = request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", where === "arguments" ? nest : obj([["text", nest]])]])
      return toCase(`nesting/tools-call-${where}-${rev}`, built, tooDeep)
    }
    case "meta": {
      const built = rev === "stateless"
        ? request(rev, id, "tools/list", [], obj([["io.modelcontextprotocol/protocolVersion", lit(VERSION)], ["io.modelcontextprotocol/clientCapabilities", "{}"], ["io.modelcontextprotocol/clientInfo", nest]]))
        : request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", args], ["_meta", obj([["progressToken", nest]])]])
      return toCase(`nesting/meta-${rev}`, built, tooDeep)
    }
    case "cursor":
      return toCase(`nesting/cursor-${rev}`, request(rev, id, "tools/list", [["cursor", nest]]), tooDeep)
    case "id": {
      const built = request(rev, id, "tools/list", [])
      return toCase(`nesting/id-${rev}`, { ...built, body: built.body.replace(`"id":${id}`, () => `"id":${nest}`) }, tooDeep)
    }
    case "inputResponses":
    case "requestState":
      return toCase(`nesting/tools-call-${where}-${rev}`, request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", args], [where, nest]]), tooDeep)
    case "level":
      return toCase(`nesting/logging-setLevel-${rev}`, request(rev, id, "logging/setLevel", [["level", nest]]), tooDeep)
    default:
      return toCase(`nesting/params-extra-${rev}`, request(rev, id, rev === "stateless" ? "server/discover" : "ping", [["x", nest]]), tooDeep)
  }
}

const MAX_BODY = 4 * 1024 * 1024

const sizes = (rng: Random, id: number): HttpCase => {
  const rev = revOf(rng)
  const variant = rng.pick(["text", "over-limit", "declared-over-limit", "id", "method", "cursor", "keys", "array", "header", "many-headers"] as const)
  switch (variant) {
    case "text": {
      const text = "lorem ipsum dolor. ".repeat(Math.floor(rng.int(200_000, 1_500_000) / 19))
      return toCase(`size/huge-text-${rev}`, request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", obj([["text", lit(text)]])]]), result(id))
    }
    case "over-limit": {
      const built = request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", obj([["text", lit("x".repeat(MAX_BODY + rng.int(1, 1000)))]])]])
      return toCase(`size/over-limit`, built, { ...refusal(413), resetAllowed: true })
    }
    case "declared-over-limit": {
      const built = request(rev, id, "tools/list", [])
      return toCase(`size/declared-over-limit`, { ...built, headers: { ...built.headers, "content-length": String(MAX_BODY + rng.int(1, 1e9)) } }, { ...refusal(413), resetAllowed: true })
    }
    case "id": {
      const big = rng.ascii(rng.int(10_000, 300_000))
      const built = request("session", id, "tools/list", [])
      return toCase(`size/huge-id`, { ...built, body: built.body.replace(`"id":${id}`, () => `"id":${lit(big)}`) }, result(big))
    }
    case "method": {
      const built = request("session", id, "m".repeat(rng.int(10_000, 500_000)), [])
      return toCase(`size/huge-method`, built, error([200], [-32601], id))
    }
    case "cursor":
      return toCase(`size/huge-cursor-${rev}`, request(rev, id, "tools/list", [["cursor", lit(rng.ascii(rng.int(10_000, 500_000)))]]), expectOf(rev, [-32602], id))
    case "keys": {
      const n = rng.int(10_000, 80_000)
      const keys = obj(Array.from({ length: n }, (_, i) => [`k${i}`, "1"] as const))
      return toCase(`size/many-keys-${rev}`, request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", keys]]), expectOf(rev, [-32602], id))
    }
    case "array":
      return toCase(`size/huge-array-${rev}`, request(rev, id, "tools/call", [["name", `"text_stats"`], ["arguments", `[${"0,".repeat(rng.int(10_000, 300_000))}0]`]]), expectOf(rev, [-32602], id))
    case "header": {
      const built = request(rev, id, "tools/list", [])
      return toCase(`size/huge-header`, { ...built, headers: { ...built.headers, "x-big": "h".repeat(rng.int(17_000, 60_000)) } }, refusal(431))
    }
    default: {
      const { built, expect } = valid(rng, rev, id)
      const n = rng.int(100, 3000)
      const extra = Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, "v"]))
      return toCase(`size/many-headers`, { ...built, headers: { ...built.headers, ...extra } }, anyOf(expect, refusal(431), refusal(400)))
    }
  }
}

// ---- batches (2025-11-25) ----------------------------------------------------------------------

interface Member {
  readonly text: string
  readonly answer?: { readonly id: Id; readonly outcomes: ReadonlyArray<Outcome> }
  readonly nullAnswer?: boolean
}

const batchMember = (rng: Random, id: number, traps: boolean): Member => {
  const req = (method: string, params: Entries): string => message("session", String(id), method, params)
  switch (rng.int(0, traps ? 10 : 9)) {
    case 0:
      return { text: req("ping", []), answer: { id, outcomes: ["result"] } }
    case 1:
      return { text: req("tools/list", [["cursor", hostile(rng)]]), answer: { id, outcomes: ["result", -32602] } }
    case 2:
      return { text: req("tools/call", [["name", `"text_stats"`], ["arguments", textArgs(rng)]]), answer: { id, outcomes: ["result"] } }
    case 3:
      return { text: req("tools/call", [["name", `"text_stats"`], ["arguments", hostileNonObject(rng)]]), answer: { id, outcomes: [-32602] } }
    case 4:
      return { text: req(rng.ascii(6), []), answer: { id, outcomes: [-32601] } }
    case 5:
      return { text: obj([["jsonrpc", `"2.0"`], ["method", `"notifications/initialized"`]]) }
    case 6:
      return { text: obj([["jsonrpc", `"2.0"`], ["id", lit(`tenfold-${rng.int(0, 9)}`)], ["result", "{}"]]) }
    case 7:
      return { text: obj([["jsonrpc", `"1.0"`], ["id", String(id)], ["method", `"ping"`]]), answer: { id, outcomes: [-32600] } }
    case 8:
      return { text: rng.pick(["1", "null", "[]", "[[]]", `"x"`, "{}", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`]), nullAnswer: true }
    case 9:
      return { text: req("logging/setLevel", [["level", lit(rng.pick(["info", "nope"]))]]), answer: { id, outcomes: ["result", -32602] } }
    default:
      return { text: req("logging/setLevel", [["level", rng.pick(TRAPS)]]), answer: { id, outcomes: [-32602] } }
  }
}

const batch = (rng: Random, id: number): HttpCase => {
  const headers = baseHeaders("session", "")
  const variant = rng.int(0, 9)
  const category = ["batch/empty", "batch/over-100", "batch/stateless-member", "batch/initialize-member", "batch/no-session", "batch/nested", "batch/with-traps"][variant] ?? "batch/mixed"
  if (variant === 0) return toCase(category, { headers, body: rng.pick(["[]", "[ ]"]) }, error([400], [-32600], null))
  if (variant === 1) {
    const n = rng.int(101, 2000)
    return toCase(category, { headers, body: `[${Array.from({ length: n }, (_, i) => message("session", String(id * 10_000 + i), "ping", [])).join(",")}]` }, error([400], [-32600], null))
  }
  if (variant === 2) {
    return toCase(category, { headers, body: `[${message("session", "1", "ping", [])},${message("stateless", "2", "tools/list", [])}]` }, error([400], [-32600], null))
  }
  if (variant === 3) {
    return toCase(category, { headers, body: `[${message("session", "1", "ping", [])},${message("session", "2", "initialize", [])}]` }, error([400], [-32600], null))
  }
  const members = Array.from({ length: rng.int(1, variant === 5 ? 3 : 30) }, (_, i) => batchMember(rng, id * 100 + i, variant === 6))
  const texts = members.map((m) => m.text)
  const body = variant === 5 ? `[${texts.map((t) => `[${t}]`).join(",")}]` : `[${texts.join(",")}]`
  if (variant === 4) return toCase(category, { headers: without(headers, "mcp-session-id"), body }, error([400], [-32000, -32001, -32600], null))
  const expected: Expect["batch"] = variant === 5
    ? { members: [], nulls: members.length }
    : { members: members.flatMap((m) => (m.answer === undefined ? [] : [m.answer])), nulls: members.filter((m) => m.nullAnswer === true).length }
  const answered = expected.members.length + expected.nulls
  return toCase(category, { headers, body }, answered === 0 ? refusal(202) : { statuses: [200], batch: expected })
}

// ---- the mix ------------------------------------------------------------------------------------

type Generator = (rng: Random, id: number) => HttpCase

/** Each generator with its share of the run. */
const MIX: ReadonlyArray<readonly [Generator, number]> = [
  [malformedJson, 10],
  [notAnObject, 3],
  [invalidUtf8, 5],
  [frameFields, 10],
  [duplicateKeys, 3],
  [envelope, 8],
  [statelessHeaders, 8],
  [contentType, 5],
  [accept, 3],
  [authorization, 4],
  [hostOrigin, 3],
  [httpMethods, 5],
  [sessionHeaders, 4],
  [sessionMessages, 4],
  [toolsCall, 12],
  [lists, 6],
  [otherMethods, 10],
  [listen, 0.5],
  [numbers, 3],
  [nesting, 2],
  [sizes, 0.6],
  [batch, 5]
]

/** The `index`-th case of a run: the same seed gives the same sequence. */
export const httpCase = (rng: Random, index: number): HttpCase => rng.weighted(MIX)(rng, index + 1)
