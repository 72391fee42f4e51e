import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Gate from "../src/internal/Gate.ts"
import { send, serve } from "./support/Http.ts"

/** A server that answers 200 with the principal for what the gate admits, after reading a JSON body. */
const gated = (options: Gate.GateOptions, maxBodyBytes = 64, maxDepth = 512) =>
  Effect.gen(function*() {
    const gate = Gate.make(options)
    const { url } = yield* serve((req, res) => {
      const principal = gate(req, res)
      if (principal === Gate.DENIED) return
      Gate.readJson(req, res, { maxBodyBytes, maxDepth }, principal, (_, __, body, admitted) => res.writeHead(200).end(JSON.stringify({ principal: admitted ?? null, body })))
    })
    return url
  })

const post = (url: string, headers: Record<string, string>, body: unknown = {}) =>
  send(url, { headers: { "content-type": "application/json", ...headers }, body })

describe("Gate", () => {
  describe("originChecker", () => {
    const check = Gate.originChecker(["https://app.example.com", "http://tool.example.com:8080/"])

    it("allows no Origin, and loopback origins on any scheme and port", () => {
      for (const origin of [undefined, "", "http://localhost:5173", "https://127.0.0.1", "http://[::1]:3000"]) assert.isTrue(check(origin).ok, String(origin))
    })

    it("allows configured origins only with the same scheme, host and port", () => {
      assert.isTrue(check("https://app.example.com").ok)
      assert.isTrue(check("https://app.example.com:443").ok)
      assert.isTrue(check("http://tool.example.com:8080").ok)
      for (const origin of ["http://app.example.com", "https://app.example.com:8443", "https://evil.example.com", "https://app.example.com.evil.com", "null", "garbage"]) {
        assert.isFalse(check(origin).ok, origin)
      }
    })
  })

  it("names the error in the challenge only when a token was sent (RFC 6750)", () => {
    assert.strictEqual(Gate.challenge(undefined), `Bearer realm="tenfold"`)
    assert.strictEqual(Gate.challenge("Bearer nope"), `Bearer realm="tenfold", error="invalid_token"`)
  })

  it.live("refuses foreign Host and Origin values with 403, and keeps checking them", () =>
    Effect.gen(function*() {
      const url = yield* gated({ allowedHosts: ["mcp.example.com"] })
      assert.strictEqual((yield* post(url, { host: "evil.example.com" })).status, 403)
      assert.strictEqual((yield* post(url, { host: "mcp.example.com" })).status, 200)
      assert.strictEqual((yield* post(url, { origin: "https://evil.example.com" })).status, 403)
      assert.strictEqual((yield* post(url, { host: "evil.example.com" })).status, 403)
    }))

  it.live("admits a known bearer token as its principal and refuses others with 401", () =>
    Effect.gen(function*() {
      const url = yield* gated({ tokens: new Map([["t0k", "alice"]]) })
      const missing = yield* post(url, {})
      assert.strictEqual(missing.status, 401)
      assert.strictEqual(missing.headers["www-authenticate"], `Bearer realm="tenfold"`)
      const wrong = yield* post(url, { authorization: "Bearer other" })
      assert.strictEqual(wrong.headers["www-authenticate"], `Bearer realm="tenfold", error="invalid_token"`)
      assert.strictEqual(JSON.parse((yield* post(url, { authorization: "bearer t0k" })).body).principal, "alice")
    }))

  it.live("parses the media type: parameters allowed, look-alikes refused with 415", () =>
    Effect.gen(function*() {
      const url = yield* gated({})
      for (const type of ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]) {
        assert.strictEqual((yield* post(url, { "content-type": type })).status, 200, type)
      }
      for (const type of ["application/jsonp", "multipart/form-data; x=application/json", "text/json", "application/json-seq", "application/json, text/plain"]) {
        assert.strictEqual((yield* post(url, { "content-type": type })).status, 415, type)
      }
    }))

  it.live("answers 413 past the body limit (declared or streamed) and 400 for JSON that does not parse", () =>
    Effect.gen(function*() {
      const url = yield* gated({}, 64)
      assert.strictEqual((yield* post(url, {}, { pad: "x".repeat(100) })).status, 413)
      assert.strictEqual((yield* post(url, { "transfer-encoding": "chunked" }, { pad: "x".repeat(100) })).status, 413)
      const bad = yield* post(url, {}, "{nope")
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(JSON.parse(bad.body).error.code, -32700)
    }))

  it.live("answers 400 -32600 for a body nested deeper than maxDepth, without parsing it; brackets in strings do not count", () =>
    Effect.gen(function*() {
      const url = yield* gated({}, 1000, 4)
      const deep = yield* post(url, {}, `{"a":[[[[1]]]]}`)
      assert.strictEqual(deep.status, 400)
      assert.deepStrictEqual(JSON.parse(deep.body).error, { code: -32600, message: "Invalid Request: the message nests deeper than 4 levels" })
      assert.strictEqual((yield* post(url, {}, `{"a":[[["[[[[\\\"{{{{"]]]}`)).status, 200)
      assert.strictEqual((yield* post(url, {}, `{"a":[[[1]]]}`)).status, 200)
    }))
})
