/**
 * `fetch_url` as a user gets it: served by the real `tenfold` binary by default, called by the
 * SDK v2 client in both revisions — progress notifications while a large body downloads, the
 * second identical call answered from the cache (the page's server counts its hits), loopback
 * refused unless allowed, and the allowance naming one host:port only.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fileURLToPath } from "node:url"
import { startHttp, type TenfoldHttpProcess } from "../support/TenfoldProcess.ts"
import { modernBody, modernHeaders, raw } from "./support.ts"

const BIG = 3 * 1024 * 1024
const hits = new Map<string, number>()
let site: Server
let port = 0
let tenfold: TenfoldHttpProcess

beforeAll(async () => {
  site = createServer((req, res) => {
    const url = new URL(req.url!, "http://x")
    hits.set(url.pathname + url.search, (hits.get(url.pathname + url.search) ?? 0) + 1)
    if (url.pathname === "/big") {
      res.setHeader("content-type", "text/plain; charset=utf-8")
      res.setHeader("content-length", String(BIG))
      return void res.end(Buffer.alloc(BIG, 0x7a))
    }
    res.setHeader("content-type", "text/html")
    res.end(`<html><head><title>Page ${url.search}</title></head><body><h1>Served</h1><p>count ${hits.get(url.pathname + url.search)}</p></body></html>`)
  })
  site.listen(0, "127.0.0.1")
  await once(site, "listening")
  port = (site.address() as AddressInfo).port
  tenfold = await startHttp({ args: ["--fetch-allow-host", `127.0.0.1:${port}`, "--fetch-max-bytes", String(8 * 1024 * 1024)] })
})
afterAll(async () => {
  await tenfold?.stop()
  await new Promise((resolve) => site?.close(resolve))
})

const REVISIONS = [
  { name: "2025-11-25", options: {} },
  { name: "2026-07-28", options: { versionNegotiation: { mode: { pin: "2026-07-28" as const } } } }
] as const

const textOf = (result: { content?: unknown }) => (result.content as Array<{ type: string; text: string }>)[0]!.text

describe.each(REVISIONS)("fetch_url through the binary, revision $name", ({ name, options }) => {
  let client: Client
  beforeAll(async () => {
    client = new Client({ name: "tenfold-e2e", version: "1.0.0" }, options)
    await client.connect(new StreamableHTTPClientTransport(new URL(tenfold.url)))
  })
  afterAll(() => client?.close())

  it("is listed by default, read-only and open-world", async () => {
    const { tools } = await client.listTools()
    const fetchUrl = tools.find((t) => t.name === "fetch_url")
    expect(fetchUrl?.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true, openWorldHint: true, destructiveHint: false })
    expect(fetchUrl?.inputSchema.required).toEqual(["url"])
  })

  it("reports progress while a large body downloads", async () => {
    const seen: Array<{ progress: number; total?: number }> = []
    const result = await client.callTool(
      { name: "fetch_url", arguments: { url: `http://127.0.0.1:${port}/big?${name}`, maxLength: 100 } },
      { onprogress: (p) => void seen.push({ progress: p.progress, ...(p.total === undefined ? {} : { total: p.total }) }) }
    )
    expect(result.isError).toBeFalsy()
    expect(textOf(result)).toMatch(/\n\nz{100}$/)
    expect(seen.length).toBeGreaterThanOrEqual(5)
    expect(seen.every((p) => p.total === BIG)).toBe(true)
    expect(seen.at(-1)?.progress).toBe(BIG)
  })

  it("answers the second identical call from the cache: the page is fetched once", async () => {
    const url = `http://127.0.0.1:${port}/page?${name}`
    const first = await client.callTool({ name: "fetch_url", arguments: { url } })
    const second = await client.callTool({ name: "fetch_url", arguments: { url } })
    expect(textOf(first)).toContain("# Page ?")
    expect(textOf(first)).toContain("count 1")
    expect(textOf(second)).toEqual(textOf(first))
    expect(hits.get(`/page?${name}`)).toBe(1)
    const other = await client.callTool({ name: "fetch_url", arguments: { url, maxLength: 50 } })
    expect(other.isError).toBeFalsy()
    expect(hits.get(`/page?${name}`)).toBe(2)
  })

  it("refuses loopback addresses the configuration does not name and other schemes with an error result, URLs past 8192 characters as bad arguments", async () => {
    const before = [...hits.values()].reduce((a, b) => a + b, 0)
    for (const url of [`http://localhost:${port + 1}/page`, `http://127.0.0.2:${port}/page`, `http://[::1]:${port}/page`, "http://127.0.0.1:1/"]) {
      const result = await client.callTool({ name: "fetch_url", arguments: { url } })
      expect(result.isError, url).toBe(true)
      expect(textOf(result), url).toMatch(/refused to connect to .* a loopback address/)
    }
    await expect(client.callTool({ name: "fetch_url", arguments: { url: `http://127.0.0.1:${port}/${"x".repeat(8200)}` } })).rejects.toThrow(/url/)
    const scheme = await client.callTool({ name: "fetch_url", arguments: { url: "file:///etc/passwd" } })
    expect(scheme.isError).toBe(true)
    expect(textOf(scheme)).toContain("only http: and https: URLs")
    expect([...hits.values()].reduce((a, b) => a + b, 0)).toBe(before)
  })
})

describe("fetch_url cache policy", () => {
  it("2026-07-28 answers say the result is private and fresh for up to 5 minutes", async () => {
    const call = () =>
      raw(tenfold.url, {
        headers: modernHeaders("tools/call", "fetch_url"),
        body: modernBody(1, "tools/call", { name: "fetch_url", arguments: { url: `http://127.0.0.1:${port}/page?policy` } })
      })
    for (const answer of [await call(), await call()]) {
      const result = JSON.parse(answer.body).result as { cacheScope?: string; ttlMs?: number }
      expect(result.cacheScope).toBe("private")
      expect(result.ttlMs).toBeGreaterThan(0)
      expect(result.ttlMs).toBeLessThanOrEqual(300_000)
    }
    expect(hits.get("/page?policy")).toBe(1)
  })
})

describe("fetch_url configuration", () => {
  it("a malformed allowed host stops the binary at start with exit code 2, naming the entry", async () => {
    const bin = fileURLToPath(new URL("../../services/server/bin/tenfold.js", import.meta.url))
    const child = spawn(process.execPath, [bin, "--port", "0", "--cache-dir", "", "--fetch-allow-host", "http://bad/"], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => void (stderr += d))
    const [code] = await once(child, "exit")
    expect(code).toBe(2)
    expect(stderr).toContain("fetchAllowedHosts")
    expect(stderr).toContain("http://bad/")
  })
})
