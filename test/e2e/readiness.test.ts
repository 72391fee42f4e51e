/**
 * `/readyz` with a real Redis as the L2 cache: ready while Redis is reachable, not ready while it
 * is down (so a load balancer sends elsewhere), ready again once it is back; `/healthz` stays up.
 */
import { describe, expect, it } from "vitest"
import { raw, serverWithRedis } from "./support.ts"

const running = serverWithRedis()

const get = async (path: string) => {
  const r = await raw(running.server.url.replace(/\/mcp$/, path), { method: "GET" })
  return { status: r.status, body: JSON.parse(r.body) }
}

describe("readiness with Redis", () => {
  it("follows Redis: ready, not ready while it is down, ready again", async () => {
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 10_000 }).toBe(200)
    expect((await get("/readyz")).body).toEqual({ ready: true, checks: { http: true, redis: true } })
    await running.redis.stop()
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 10_000 }).toBe(503)
    expect((await get("/readyz")).body.checks).toEqual({ http: true, redis: false })
    expect((await get("/healthz")).status).toBe(200)
    await running.redis.restart()
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 20_000 }).toBe(200)
  }, 60_000)
})
