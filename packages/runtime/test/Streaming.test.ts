import { assert, describe, it } from "@effect/vitest"
import { HttpTransport, Tool } from "@tenfold/mcp"
import { Streamer } from "@tenfold/streaming"
import { Effect, Schema } from "effect"
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import { fromObject, resolve } from "../src/Config.ts"
import * as Tenfold from "../src/Tenfold.ts"

const big = Tool.make({
  name: "big",
  description: "20000 characters",
  input: Schema.Struct({}),
  cache: false,
  handler: () => Effect.succeed("x".repeat(20_000))
})

/** The content-encoding of a tools/call answer of the runtime built from `input`, when the client accepts gzip. */
const encodingWith = (input: Record<string, unknown>) =>
  Effect.gen(function*() {
    const config = resolve(yield* fromObject("test", { cacheDir: "", telemetry: false, ...input }))
    const answered = Effect.gen(function*() {
      const transport = yield* HttpTransport
      const server = createServer(transport.handle)
      yield* Effect.acquireRelease(Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))), () => Effect.sync(() => server.close()))
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${config.path}`
      const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }
      return yield* Effect.callback<string | undefined>((resume) => {
        const req = request(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "big", "accept-encoding": "gzip" }
        }, (res) => {
          res.resume()
          res.on("end", () => resume(Effect.succeed(res.headers["content-encoding"])))
        })
        req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "big", arguments: {}, _meta: meta } }))
      })
    })
    return yield* answered.pipe(Effect.provide(Tenfold.layer(config, { tools: [big] })))
  })

describe("streaming and compression settings", () => {
  it.live("compression follows `compression` and `compressionThresholdBytes`", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* encodingWith({}), "gzip")
      assert.isUndefined(yield* encodingWith({ compression: false }))
      assert.isUndefined(yield* encodingWith({ compressionThresholdBytes: 100_000 }))
    }))

  it.effect("the runtime's streamer has the configured sizes", () =>
    Effect.gen(function*() {
      const config = resolve(yield* fromObject("test", { cacheDir: "", telemetry: false, streamChunkBytes: 4096, streamBufferBytes: 65_536 }))
      const streamer = yield* Streamer.pipe(Effect.provide(Tenfold.layer(config)))
      assert.deepStrictEqual([streamer.chunkBytes, streamer.bufferBytes], [4096, 65_536])
    }))
})
