/**
 * `/readyz` with a real Redis as the L2 cache: ready while Redis is reachable, not ready while it
 * is down (so a load balancer sends elsewhere), ready again once it is back; `/healthz` stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as RedisServer from "../../packages/cache/test/support/RedisServer.ts"
import { raw, type RunningServer, startServer } from "./support.ts"

let redis: RedisServer.RedisServer
let server: RunningServer
beforeAll(async () => {
  redis = await RedisServer.start()
  server = await startServer({ redisUrl: redis.url })
})
afterAll(async () => {
  await server?.close()
  await redis?.close()
})

const get = async (path: string) => {
  const r = await raw(server.url.replace(/\/mcp$/, path), { method: "GET" })
  return { status: r.status, body: JSON.parse(r.body) }
}

describe("readiness with Redis", () => {
  it("follows Redis: ready, not ready while it is down, ready again", async () => {
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 10_000 }).toBe(200)
    expect((await get("/readyz")).body).toEqual({ ready: true, checks: { http: true, redis: true } })
    await redis.stop()
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 10_000 }).toBe(503)
    expect((await get("/readyz")).body.checks).toEqual({ http: true, redis: false })
    expect((await get("/healthz")).status).toBe(200)
    await redis.restart()
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 20_000 }).toBe(200)
  }, 60_000)
})
