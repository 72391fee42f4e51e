/**
 * The cache with a real Redis under it, over HTTP: Redis killed while calls run (no call fails,
 * L2 comes back on its own) and Redis answering slowly (calls do not wait for it).
 */
import { describe, expect, it } from "vitest"
import { modernBody, modernHeaders, raw, serverWithRedis } from "./support.ts"

const running = serverWithRedis()

const lookup = async (q: string) => {
  const r = await raw(running.server.url, { headers: modernHeaders("tools/call", "lookup"), body: modernBody(1, "tools/call", { name: "lookup", arguments: { q } }) })
  return { status: r.status, body: JSON.parse(r.body) as { result?: { content: Array<{ text: string }> }; error?: unknown } }
}

const cachedKeys = () => running.redis.client().dbsize()

describe("cache on Redis", () => {
  it("answers every call while Redis is killed, and writes to Redis again once it is back", async () => {
    await lookup("warm")
    expect(await cachedKeys()).toBeGreaterThan(0)
    const calls: Array<Promise<Awaited<ReturnType<typeof lookup>>>> = []
    for (let i = 0; i < 60; i++) {
      if (i === 20) await running.redis.stop()
      calls.push(lookup(`q${i % 30}`))
      await new Promise((r) => setTimeout(r, 5))
    }
    const results = await Promise.all(calls)
    expect(results.every((r) => r.status === 200 && r.body.result !== undefined)).toBe(true)
    await running.redis.restart()
    // L2 comes back by itself: new results land in Redis again within a few seconds
    let keys = 0
    for (let i = 0; i < 100 && keys === 0; i++) {
      await lookup(`after-${i}`)
      keys = await cachedKeys()
      if (keys === 0) await new Promise((r) => setTimeout(r, 100))
    }
    expect(keys).toBeGreaterThan(0)
  })

  it("does not wait for a Redis that answers slowly", async () => {
    const { ended } = await running.redis.sleep(2000)
    let sleeping = true
    void ended.then(() => (sleeping = false))
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => lookup(`slow-${i}`)))
    expect(sleeping).toBe(true)
    expect(results.every((r) => r.body.result !== undefined)).toBe(true)
    await ended
  })
})
