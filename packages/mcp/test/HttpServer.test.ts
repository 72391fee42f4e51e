import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Health } from "../src/Health.ts"
import { HttpRoutes } from "../src/HttpRoutes.ts"
import { HttpServer, type HttpServerOptions } from "../src/HttpServer.ts"
import { HttpTransport } from "../src/HttpTransport.ts"
import { below, modernBody, modernHeaders } from "./support/Fixtures.ts"
import { send } from "./support/Http.ts"

/** A route another layer mounts (as metrics or a dashboard will): it answers with the caller's principal. */
const whoami = HttpRoutes.route({
  path: "/whoami",
  handle: (_, res, principal) => void res.writeHead(200, { "content-type": "text/plain" }).end(principal ?? "(anonymous)")
})

const serverLayer = (options: Partial<HttpServerOptions> = {}) =>
  HttpServer.layer({ host: "127.0.0.1", port: 0, ...options }).pipe(
    Layer.provideMerge(Layer.mergeAll(whoami, Health.routes)),
    Layer.provideMerge(Layer.merge(HttpRoutes.layer, Health.layer)),
    Layer.provideMerge(HttpTransport.layer({ tokens: new Map([["t", "alice"]]) })),
    Layer.provideMerge(below())
  )

const authorized = { authorization: "Bearer t" }

describe("HttpServer", () => {
  it.live("routes the MCP endpoint and the route table, every route behind the same gate", () =>
    Effect.gen(function*() {
      const { url } = yield* HttpServer
      const mcp = yield* send(url, { headers: { ...modernHeaders("tools/list"), ...authorized }, body: modernBody(1, "tools/list") })
      assert.strictEqual(mcp.status, 200)
      assert.strictEqual((yield* send(url, { method: "GET", path: "/whoami", headers: authorized })).body, "alice")
      assert.strictEqual((yield* send(url, { method: "GET", path: "/whoami" })).status, 401)
      assert.strictEqual((yield* send(url, { method: "GET", path: "/whoami", headers: { ...authorized, host: "evil.example.com" } })).status, 403)
      assert.strictEqual((yield* send(url, { method: "GET", path: "/whoami?x=1", headers: authorized })).status, 200)
      assert.strictEqual((yield* send(url, { method: "GET", path: "/nothing", headers: authorized })).status, 404)
    }).pipe(Effect.provide(serverLayer())))

  it.live("is ready while listening, with its check registered in Health", () =>
    Effect.gen(function*() {
      const { url } = yield* HttpServer
      const readyz = yield* send(url, { method: "GET", path: "/readyz", headers: authorized })
      assert.deepStrictEqual([readyz.status, JSON.parse(readyz.body)], [200, { ready: true, checks: { http: true } }])
    }).pipe(Effect.provide(serverLayer())))

  it.effect("fails with ListenError when the port is taken", () =>
    Effect.gen(function*() {
      const { port } = yield* HttpServer
      const error = yield* Effect.flip(Layer.build(HttpServer.layer({ host: "127.0.0.1", port })))
      assert.strictEqual(error._tag, "ListenError")
      assert.include(error.message, "already in use")
    }).pipe(Effect.provide(serverLayer())))
})
