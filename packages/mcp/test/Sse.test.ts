import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, get, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { SseStream } from "../src/internal/Sse.ts"

/** Serves one SSE response built by `open`, and collects what a real client receives until the end. */
const exchange = (open: (res: ServerResponse) => void) =>
  Effect.callback<string>((resume) => {
    const server = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      open(res)
    })
    server.listen(0, "127.0.0.1", () => {
      get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
        let body = ""
        res.on("data", (chunk: Buffer) => void (body += chunk))
        res.on("end", () => {
          server.close()
          resume(Effect.succeed(body))
        })
      })
    })
  })

describe("SseStream", () => {
  it.effect("writes recorded messages in order, with their event ids", () =>
    Effect.gen(function*() {
      let n = 0
      const body = yield* exchange((res) => {
        const stream = new SseStream("s", res, (_, __) => new Promise((r) => setTimeout(() => r(`s:${++n}`), n === 0 ? 20 : 0)))
        stream.send("a")
        stream.send("b")
        void stream.end()
      })
      assert.strictEqual(body, "event: message\nid: s:1\ndata: a\n\nevent: message\nid: s:2\ndata: b\n\n")
    }))

  it.effect("ends the stream cleanly and reports the error when the event store fails", () =>
    Effect.gen(function*() {
      const errors: Array<unknown> = []
      let stream: SseStream | undefined
      const body = yield* exchange((res) => {
        stream = new SseStream("s", res, () => Promise.reject(new Error("store down")), (e) => void errors.push(e))
        stream.prime(1000)
        stream.send("lost")
      })
      assert.strictEqual(body, "")
      assert.strictEqual(stream!.closed, true)
      assert.strictEqual(errors.length, 1)
      assert.match(String(errors[0]), /store down/)
      stream!.send("after")
      yield* Effect.promise(() => stream!.end())
    }))
})
