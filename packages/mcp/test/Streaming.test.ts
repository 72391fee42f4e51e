/**
 * Streamed tool results and compression against the real HttpTransport on a real server: what
 * `Accept-Encoding` gets, a 100 MiB result with the process's memory flat, failures mid-stream,
 * and progress notifications seen by the MCP SDK client.
 */
import { assert, describe, it } from "@effect/vitest"
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { Streamer, type StreamerOptions } from "@tenfold/streaming"
import { Effect, Fiber, Layer, Schema, Stream } from "effect"
import { request } from "node:http"
import { PassThrough } from "node:stream"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as Zlib from "node:zlib"
import { Dispatcher } from "../src/Dispatcher.ts"
import { EventStore } from "../src/EventStore.ts"
import { HttpTransport, type HttpTransportOptions } from "../src/HttpTransport.ts"
import { Notifications } from "../src/Notifications.ts"
import { PromptRegistry } from "../src/PromptRegistry.ts"
import { ResourceRegistry } from "../src/ResourceRegistry.ts"
import { Sessions } from "../src/Sessions.ts"
import { StdioTransport } from "../src/StdioTransport.ts"
import * as Tool from "../src/Tool.ts"
import { ToolRegistry } from "../src/ToolRegistry.ts"
import { meta, modernBody, modernHeaders } from "./support/Fixtures.ts"
import { serve } from "./support/Http.ts"

const PIECE = "0123456789abcdef".repeat(4096) // 64 KiB of text
const MiB = 1024 * 1024

/** Pieces the `counted` tool has produced. */
let produced = 0

const tools = [
  Tool.make({
    name: "counted",
    description: "Streams `mib` MiB in 64 KiB pieces, counting the pieces produced",
    input: Schema.Struct({ mib: Schema.Int }),
    handler: ({ mib }) => Effect.succeed(Stream.range(1, mib * 16, 1).pipe(Stream.map(() => (produced++, PIECE))))
  }),
  Tool.make({
    name: "sized",
    description: "An ordinary result of `bytes` characters",
    input: Schema.Struct({ bytes: Schema.Int }),
    handler: ({ bytes }) => Effect.succeed("a".repeat(bytes))
  }),
  Tool.make({
    name: "big",
    description: "Streams `mib` MiB of text in 64 KiB pieces",
    input: Schema.Struct({ mib: Schema.Int }),
    handler: ({ mib }) => Effect.succeed(Stream.range(1, mib * 16, 1).pipe(Stream.map(() => PIECE)))
  }),
  Tool.make({
    name: "breaks",
    description: "Streams `pieces` 64 KiB pieces, then fails",
    input: Schema.Struct({ pieces: Schema.Int }),
    handler: ({ pieces }) =>
      Effect.succeed(Stream.concat(Stream.range(1, pieces, 1).pipe(Stream.map(() => PIECE)), Stream.fail(new Tool.ToolError({ message: "upstream reset" }))))
  }),
  Tool.make({
    name: "described",
    description: "d".repeat(70_000),
    input: Schema.Struct({}),
    handler: () => Effect.succeed("a tool whose description makes tools/list larger than a slab's quarter")
  }),
  Tool.make({
    name: "trickle",
    description: "Streams `n` pieces of 1 KiB, 10 ms apart",
    input: Schema.Struct({ n: Schema.Int }),
    handler: ({ n }) =>
      Effect.succeed(Stream.range(1, n, 1).pipe(Stream.mapEffect((i) => Effect.as(Effect.sleep(10), String(i % 10).repeat(1024)))))
  })
]

const layer = (options: HttpTransportOptions = {}, streamer: StreamerOptions = {}) =>
  HttpTransport.layer(options).pipe(
    Layer.provideMerge(Layer.mergeAll(Dispatcher.layer({ serverInfo: { name: "stream-test", version: "1" } }), Notifications.layer(), Sessions.layer())),
    Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer(), EventStore.layerMemory(), Streamer.layer(streamer)))
  )

const mounted = Effect.gen(function*() {
  const transport = yield* HttpTransport
  return (yield* serve(transport.handle)).url + transport.path
})

interface Received {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Buffer
}

/** POSTs one stateless request and reads the whole (raw, possibly compressed) answer. */
const post = (url: string, headers: Record<string, string>, body: unknown) =>
  Effect.callback<Received>((resume) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    req.end(JSON.stringify(body))
    return Effect.sync(() => req.destroy())
  })

/** POSTs a stateless tools/call. */
const call = (url: string, name: string, args: Record<string, unknown>, extra: Record<string, string> = {}) =>
  post(url, { ...modernHeaders("tools/call", name), ...extra }, modernBody(1, "tools/call", { name, arguments: args }))

const decoded = (r: Received): any => {
  const encoding = r.headers["content-encoding"]
  const body = encoding === "gzip" ? Zlib.gunzipSync(r.body) : encoding === "br" ? Zlib.brotliDecompressSync(r.body) : r.body
  return JSON.parse(body.toString("utf8"))
}

/** Calls the `trickle` tool (n pieces of 1 KiB) with the MCP SDK client: the first text block and the progress it saw. */
const trickleThroughSdk = (url: string, n: number) =>
  Effect.promise(async () => {
    const seen: Array<number> = []
    const client = new Client({ name: "stream-test", version: "1" })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    try {
      const result = await client.callTool({ name: "trickle", arguments: { n } }, { onprogress: (p) => void seen.push(p.progress) })
      return { text: (result.content as Array<{ type: string; text: string }>)[0]!.text, seen }
    } finally {
      await client.close()
    }
  })

/** What `trickle` sends for `n`: piece i is the digit (i + 1) % 10 repeated 1024 times. */
const trickled = (n: number) => Array.from({ length: n }, (_, i) => String((i + 1) % 10).repeat(1024)).join("")

describe("compression of JSON answers (Accept-Encoding)", () => {
  const negotiated: ReadonlyArray<readonly [string, string | undefined]> = [
    ["gzip", "gzip"],
    ["br", "br"],
    ["gzip;q=0.5, br;q=0.9", "br"],
    ["br;q=0, gzip", "gzip"],
    ["identity", undefined],
    ["gzip;q=0, br;q=0", undefined],
    ["*;q=0, identity", undefined],
    ["%%%;;q=zz,\t,,;q=", undefined],
    [`${"x,".repeat(2000)}gzip`, undefined]
  ]

  it.live("a large answer is compressed as the client accepts, and says it varies by Accept-Encoding", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      for (const [accept, expected] of negotiated) {
        const r = yield* call(url, "sized", { bytes: 20_000 }, { "accept-encoding": accept })
        assert.strictEqual(r.status, 200, accept)
        assert.strictEqual(r.headers["content-encoding"], expected, accept)
        assert.strictEqual(r.headers.vary, "accept-encoding", accept)
        if (expected !== undefined) assert.isBelow(r.body.byteLength, 2000, accept)
        assert.strictEqual(decoded(r).result.content[0].text.length, 20_000, accept)
      }
    }).pipe(Effect.provide(layer())))

  it.live("a large precomputed list is sent as its head and memoised bytes, whole, with its length, compressed or not", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      for (const [id, accept] of [[7, "identity"], [8, "gzip"], [9, "br"]] as const) {
        const r = yield* post(url, { ...modernHeaders("tools/list"), "accept-encoding": accept }, modernBody(id, "tools/list"))
        assert.strictEqual(r.status, 200)
        if (accept === "identity") assert.strictEqual(Number(r.headers["content-length"]), r.body.byteLength)
        const answer = decoded(r)
        assert.strictEqual(answer.id, id)
        assert.strictEqual(answer.result.tools.find((t: { name: string }) => t.name === "described").description.length, 70_000)
      }
    }).pipe(Effect.provide(layer())))

  it.live("a small answer (below the threshold) is never compressed nor marked", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const r = yield* call(url, "sized", { bytes: 100 }, { "accept-encoding": "gzip, br" })
      assert.isUndefined(r.headers["content-encoding"])
      assert.isUndefined(r.headers.vary)
      assert.strictEqual(decoded(r).result.content[0].text.length, 100)
    }).pipe(Effect.provide(layer())))

  it.live("the threshold is configurable, and compression can be turned off", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const r = yield* call(url, "sized", { bytes: 20_000 }, { "accept-encoding": "gzip" })
      assert.isUndefined(r.headers["content-encoding"])
    }).pipe(Effect.provide(layer({ compression: false }))))

  it.live("a higher threshold leaves mid-sized answers alone", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      assert.isUndefined((yield* call(url, "sized", { bytes: 20_000 }, { "accept-encoding": "gzip" })).headers["content-encoding"])
      assert.strictEqual((yield* call(url, "sized", { bytes: 70_000 }, { "accept-encoding": "gzip" })).headers["content-encoding"], "gzip")
    }).pipe(Effect.provide(layer({ compression: { thresholdBytes: 64 * 1024 } }))))
})

/**
 * The collector, to measure what is retained rather than what the GC has not swept yet (garbage
 * of a 100 MiB transfer would otherwise show as growth until V8 gets round to it).
 */
const collect = (() => {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
})()

const HEAD = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\""

describe("streamed tool results over HTTP", () => {
  it.live("a 100 MiB result streams through a real request with the process's memory flat", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      collect()
      const before = process.memoryUsage()
      let peakHeap = 0
      let peakRss = 0
      let peakBuffers = 0
      let received = 0
      let head = ""
      let tail = Buffer.alloc(0)
      const r = yield* Effect.callback<{ status: number; chunked: boolean }>((resume) => {
        const req = request(url, { method: "POST", headers: modernHeaders("tools/call", "big") }, (res) => {
          res.on("data", (c: Buffer) => {
            if (head.length < HEAD.length) head += c.subarray(0, HEAD.length).toString("utf8")
            tail = Buffer.concat([tail, c.subarray(-256)]).subarray(-256)
            // every 8 MiB: sweep, then sample what is still held
            if (Math.floor((received + c.byteLength) / (8 * MiB)) === Math.floor(received / (8 * MiB))) {
              received += c.byteLength
              return
            }
            received += c.byteLength
            collect()
            const now = process.memoryUsage()
            peakHeap = Math.max(peakHeap, now.heapUsed - before.heapUsed)
            peakRss = Math.max(peakRss, now.rss - before.rss)
            peakBuffers = Math.max(peakBuffers, now.arrayBuffers - before.arrayBuffers)
          })
          res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, chunked: res.headers["transfer-encoding"] === "chunked" })))
        })
        req.on("error", (e) => resume(Effect.die(e)))
        req.end(JSON.stringify(modernBody(1, "tools/call", { name: "big", arguments: { mib: 100 } })))
        return Effect.sync(() => req.destroy())
      })
      assert.strictEqual(r.status, 200)
      assert.isTrue(r.chunked)
      assert.isTrue(head.startsWith(HEAD))
      assert.isTrue(tail.toString("utf8").endsWith("\"}],\"resultType\":\"complete\",\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"stream-test\",\"version\":\"1\"}}}}"))
      assert.isAbove(received, 100 * MiB)
      // a 100 MiB result held whole would cost well over 200 MiB (string, JSON, bytes)
      assert.isBelow(peakHeap, 64 * MiB, `heap grew ${peakHeap}`)
      assert.isBelow(peakBuffers, 64 * MiB, `array buffers grew ${peakBuffers}`)
      assert.isBelow(peakRss, 128 * MiB, `rss grew ${peakRss}`)
    }).pipe(Effect.provide(layer())), 120_000)

  it.live("a client that stops reading holds the tool back: pieces produced stay bounded by the buffers, not the result", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      produced = 0
      let received = 0
      const paused = yield* Effect.callback<{ res: import("node:http").IncomingMessage; done: Promise<number> }>((resume) => {
        const req = request(url, { method: "POST", headers: modernHeaders("tools/call", "counted") }, (res) => {
          res.pause()
          const done = new Promise<number>((ok) => {
            res.on("data", (c: Buffer) => void (received += c.byteLength))
            res.on("end", () => ok(received))
          })
          resume(Effect.succeed({ res, done }))
        })
        req.end(JSON.stringify(modernBody(1, "tools/call", { name: "counted", arguments: { mib: 100 } })))
        return Effect.sync(() => req.destroy())
      })
      // wait until the producer has stopped: no new piece across several looks
      let last = -1
      let still = 0
      while (still < 5) {
        yield* Effect.sleep(50)
        still = produced === last ? still + 1 : 0
        last = produced
      }
      // 1600 pieces in all; stopped after the hold, the streamer's buffer and the socket's buffers filled
      assert.isBelow(produced, 400, `${produced} pieces produced while the client did not read`)
      paused.res.resume()
      const total = yield* Effect.promise(() => paused.done)
      assert.strictEqual(produced, 1600)
      assert.isAbove(total, 100 * MiB)
    }).pipe(Effect.provide(layer())), 60_000)

  it.live("shutting down while a result streams ends it well-formed with isError within the grace", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const transport = yield* HttpTransport
      const paused = yield* Effect.callback<{ res: import("node:http").IncomingMessage; done: Promise<string> }>((resume) => {
        const req = request(url, { method: "POST", headers: modernHeaders("tools/call", "big") }, (res) => {
          res.pause()
          const chunks: Array<Buffer> = []
          const done = new Promise<string>((ok) => {
            res.on("data", (c: Buffer) => void chunks.push(c))
            res.on("end", () => ok(Buffer.concat(chunks).toString("utf8")))
          })
          resume(Effect.succeed({ res, done }))
        })
        req.end(JSON.stringify(modernBody(1, "tools/call", { name: "big", arguments: { mib: 64 } })))
        return Effect.sync(() => req.destroy())
      })
      const draining = yield* Effect.forkChild(transport.drain(30_000))
      paused.res.resume()
      const result = JSON.parse(yield* Effect.promise(() => paused.done)).result
      yield* Fiber.join(draining)
      assert.isTrue(result.isError)
      assert.match(result.content.at(-1).text, /shutting down/)
      assert.isBelow(result.content[0].text.length, 64 * MiB)
    }).pipe(Effect.provide(layer())), 60_000)

  it.live("a streamed result is compressed as it is written when the client accepts it", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const r = yield* call(url, "big", { mib: 4 }, { "accept-encoding": "br;q=0.5, gzip" })
      assert.strictEqual(r.headers["content-encoding"], "gzip")
      assert.strictEqual(r.headers.vary, "accept-encoding")
      assert.isBelow(r.body.byteLength, MiB)
      assert.strictEqual(decoded(r).result.content[0].text.length, 4 * MiB)
    }).pipe(Effect.provide(layer({}, { bufferBytes: 256 * 1024 }))), 60_000)

  it.live("a result that ends within the buffer is answered whole, with a length (and compressible)", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const r = yield* call(url, "big", { mib: 1 }, { "accept-encoding": "gzip" })
      assert.strictEqual(r.headers["content-encoding"], "gzip")
      assert.isDefined(r.headers["content-length"])
      assert.strictEqual(decoded(r).result.content[0].text.length, MiB)
    }).pipe(Effect.provide(layer({}, { bufferBytes: 4 * MiB }))))

  it.live("a failure after the response is open ends it well-formed: what was sent, then isError with the tool's message", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      for (const accept of ["identity", "gzip", "br"]) {
        const r = yield* call(url, "breaks", { pieces: 16 }, { "accept-encoding": accept })
        assert.strictEqual(r.headers["transfer-encoding"], "chunked")
        const result = decoded(r).result
        assert.isTrue(result.isError)
        assert.strictEqual(result.content[0].text, PIECE.repeat(16))
        assert.deepStrictEqual(result.content[1], { type: "text", text: "upstream reset" })
      }
    }).pipe(Effect.provide(layer({}, { bufferBytes: 64 * 1024 }))), 60_000)

  it.live("a failure within the buffer answers an ordinary isError result", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const r = yield* call(url, "breaks", { pieces: 2 })
      assert.isDefined(r.headers["content-length"])
      const result = decoded(r).result
      assert.isTrue(result.isError)
      assert.strictEqual(result.content[1].text, "upstream reset")
    }).pipe(Effect.provide(layer())))

  it.live("the MCP SDK client sees progress while a result streams, then the whole result", () =>
    Effect.gen(function*() {
      const { text, seen } = yield* trickleThroughSdk(yield* mounted, 6)
      assert.strictEqual(text, trickled(6))
      assert.isAtLeast(seen.length, 3)
      for (let i = 1; i < seen.length; i++) assert.isAbove(seen[i]!, seen[i - 1]!)
    }).pipe(Effect.provide(layer({}, { chunkBytes: 1024 }))), 30_000)

  it.live("past the buffer, the result after the progress is one SSE event written as it comes, read whole by the SDK client", () =>
    Effect.gen(function*() {
      const { text, seen } = yield* trickleThroughSdk(yield* mounted, 40)
      assert.strictEqual(text, trickled(40))
      // progress only while held (4 KiB): the rest of the 40 KiB arrived inside the result's event
      assert.isAtLeast(seen.length, 2)
      assert.isAtMost(seen.at(-1)!, 8 * 1024)
    }).pipe(Effect.provide(layer({}, { chunkBytes: 1024, bufferBytes: 4096 }))), 30_000)

  it.live("an SSE answer is never compressed, whatever the client accepts", () =>
    Effect.gen(function*() {
      const url = yield* mounted
      const r = yield* Effect.callback<Received>((resume) => {
        const req = request(url, { method: "POST", headers: { ...modernHeaders("tools/call", "trickle"), "accept-encoding": "gzip, br" } }, (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (c: Buffer) => chunks.push(c))
          res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })))
        })
        const body = modernBody(1, "tools/call", { name: "trickle", arguments: { n: 8 } })
        req.end(JSON.stringify({ ...body, params: { ...body.params, _meta: { ...body.params._meta, progressToken: "p" } } }))
        return Effect.sync(() => req.destroy())
      })
      assert.strictEqual(r.headers["content-type"], "text/event-stream")
      assert.isUndefined(r.headers["content-encoding"])
      const messages = [...r.body.toString("utf8").matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!))
      assert.isTrue(messages.some((m) => m.method === "notifications/progress" && m.params.progressToken === "p"))
      assert.strictEqual(messages.at(-1).result.content[0].text.length, 8 * 1024)
    }).pipe(Effect.provide(layer({}, { chunkBytes: 1024, bufferBytes: 4096 }))), 30_000)
})

describe("streamed tool results over stdio", () => {
  const stdioLayer = StdioTransport.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Dispatcher.layer({ serverInfo: { name: "stream-test", version: "1" } }), Notifications.layer())),
    Layer.provideMerge(Layer.mergeAll(ToolRegistry.layer(tools), ResourceRegistry.layer(), PromptRegistry.layer(), Streamer.layer({ bufferBytes: 64 * 1024 })))
  )

  it.live("a streamed result is one line written in pieces; answers sent meanwhile keep their own lines", () =>
    Effect.gen(function*() {
      const stdio = yield* StdioTransport
      const input = new PassThrough()
      const output = new PassThrough()
      const lines: Array<any> = []
      let buffer = ""
      let writes = 0
      output.on("data", (chunk: Buffer) => {
        writes++
        buffer += chunk.toString()
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          lines.push(JSON.parse(buffer.slice(0, nl)))
          buffer = buffer.slice(nl + 1)
        }
      })
      yield* Effect.forkChild(stdio.serve(input, output))
      const call = (id: number, name: string, args: Record<string, unknown>) =>
        input.write(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args, _meta: meta } }) + "\n")
      call(1, "big", { mib: 2 })
      call(2, "breaks", { pieces: 4 })
      call(3, "sized", { bytes: 10 })
      while (lines.length < 3) yield* Effect.sleep(10)
      const byId = new Map(lines.map((l) => [l.id, l.result]))
      assert.strictEqual(byId.get(1).content[0].text, PIECE.repeat(32))
      assert.isTrue(byId.get(2).isError)
      assert.strictEqual(byId.get(2).content[0].text, PIECE.repeat(4))
      assert.strictEqual(byId.get(3).content[0].text, "aaaaaaaaaa")
      assert.isAbove(writes, 10)
      input.end()
    }).pipe(Effect.provide(stdioLayer)), 30_000)

  it.live("a call cancelled while its line is being written ends that line well-formed, with isError", () =>
    Effect.gen(function*() {
      const stdio = yield* StdioTransport
      const input = new PassThrough()
      const output = new PassThrough()
      yield* Effect.forkChild(stdio.serve(input, output))
      input.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "big", arguments: { mib: 64 }, _meta: meta } }) + "\n")
      // nothing reads yet: the writer fills the pipe and waits, with the line open
      while (output.readableLength === 0) yield* Effect.sleep(10)
      input.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }) + "\n")
      let text = ""
      output.on("data", (c: Buffer) => void (text += c.toString()))
      while (!text.endsWith("\n")) yield* Effect.sleep(10)
      const result = JSON.parse(text).result
      assert.isTrue(result.isError)
      assert.match(result.content.at(-1).text, /cancelled/)
      assert.isBelow(result.content[0].text.length, 64 * MiB)
      input.end()
    }).pipe(Effect.provide(stdioLayer)), 30_000)
})
