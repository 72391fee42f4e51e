import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { Health } from "../src/Health.ts"
import { HttpRoutes } from "../src/HttpRoutes.ts"
import { TestClock } from "effect/testing"
import { send, serve } from "./support/Http.ts"

const HealthLayer = Health.routes.pipe(Layer.provideMerge(Layer.merge(Health.layer, HttpRoutes.layer)))

/** The route table on a real server, as HttpServer mounts it (without the gate). */
const routesServer = Effect.gen(function*() {
  const routes = yield* HttpRoutes
  const { url } = yield* serve((req, res) => {
    const route = routes.find(req.url ?? "/")
    if (route === undefined) res.writeHead(404).end()
    else route.handle(req, res, undefined)
  })
  return url
})

describe("Health", () => {
  it.effect("is ready when every check passes; a failing, dying or hanging check makes it not ready", () =>
    Effect.gen(function*() {
      const health = yield* Health
      assert.deepStrictEqual(yield* health.readiness, { ready: true, checks: {} })
      yield* health.register("http", Effect.succeed(true))
      assert.deepStrictEqual(yield* health.readiness, { ready: true, checks: { http: true } })
      yield* health.register("redis", Effect.succeed(false))
      assert.deepStrictEqual(yield* health.readiness, { ready: false, checks: { http: true, redis: false } })
      yield* health.register("redis", Effect.die("bug"))
      assert.isFalse((yield* health.readiness).checks.redis)
      yield* health.register("redis", Effect.never)
      const fiber = yield* Effect.forkChild(health.readiness)
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { ready: false, checks: { http: true, redis: false } })
    }).pipe(Effect.provide(Health.layer)))

  it.live("serves /healthz and /readyz (503 with the failing check while not ready)", () =>
    Effect.gen(function*() {
      const url = yield* routesServer
      const healthz = yield* send(url, { method: "GET", path: "/healthz" })
      assert.deepStrictEqual([healthz.status, JSON.parse(healthz.body)], [200, { status: "ok" }])
      assert.strictEqual((yield* send(url, { method: "GET", path: "/readyz" })).status, 200)
      yield* Health.use((h) => h.register("redis", Effect.succeed(false)))
      const readyz = yield* send(url, { method: "GET", path: "/readyz" })
      assert.deepStrictEqual([readyz.status, JSON.parse(readyz.body)], [503, { ready: false, checks: { redis: false } }])
      assert.strictEqual((yield* send(url, { method: "POST", path: "/healthz" })).status, 405)
    }).pipe(Effect.provide(HealthLayer)))
})
