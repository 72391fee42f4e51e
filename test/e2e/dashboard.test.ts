/**
 * The live dashboard of the built `tenfold` binary, opened in headless Chromium (Debian's
 * `chromium`, driven by playwright-core; nothing is downloaded) after real MCP traffic: its
 * charts hold the numbers the server measured, a fresh page shows the history at once, and a
 * screenshot is saved at bench/results/dashboard.png. Also: behind the bearer gate, and off with
 * --no-dashboard.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type BrowserContext, chromium } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startHttp, type TenfoldHttpProcess } from "../support/TenfoldProcess.ts"
import { raw } from "./support.ts"

const screenshot = fileURLToPath(new URL("../../bench/results/dashboard.png", import.meta.url))

/** Resolves with the dashboard URL the binary printed at start. */
const dashboardUrl = (server: TenfoldHttpProcess) =>
  new Promise<string>((resolve, reject) => {
    const find = () => /dashboard: (http:\/\/\S+)/.exec(server.stderr())?.[1]
    const found = find()
    if (found !== undefined) return resolve(found)
    const onData = () => {
      const url = find()
      if (url === undefined) return
      server.child.stderr.off("data", onData)
      resolve(url)
    }
    server.child.stderr.on("data", onData)
    void server.exited.then(() => reject(new Error(`tenfold exited: ${server.stderr()}`)))
  })

const TEXTS = [
  "The cat sat on the mat. The cat ran away!",
  "Tenfold answers repeated calls from cache.",
  "Fast servers make happy clients. Happy clients call again."
]

/** Real MCP traffic for `ms`: text_stats calls (most of them repeats, so cache hits) and a few unknown-tool errors. */
const traffic = async (client: Client, ms: number) => {
  const until = Date.now() + ms
  let n = 0
  let errors = 0
  while (Date.now() < until) {
    n++
    const text = n % 5 === 0 ? `${TEXTS[0]} (${n})` : TEXTS[n % TEXTS.length]!
    await client.callTool({ name: "text_stats", arguments: { text } })
    if (n % 20 === 0) {
      await client.callTool({ name: "no_such_tool", arguments: {} }).catch(() => errors++)
    }
    await new Promise((r) => setTimeout(r, 15))
  }
  return { calls: n, errors }
}

interface Charted {
  readonly frames: number
  readonly points: number
  /** Each chart's series (after the x axis) by label. */
  readonly charts: Record<string, Record<string, ReadonlyArray<number | null>>>
}

/** Headless Chromium with a fresh profile, shared by the tests of this file. */
let context: BrowserContext
let profile: string
beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), "tenfold-chromium-"))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1440, height: 900 },
    colorScheme: "dark"
  })
}, 60_000)
afterAll(async () => {
  await context?.close()
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
})

describe("the dashboard in a browser", () => {
  let server: TenfoldHttpProcess
  let client: Client

  beforeAll(async () => {
    // a hit-rate target the traffic below misses (about 85 % of its calls repeat), checked every second: an alert to show
    server = await startHttp({ env: { TENFOLD_ALERT_MIN_HIT_RATE: "0.95", TENFOLD_ALERT_INTERVAL_MS: "1000" } })
    client = new Client({ name: "dashboard-e2e", version: "1.0.0" })
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)))
  }, 60_000)

  afterAll(async () => {
    await client?.close()
    await server?.stop()
  })

  it("shows live charts of the traffic, from its history at once, and saves a screenshot", async () => {
    const url = await dashboardUrl(server)
    expect(url).toBe(`http://127.0.0.1:${server.port}/dashboard`)
    const sent = await traffic(client, 6000)
    expect(sent.errors).toBeGreaterThan(0)

    const page = await context.newPage()
    const requests: Array<string> = []
    page.on("request", (r) => void requests.push(r.url()))
    await page.goto(url)
    await page.waitForFunction(() => (globalThis as any).tenfold?.state.frames >= 1) // any: the page's own global (window.tenfold)
    // the first frame is the server's history: several seconds of points before any live tick
    expect(await page.evaluate(() => (globalThis as any).tenfold.state.points.length)).toBeGreaterThanOrEqual(5)

    const more = traffic(client, 4000)
    await page.waitForFunction(() => (globalThis as any).tenfold.state.frames >= 4)
    await more
    await page.waitForFunction(() => (globalThis as any).tenfold.state.frames >= 5)
    const charted = await page.evaluate((): Charted => {
      const dashboard = (globalThis as any).tenfold
      const charts: Charted["charts"] = {}
      for (const [id, plot] of Object.entries<any>(dashboard.charts)) {
        charts[id] = Object.fromEntries(plot.series.slice(1).map((s: { label: string }, i: number) => [s.label, plot.data[i + 1]]))
      }
      return { frames: dashboard.state.frames, points: dashboard.state.points.length, charts }
    })
    // saved before the checks, so a failing run leaves a picture of what the page showed
    mkdirSync(join(screenshot, ".."), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: true })
    const positive = (values: ReadonlyArray<number | null> | undefined) => (values ?? []).filter((v) => v !== null && v > 0).length

    expect(charted.points).toBeGreaterThanOrEqual(9)
    for (const percentile of ["p50", "p95", "p99"]) expect(positive(charted.charts.latency?.[percentile])).toBeGreaterThan(3)
    expect(positive(charted.charts.throughput?.["requests/s"])).toBeGreaterThan(3)
    expect(positive(charted.charts.errors?.["errors/s"])).toBeGreaterThan(0)
    expect(positive(charted.charts.cache?.["memory"])).toBeGreaterThan(3)
    expect(positive(charted.charts.process?.["memory"])).toBeGreaterThan(3)

    const rps = await page.locator(".tile", { hasText: "Requests / s" }).locator(".value").textContent()
    expect(Number(rps)).toBeGreaterThan(0)
    const row = await page.locator("#tools tbody tr", { hasText: "text_stats" }).locator("td").allTextContents()
    expect(Number(row[1])).toBeGreaterThan(0)
    expect(await page.locator("#alerts li .sev").count()).toBeGreaterThan(0)
    expect(await page.locator("#alert-count").textContent()).not.toBe("0")
    // the page and its stream are all it loads: uPlot comes inline, nothing from another origin
    expect(requests.every((r) => r.startsWith(`http://127.0.0.1:${server.port}/dashboard`))).toBe(true)

    await page.close()
  }, 60_000)
})

describe("the dashboard's switches", () => {
  it("sits behind the bearer gate like /mcp (a browser needs a proxy that adds the header)", async () => {
    const server = await startHttp({ env: { TENFOLD_TOKENS: "s3cret=alice" } })
    try {
      const base = `http://127.0.0.1:${server.port}`
      expect((await raw(`${base}/dashboard`, { method: "GET" })).status).toBe(401)
      expect((await raw(`${base}/dashboard?token=s3cret`, { method: "GET" })).status).toBe(401)
      expect((await raw(`${base}/dashboard/events`, { method: "GET" })).status).toBe(401)
      const authorized = await raw(`${base}/dashboard`, { method: "GET", headers: { authorization: "Bearer s3cret" } })
      expect(authorized.status).toBe(200)
      expect(authorized.body).toContain("Tenfold dashboard")
      const evil = await raw(`${base}/dashboard`, { method: "GET", headers: { authorization: "Bearer s3cret", origin: "https://evil.example" } })
      expect(evil.status).toBe(403)

      // a browser whose requests carry the header (what the proxy in the README adds) gets the live page, stream included
      const page = await context.newPage()
      expect((await page.goto(`${base}/dashboard`))?.status()).toBe(401)
      await page.setExtraHTTPHeaders({ authorization: "Bearer s3cret" })
      expect((await page.goto(`${base}/dashboard`))?.status()).toBe(200)
      await page.waitForFunction(() => (globalThis as any).tenfold?.state.frames >= 2) // any: the page's own global (window.tenfold)
      await page.close()
    } finally {
      await server.stop()
    }
  })

  it("with --no-telemetry serves no dashboard, no /metrics and no tenfold_stats", async () => {
    const server = await startHttp({ args: ["--no-telemetry"] })
    try {
      const base = `http://127.0.0.1:${server.port}`
      expect((await raw(`${base}/dashboard`, { method: "GET" })).status).toBe(404)
      expect((await raw(`${base}/metrics`, { method: "GET" })).status).toBe(404)
      const client = new Client({ name: "no-telemetry", version: "1.0.0" })
      await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)))
      try {
        const { tools } = await client.listTools()
        expect(tools.map((t) => t.name)).toContain("text_stats")
        expect(tools.map((t) => t.name)).not.toContain("tenfold_stats")
      } finally {
        await client.close()
      }
    } finally {
      await server.stop()
    }
  })

  it("is not served with --no-dashboard, and the start line names no dashboard", async () => {
    const server = await startHttp({ args: ["--no-dashboard"] })
    try {
      expect((await raw(`http://127.0.0.1:${server.port}/dashboard`, { method: "GET" })).status).toBe(404)
      expect(server.stderr()).not.toContain("dashboard:")
    } finally {
      await server.stop()
    }
  })
})
