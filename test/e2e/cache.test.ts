/**
 * The result cache through MCP: repeated calls answered from cache, principals kept apart,
 * errors and non-read-only tools never cached, one run for concurrent identical calls, results
 * surviving a restart (L4), and the 2026-07-28 cache hints.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { modernBody, modernHeaders, probes, raw, type RunningServer, startServer } from "./support.ts"

const call = async (url: string, tool: string, q: string, token?: string) => {
  const r = await raw(url, {
    headers: { ...modernHeaders("tools/call", tool), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: modernBody(1, "tools/call", { name: tool, arguments: { q } })
  })
  return JSON.parse(r.body).result as { content: Array<{ text: string }>; isError?: boolean; ttlMs?: number; cacheScope?: string }
}

let server: RunningServer
beforeAll(async () => {
  server = await startServer({ tokens: "ta=alice,tb=bob" })
})
afterAll(() => server.close())

describe("tool result cache", () => {
  it("answers a repeated call from cache without running the tool again", async () => {
    const before = probes.lookups
    const first = await call(server.url, "lookup", "paris", "ta")
    const second = await call(server.url, "lookup", "paris", "ta")
    expect(second.content).toEqual(first.content)
    expect(probes.lookups).toBe(before + 1)
    await call(server.url, "lookup", "london", "ta")
    expect(probes.lookups).toBe(before + 2)
  })

  it("never lets one principal read another's cached result", async () => {
    const alice = await call(server.url, "lookup", "secret", "ta")
    const bob = await call(server.url, "lookup", "secret", "tb")
    expect(alice.content[0]!.text).toContain("for alice")
    expect(bob.content[0]!.text).toContain("for bob")
  })

  it("does not cache errors or tools that are not read-only", async () => {
    const before = probes.lookups
    expect((await call(server.url, "flaky_lookup", "x", "ta")).isError).toBe(true)
    expect((await call(server.url, "flaky_lookup", "x", "ta")).isError).toBe(true)
    await call(server.url, "append", "x", "ta")
    await call(server.url, "append", "x", "ta")
    expect(probes.lookups).toBe(before + 4)
  })

  it("runs the tool once for 100 concurrent identical calls", async () => {
    const before = probes.lookups
    const results = await Promise.all(Array.from({ length: 100 }, () => call(server.url, "lookup", "stampede", "ta")))
    expect(probes.lookups).toBe(before + 1)
    expect(new Set(results.map((r) => r.content[0]!.text)).size).toBe(1)
  })

  it("states the policy in 2026-07-28 results: ttlMs left and cacheScope", async () => {
    const result = await call(server.url, "lookup", "hints", "ta")
    expect(result.cacheScope).toBe("private")
    expect(result.ttlMs).toBeGreaterThan(0)
    expect(result.ttlMs).toBeLessThanOrEqual(60_000)
  })

  it("serves results from L4 after a restart", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "tenfold-restart-"))
    const before = probes.lookups
    const a = await startServer({ cacheDir })
    const first = await call(a.url, "lookup", "persisted")
    await a.close()
    const b = await startServer({ cacheDir })
    const second = await call(b.url, "lookup", "persisted")
    await b.close()
    rmSync(cacheDir, { recursive: true, force: true })
    expect(second.content).toEqual(first.content)
    expect(probes.lookups).toBe(before + 1)
  })

  it("runs every call when caching is off", async () => {
    const off = await startServer({ cache: false })
    const before = probes.lookups
    await call(off.url, "lookup", "uncached")
    await call(off.url, "lookup", "uncached")
    await off.close()
    expect(probes.lookups).toBe(before + 2)
  })
})
