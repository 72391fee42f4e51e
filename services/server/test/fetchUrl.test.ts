/**
 * `fetch_url` against local HTTP servers started here: SSRF refusals (loopback by default, on a
 * redirect hop, through DNS), schemes and credentials, the byte limit, content rendering,
 * progress, and hostile servers (huge headers, redirect loops, bad Locations) and URLs.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConnectionPool } from "@tenfold/connections"
import type { Tool } from "@tenfold/mcp"
import { Effect, Exit, Fiber, Layer } from "effect"
import { once } from "node:events"
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net"
import { gzipSync } from "node:zlib"
import { afterAll, beforeAll } from "vitest"
import { handler, targetOf } from "../src/tools/fetchUrl/FetchUrl.ts"
import { type FetchUrlInput, type FetchUrlOptions, settingsOf } from "../src/tools/fetchUrl/index.ts"

/** What the servers saw. */
const seen = { hits: 0, closedEarly: 0 }
/** `/hold` answers once `release` is called; `holding` counts the requests waiting, `peak` the most at once. */
const hold = { holding: 0, peak: 0, release: () => {}, released: Promise.resolve() }
let port = 0
let rawPort = 0

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "/page": (_, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8")
    res.end("<html><head><title>Local page</title><script>secret()</script></head><body><nav>menu</nav><h1>Hello</h1><p>See <a href=\"/json\">json</a>.</p></body></html>")
  },
  "/json": (_, res) => {
    res.setHeader("content-type", "application/json")
    res.end("{\"a\":1,\"b\":[true,null]}")
  },
  "/latin1": (_, res) => {
    res.setHeader("content-type", "text/plain; charset=iso-8859-1")
    res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]))
  },
  "/image": (_, res) => {
    res.setHeader("content-type", "image/png")
    res.setHeader("content-length", "70000")
    res.end(Buffer.alloc(70000))
  },
  "/octets": (_, res) => res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3])),
  "/missing": (_, res) => {
    res.statusCode = 404
    res.setHeader("content-type", "text/plain")
    res.end("no such page")
  },
  "/sized": (_, res) => {
    res.setHeader("content-type", "text/plain")
    res.setHeader("content-length", String(2 * 1024 * 1024))
    res.end(Buffer.alloc(2 * 1024 * 1024, 0x61))
  },
  "/declared-huge": (_, res) => {
    res.setHeader("content-type", "text/plain")
    res.setHeader("content-length", String(10 * 1024 * 1024 * 1024))
    res.write("x")
  },
  "/endless": (req, res) => {
    res.setHeader("content-type", "text/plain")
    const chunk = Buffer.alloc(64 * 1024, 0x62)
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    }
    res.on("drain", pump)
    req.socket.on("close", () => void seen.closedEarly++)
    pump()
  },
  "/loop": (_, res) => {
    res.statusCode = 302
    res.setHeader("location", "/loop")
    res.end()
  },
  "/to": (req, res) => {
    res.statusCode = 302
    res.setHeader("location", new URL(req.url!, "http://x").searchParams.get("l") ?? "/")
    res.end()
  },
  "/never": () => undefined,
  "/hold": (_, res) => {
    hold.peak = Math.max(hold.peak, ++hold.holding)
    void hold.released.then(() => {
      hold.holding--
      res.setHeader("content-type", "text/plain")
      res.end("held")
    })
  },
  "/gzip": (_, res) => {
    res.setHeader("content-type", "application/json")
    res.setHeader("content-encoding", "gzip")
    res.end(gzipSync("{\"zipped\":true}"))
  },
  "/bomb": (_, res) => {
    res.setHeader("content-type", "text/plain")
    res.setHeader("content-encoding", "gzip")
    res.end(gzipSync(Buffer.alloc(64 * 1024 * 1024)))
  },
  "/odd-encoding": (_, res) => {
    res.setHeader("content-type", "text/plain")
    res.setHeader("content-encoding", "constructor")
    res.end("?")
  }
}

/** Responses written byte for byte, for what node:http refuses to send. */
const rawRoutes: Record<string, string> = {
  "/huge-header": `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(1024 * 1024)}\r\nContent-Length: 2\r\n\r\nok`,
  "/many-headers": `HTTP/1.1 200 OK\r\n${Array.from({ length: 20_000 }, (_, i) => `X-${i}: v`).join("\r\n")}\r\nContent-Length: 2\r\n\r\nok`,
  "/bad-location": "HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
  "/file-location": "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n",
  "/long-location": `HTTP/1.1 302 Found\r\nLocation: /${"l".repeat(12_000)}\r\nContent-Length: 0\r\n\r\n`,
  "/garbage": "HTTP/1.1 2OO WHAT\r\n\r\n\u0000\u0001"
}

/** A redirect whose Location is built from hostile pieces by `seed` (bytes as they come, CR/LF and NUL included). */
const fuzzedRedirect = (seed: number) => {
  let state = seed + 1
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31)
  const pieces = [
    "http://", "https://", "file://", "//", "/", "\\", "127.0.0.2", "[::1]", "localhost", "0x7f.1", "169.254.169.254", `:${port}`,
    "@", "%00", "%2e%2e/", "../", "?", "#", "\u0000", "\r\n", "\r\nX-Injected: 1", " ", "é", "\uFFFF", "a".repeat(3000), "gopher:", "data:,x"
  ]
  const location = Array.from({ length: 1 + next() % 8 }, () => pieces[next() % pieces.length]).join("")
  return `HTTP/1.1 30${[1, 2, 3, 7, 8][next() % 5]} Moved\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`
}

let closeAll: () => Promise<void>
beforeAll(async () => {
  const http = createHttpServer((req, res) => {
    seen.hits++
    const route = routes[new URL(req.url!, "http://x").pathname]
    if (route === undefined) return void res.writeHead(404).end()
    route(req, res)
  })
  const sockets = new Set<Socket>()
  http.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  http.listen(0, "127.0.0.1")
  await once(http, "listening")
  port = (http.address() as AddressInfo).port
  const raw = createNetServer((socket) => {
    socket.on("error", () => undefined)
    socket.once("data", (data) => {
      const path = /^GET (\S+)/.exec(data.toString("latin1"))?.[1] ?? "/"
      socket.end(path.startsWith("/fuzz/") ? fuzzedRedirect(Number(path.slice(6))) : rawRoutes[path] ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    })
  })
  raw.listen(0, "127.0.0.1")
  await once(raw, "listening")
  rawPort = (raw.address() as AddressInfo).port
  closeAll = async () => {
    for (const socket of sockets) socket.destroy()
    await Promise.all([new Promise((r) => http.close(r)), new Promise((r) => raw.close(r))])
  }
})
afterAll(() => closeAll())

const options = (overrides: Partial<FetchUrlOptions> = {}): FetchUrlOptions => ({
  allowPrivate: false,
  allowedHosts: [`127.0.0.1:${port}`, `127.0.0.1:${rawPort}`],
  maxBytes: 1024 * 1024,
  timeoutMs: 5_000,
  version: "9.9.9",
  ...overrides
})

/** What a tool run reported as progress. */
type Progress = Array<{ readonly progress: number; readonly total: number | undefined }>

const context = (progress: Progress): Tool.ToolContext => ({
  principal: undefined,
  requestId: 1,
  progress: (value, total) => Effect.sync(() => void progress.push({ progress: value, total })),
  log: () => Effect.void,
  closeStream: Effect.void,
  clientCapabilities: {},
  input: () => Effect.die("fetch_url asks for no input"),
  elicit: () => Effect.die("fetch_url asks for no input"),
  inputResponses: {},
  requestState: undefined
})

/** Runs `fetch_url` with `input` under `overrides`; the text of its result, or the error's message. */
const fetchUrl = (input: FetchUrlInput, overrides: Partial<FetchUrlOptions> = {}, progress: Progress = []) =>
  Effect.gen(function*() {
    const pool = yield* ConnectionPool
    const settings = yield* settingsOf(options(overrides))
    const exit = yield* Effect.exit(handler(pool, settings)(input, context(progress)))
    if (Exit.isSuccess(exit)) {
      const result = exit.value as { content: Array<{ text: string }>; isError: boolean }
      return { ok: !result.isError, text: result.content[0]!.text }
    }
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")
    assert.isDefined(error, `fetch_url failed with something other than a ToolError: ${String(exit.cause)}`)
    return { ok: false, text: ((error as { error: Tool.ToolError }).error).message }
  }).pipe(Effect.provide(ConnectionPool.layer()))

const local = (path: string, p = port) => `http://127.0.0.1:${p}${path}`

describe("fetch_url SSRF policy", () => {
  it.live("refuses loopback by default, before any connection", () =>
    Effect.gen(function*() {
      const before = seen.hits
      const result = yield* fetchUrl({ url: local("/page") }, { allowedHosts: [] })
      assert.isFalse(result.ok)
      assert.include(result.text, "127.0.0.1")
      assert.include(result.text, "loopback")
      assert.include(result.text, "--fetch-allow-private")
      assert.strictEqual(seen.hits, before)
    }))

  it.live("refuses a name that resolves to loopback (localhost)", () =>
    Effect.gen(function*() {
      const before = seen.hits
      const result = yield* fetchUrl({ url: `http://localhost:${port}/page` }, { allowedHosts: [] })
      assert.isFalse(result.ok)
      assert.match(result.text, /loopback/)
      assert.include(result.text, "localhost")
      assert.strictEqual(seen.hits, before)
    }))

  it.live("refuses a redirect from an allowed host to a disallowed address, on that hop", () =>
    Effect.gen(function*() {
      for (const target of [`http://127.0.0.2:${port}/page`, `http://[::1]:${port}/page`, `http://localhost:${port + 1}/page`, `http://0x7f000001:${port + 1}/`]) {
        const before = seen.hits
        const result = yield* fetchUrl({ url: local(`/to?l=${encodeURIComponent(target)}`) })
        assert.isFalse(result.ok, target)
        assert.match(result.text, /refused to connect to .*loopback/, target)
        assert.strictEqual(seen.hits, before + 1, "only the allowed first hop reached a server")
      }
    }))

  it.live("every encoding of a loopback address is refused and reaches no server", () =>
    Effect.gen(function*() {
      const before = seen.hits
      const hostile = [
        `http://127.1:${port}/`,
        `http://2130706433:${port}/`,
        `http://0x7f.0.0.1:${port}/`,
        `http://0177.0.0.1:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://[::ffff:7f00:1]:${port}/`,
        `http://[0:0:0:0:0:0:0:1]:${port}/`,
        `http://0.0.0.0:${port}/`,
        `http://[::]:${port}/`,
        `http://LOCALHOST:${port}/`,
        `http://localhost.:${port}/`,
        `http://127.0.0.1.:${port}/`,
        `http://%31%32%37.0.0.1:${port}/`,
        `http://169.254.169.254/latest/meta-data/`,
        `http://[fe80::1]/`,
        `http://10.0.0.1:${port}/`
      ]
      for (const url of hostile) {
        const result = yield* fetchUrl({ url }, { allowedHosts: [], timeoutMs: 2_000 })
        assert.isFalse(result.ok, url)
        assert.match(result.text, /refused|not a valid|ENOTFOUND/, url)
      }
      assert.strictEqual(seen.hits, before)
    }))

  it.live("allowPrivate lets loopback through", () =>
    Effect.gen(function*() {
      const result = yield* fetchUrl({ url: `http://localhost:${port}/json` }, { allowPrivate: true, allowedHosts: [] })
      assert.isTrue(result.ok, result.text)
    }))

  it.live("refuses other schemes and credentials, also on a redirect", () =>
    Effect.gen(function*() {
      for (const url of ["file:///etc/passwd", "ftp://example.com/", "gopher://127.0.0.1:70/", "data:text/plain,hi", "javascript:alert(1)", "ws://example.com/"]) {
        const result = yield* fetchUrl({ url })
        assert.isFalse(result.ok)
        assert.include(result.text, "only http: and https: URLs", url)
      }
      const withCredentials = yield* fetchUrl({ url: `http://user:pw@127.0.0.1:${port}/page` })
      assert.include(withCredentials.text, "credentials")
      const redirected = yield* fetchUrl({ url: local("/file-location", rawPort) })
      assert.isFalse(redirected.ok)
      assert.include(redirected.text, "file:")
    }))

  it("rejects what is not an absolute URL (fuzz: never throws, never a defect)", () => {
    let seed = 11
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const alphabet = "htps:/\\@[]%.:0123456789abcdefx?#&=~ \t\n\u0000é"
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join("")
      const target = targetOf(text)
      if (target instanceof URL) {
        assert.include(["http:", "https:"], target.protocol)
        assert.strictEqual(target.username + target.password + target.hash, "")
      } else {
        assert.isString(target.message)
      }
    }
  })
})

describe("fetch_url content", () => {
  it.live("HTML becomes Markdown with its title, without scripts and navigation; the User-Agent names Tenfold", () =>
    Effect.gen(function*() {
      let userAgent: string | undefined
      const original = routes["/page"]!
      routes["/ua"] = (req, res) => {
        userAgent = req.headers["user-agent"]
        original(req, res)
      }
      const result = yield* fetchUrl({ url: local("/ua") })
      assert.isTrue(result.ok)
      assert.match(result.text, /^# Local page\nURL: http:\/\/127\.0\.0\.1:\d+\/ua\n/)
      assert.include(result.text, "Content-Type: text/html; charset utf-8")
      assert.include(result.text, "# Hello")
      assert.include(result.text, `[json](http://127.0.0.1:${port}/json)`)
      assert.notInclude(result.text, "secret")
      assert.notInclude(result.text, "menu")
      assert.strictEqual(userAgent, "Tenfold/9.9.9 (fetch_url; +https://github.com/tenfold)")
    }))

  it.live("JSON is pretty-printed; a charset is honoured", () =>
    Effect.gen(function*() {
      const json = yield* fetchUrl({ url: local("/json") })
      assert.include(json.text, "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ]\n}")
      const latin1 = yield* fetchUrl({ url: local("/latin1") })
      assert.match(latin1.text, /charset windows-1252, 4 bytes\n\ncafé$/)
    }))

  it.live("other content types are described, not returned (and not downloaded)", () =>
    Effect.gen(function*() {
      const image = yield* fetchUrl({ url: local("/image") })
      assert.include(image.text, "Content-Type: image/png, 70000 bytes")
      assert.include(image.text, "Not shown")
      const octets = yield* fetchUrl({ url: local("/octets") })
      assert.include(octets.text, "Content-Type: not given, 8 bytes")
    }))

  it.live("a compressed body is decompressed within the byte limit; an unknown encoding is described", () =>
    Effect.gen(function*() {
      const zipped = yield* fetchUrl({ url: local("/gzip") })
      assert.isTrue(zipped.ok)
      assert.include(zipped.text, "\"zipped\": true")
      const bomb = yield* fetchUrl({ url: local("/bomb") })
      assert.isFalse(bomb.ok)
      assert.include(bomb.text, "decompresses to more than the limit of 1048576 bytes")
      const odd = yield* fetchUrl({ url: local("/odd-encoding") })
      assert.include(odd.text, "text/plain encoded as constructor")
    }))

  it.live("an HTTP error status is an error result that still shows the body", () =>
    Effect.gen(function*() {
      const result = yield* fetchUrl({ url: local("/missing") })
      assert.isFalse(result.ok)
      assert.include(result.text, "Status: 404")
      assert.include(result.text, "no such page")
    }))

  it.live("long content is cut at maxLength and read on with startIndex", () =>
    Effect.gen(function*() {
      const big = { maxBytes: 4 * 1024 * 1024 }
      const first = yield* fetchUrl({ url: local("/sized"), maxLength: 1000 }, big)
      assert.include(first.text, "Showing characters 0–1000; more follows: call again with startIndex 1000")
      assert.match(first.text, /\n\na{1000}$/)
      const last = yield* fetchUrl({ url: local("/sized"), maxLength: 1000, startIndex: 2 * 1024 * 1024 - 10 }, big)
      assert.include(last.text, "(the end)")
      assert.match(last.text, /\n\na{10}$/)
    }))

  it.live("reports progress while a large body downloads", () =>
    Effect.gen(function*() {
      const progress: Progress = []
      yield* fetchUrl({ url: local("/sized"), maxLength: 10 }, { maxBytes: 4 * 1024 * 1024 }, progress)
      assert.isAtLeast(progress.length, 5)
      for (const p of progress) assert.strictEqual(p.total, 2 * 1024 * 1024)
      assert.deepStrictEqual(progress.map((p) => p.progress), [...progress.map((p) => p.progress)].sort((a, b) => a - b))
      assert.strictEqual(progress.at(-1)!.progress, 2 * 1024 * 1024)
    }))
})

describe("fetch_url bounds", () => {
  it.live("a body over the byte limit is an error: by its Content-Length at once, or counted, the socket closed", () =>
    Effect.gen(function*() {
      const declared = yield* fetchUrl({ url: local("/declared-huge") })
      assert.include(declared.text, "larger than the limit of 1048576 bytes")
      const closed = seen.closedEarly
      const endless = yield* fetchUrl({ url: local("/endless") })
      assert.isFalse(endless.ok)
      assert.include(endless.text, "larger than the limit of 1048576 bytes (--fetch-max-bytes)")
      while (seen.closedEarly === closed) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }))

  it.live("redirect loops stop after 5 hops", () =>
    Effect.gen(function*() {
      const before = seen.hits
      const result = yield* fetchUrl({ url: local("/loop") })
      assert.include(result.text, "more than 5 redirects")
      assert.strictEqual(seen.hits - before, 6)
    }))

  it.live("hostile servers get an error result: huge or countless headers, bad Locations, garbage", () =>
    Effect.gen(function*() {
      for (const path of Object.keys(rawRoutes)) {
        const result = yield* fetchUrl({ url: local(path, rawPort) })
        assert.isFalse(result.ok, path)
        assert.isBelow(result.text.length, 3000, path)
      }
    }))

  it.live("hostile redirect Locations never reach a refused address nor fail with a defect (fuzz)", () =>
    Effect.gen(function*() {
      const before = seen.hits
      for (let seed = 0; seed < 100; seed++) {
        const result = yield* fetchUrl({ url: local(`/fuzz/${seed}`, rawPort) }, { allowedHosts: [`127.0.0.1:${rawPort}`], timeoutMs: 3_000 })
        assert.isBelow(result.text.length, 5000)
      }
      assert.strictEqual(seen.hits, before, "the http server (not allowed here) was never reached")
    }), 60_000)

  it.live("at most 16 fetches run at once; the others wait for a slot", () =>
    Effect.gen(function*() {
      hold.peak = 0
      hold.released = new Promise<void>((resolve) => (hold.release = resolve))
      const fetch = handler(yield* ConnectionPool, yield* settingsOf(options()))
      const calls = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => fetch({ url: local(`/hold?${i}`) }, context([])), { concurrency: "unbounded" })
      )
      while (hold.holding < 16) yield* Effect.sleep("10 millis")
      yield* Effect.sleep("200 millis") // a 17th fetch would have arrived by now
      assert.strictEqual(hold.peak, 16)
      hold.release()
      const results = (yield* Fiber.join(calls)) as ReadonlyArray<{ content: ReadonlyArray<{ text: string }> }>
      assert.isTrue(results.every((r) => r.content[0]!.text.endsWith("held")))
      assert.strictEqual(hold.peak, 16)
    }).pipe(Effect.provide(ConnectionPool.layer())))

  it.live("a server that never answers is timed out", () =>
    Effect.gen(function*() {
      const result = yield* fetchUrl({ url: local("/never") }, { timeoutMs: 300 })
      assert.isFalse(result.ok)
      assert.match(result.text, /longer than 300 ms/)
    }))

  it.live("an invalid allowed-host entry is a configuration error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(settingsOf(options({ allowedHosts: ["http://bad/"] })))
      assert.strictEqual(error._tag, "ConfigError")
      assert.strictEqual(error.source, "fetchAllowedHosts")
      assert.include(error.message, "http://bad/")
    }))
})

describe("fetch_url wiring", () => {
  it.live("the layer registers fetch_url in the registry", () =>
    Effect.gen(function*() {
      const { ToolRegistry } = yield* Effect.promise(() => import("@tenfold/mcp"))
      const { fetchUrlLayer } = yield* Effect.promise(() => import("../src/tools/fetchUrl/index.ts"))
      const registry = yield* ToolRegistry.pipe(
        Effect.provide(fetchUrlLayer(options()).pipe(Layer.provideMerge(Layer.merge(ToolRegistry.layer(), ConnectionPool.layer()))))
      )
      const tool = registry.catalog.get("fetch_url")
      assert.isDefined(tool)
      assert.isFalse(tool!.isLoaded())
      assert.strictEqual(tool!.policy?.ttlMs, 300_000)
      assert.strictEqual(tool!.policy?.scope, "private")
    }))
})
