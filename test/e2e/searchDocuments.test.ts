/**
 * `search_documents` as a user gets it: the real `tenfold` binary started with `--documents`, called
 * by the SDK v2 client. The first call indexes the directory and reports progress; answers name the
 * file and lines; a file changed on disk is seen by the next call; bad arguments answer -32602; a
 * missing directory answers an error result and the server keeps serving; without `--documents`
 * the tool is not listed.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { SearchDocumentsOutput } from "@tenfold/server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startHttp, type TenfoldHttpProcess } from "../support/TenfoldProcess.ts"

const fixtures = fileURLToPath(new URL("../../services/server/test/fixtures/docs", import.meta.url))
const bin = fileURLToPath(new URL("../../services/server/bin/tenfold.js", import.meta.url))

const connect = async (url: string, options: ConstructorParameters<typeof Client>[1] = {}) => {
  const client = new Client({ name: "tenfold-e2e", version: "1.0.0" }, options)
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

let dir: string
let tenfold: TenfoldHttpProcess
let client: Client

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tenfold-e2e-docs-"))
  cpSync(fixtures, dir, { recursive: true })
  tenfold = await startHttp({ args: ["--documents", dir] })
  client = await connect(tenfold.url)
})
afterAll(async () => {
  await client?.close()
  await tenfold?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const search = async (c: Client, args: Record<string, unknown>, onprogress?: (p: { progress: number; total?: number }) => void) => {
  const result = await c.callTool({ name: "search_documents", arguments: args }, onprogress === undefined ? {} : { onprogress, timeout: 120_000 })
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy()
  return result.structuredContent as unknown as SearchDocumentsOutput
}

describe("search_documents through the binary", () => {
  it("is listed, read-only and closed-world, with its input and output schemas", async () => {
    const { tools } = await client.listTools()
    const tool = tools.find((t) => t.name === "search_documents")
    expect(tool?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, openWorldHint: false })
    expect(tool?.inputSchema.required).toEqual(["query"])
    expect(Object.keys(tool?.outputSchema?.properties ?? {})).toEqual(["passages", "indexed"])
  })

  it("indexes on the first call, reporting progress file by file, and answers with file and lines", async () => {
    const seen: Array<{ progress: number; total?: number }> = []
    const answer = await search(client, { query: "how do I repair a punctured bicycle inner tube", limit: 3 }, (p) =>
      void seen.push({ progress: p.progress, ...(p.total === undefined ? {} : { total: p.total }) }))
    expect(seen.map((p) => p.progress)).toEqual([0, 1, 2, 3, 4, 5])
    expect(seen.every((p) => p.total === 5)).toBe(true)
    expect(answer.indexed).toMatchObject({ files: 5, skippedFiles: 0, truncated: false })
    expect(answer.passages).toHaveLength(3)
    expect(answer.passages[0]).toMatchObject({ file: "bicycle.markdown", heading: "Bicycle maintenance > Fixing a flat tyre" })
    expect(answer.passages[0]!.startLine).toBeLessThanOrEqual(5)
    expect(answer.passages[0]!.endLine).toBeGreaterThanOrEqual(5)
    expect(answer.passages[0]!.text).toContain("inner tube")
  })

  it("answers the same search in the 2026-07-28 revision, filtered by path", async () => {
    const modern = await connect(tenfold.url, { versionNegotiation: { mode: { pin: "2026-07-28" as const } } })
    try {
      const answer = await search(modern, { query: "baking bread in a cast-iron pot", path: "kitchen/", limit: 50 })
      expect(answer.passages.length).toBeGreaterThan(0)
      expect(answer.passages.every((p) => p.file === "kitchen/sourdough.md")).toBe(true)
      expect(answer.passages[0]!.text).toContain("cast-iron pot")
    } finally {
      await modern.close()
    }
  })

  it("sees a file changed on disk in the next call", async () => {
    writeFileSync(join(dir, "astronomy.txt"), "Keeping an aquarium\n\nChange a fifth of the aquarium water every week and rinse the filter sponge in old tank water.\n")
    const answer = await search(client, { query: "how often should the fish tank water be changed", limit: 1 })
    expect(answer.passages[0]).toMatchObject({ file: "astronomy.txt", startLine: 1, endLine: 3 })
    expect(answer.passages[0]!.text).toContain("aquarium water")
  })

  it("answers bad arguments with -32602 naming the argument", async () => {
    await expect(client.callTool({ name: "search_documents", arguments: {} })).rejects.toThrow(/query/)
    await expect(client.callTool({ name: "search_documents", arguments: { query: "x", limit: 51 } })).rejects.toThrow(/-32602|limit/)
    await expect(client.callTool({ name: "search_documents", arguments: { query: "x".repeat(2001) } })).rejects.toThrow(/query/)
    await expect(client.callTool({ name: "search_documents", arguments: { query: "   " } })).rejects.toThrow(/query/)
  })
})

describe("search_documents under hostile arguments", () => {
  it("answers every argument object with a result or -32602, never a crash or -32603 (seeded fuzz)", async () => {
    let seed = 20261201
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(random() * values.length)]!
    const text = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick(["a", " ", "é", "😀", "\u0000", "\n", "#", "../", "\\", "\u202e"])).join("")
    const value = (): unknown =>
      pick<() => unknown>([
        () => text(40),
        () => "q".repeat(pick([1999, 2000, 2001, 100_000])),
        () => pick([0, -1, 1, 50, 51, 2.5, 1e308, -0]),
        () => null,
        () => true,
        () => [text(5)],
        () => ({ nested: text(5) }),
        () => undefined
      ])()
    let answered = 0
    let refused = 0
    for (let round = 0; round < 120; round++) {
      const args: Record<string, unknown> = {}
      if (random() < 0.9) args.query = random() < 0.5 ? text(60) || "x" : value()
      if (random() < 0.5) args.limit = random() < 0.5 ? 1 + Math.floor(random() * 50) : value()
      if (random() < 0.3) args.path = random() < 0.5 ? pick(["garden/", "./kitchen", "/", "", "nowhere"]) : value()
      if (random() < 0.1) args[pick(["__proto__", "constructor", "extra"])] = value()
      try {
        const result = await client.callTool({ name: "search_documents", arguments: args })
        expect(result.isError, JSON.stringify(result.content).slice(0, 200)).toBeFalsy()
        const { passages } = result.structuredContent as unknown as SearchDocumentsOutput
        expect(passages.length).toBeLessThanOrEqual(typeof args.limit === "number" ? args.limit : 5)
        answered++
      } catch (error) {
        expect((error as { code?: number }).code, String(error).slice(0, 200)).toBe(-32602)
        refused++
      }
    }
    expect(answered).toBeGreaterThan(10)
    expect(refused).toBeGreaterThan(10)
    expect(tenfold.dead()).toBe(false)
  }, 180_000)
})

describe("search_documents over stdio", () => {
  it("indexes with progress and answers, as over HTTP", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "tenfold-e2e-stdio-"))
    const transport = new StdioClientTransport({ command: process.execPath, args: [bin, "--stdio", "--cache-dir", cacheDir, "--documents", fixtures], stderr: "pipe" })
    const c = new Client({ name: "tenfold-e2e", version: "1.0.0" })
    await c.connect(transport)
    try {
      const progress: Array<number> = []
      const answer = await search(c, { query: "what the TCP congestion window does", limit: 2 }, (p) => void progress.push(p.progress))
      expect(progress.at(-1)).toBe(5)
      expect(answer.passages[0]!.file).toBe("network/tcp.md")
    } finally {
      await c.close()
      rmSync(cacheDir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe("search_documents misconfigured or off", () => {
  it("answers a missing directory with an error result, and the server keeps serving", async () => {
    const missing = join(dir, "does-not-exist")
    const server = await startHttp({ args: ["--documents", missing] })
    try {
      const c = await connect(server.url)
      const result = await c.callTool({ name: "search_documents", arguments: { query: "anything" } })
      expect(result.isError).toBe(true)
      expect((result.content as Array<{ text: string }>)[0]!.text).toContain(`the documents directory ${missing} cannot be read (ENOENT)`)
      const stats = await c.callTool({ name: "text_stats", arguments: { text: "still serving" } })
      expect(stats.isError).toBeFalsy()
      await c.close()
      expect(server.dead()).toBe(false)
    } finally {
      await server.stop()
    }
  })

  it("with --documents-index-at-start, indexes in the background after start: the first call finds it built", async () => {
    const server = await startHttp({ args: ["--documents", fixtures, "--documents-index-at-start"] })
    try {
      await expect.poll(() => server.stderr(), { timeout: 60_000, interval: 100 }).toContain("search_documents: indexed 5 files")
      const c = await connect(server.url)
      const progress: Array<number> = []
      const answer = await search(c, { query: "pruning tomato side shoots" }, (p) => void progress.push(p.progress))
      expect(progress).toEqual([])
      expect(answer.passages[0]!.file).toBe("garden/tomatoes.md")
      await c.close()
    } finally {
      await server.stop()
    }
  })

  it("is not listed without --documents", async () => {
    const server = await startHttp()
    try {
      const c = await connect(server.url)
      const { tools } = await c.listTools()
      expect(tools.map((t) => t.name)).not.toContain("search_documents")
      await c.close()
    } finally {
      await server.stop()
    }
  })
})
