/**
 * The packages as a user gets them: `npm pack` of every @tenfold/* package, the tarballs
 * installed into a fresh project outside the repository (no workspace links; third-party
 * packages from the registry, or npm's cache), then examples/embed run against them — its tool
 * called over HTTP with the SDK client, then a clean exit on SIGTERM — and the installed
 * `tenfold` binary run by the pinned Node and by an older one.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { olderNode } from "./support.ts"

const run = promisify(execFile)
const root = fileURLToPath(new URL("../../", import.meta.url))
const workspaces = ["packages/executor", "packages/cache", "packages/metrics", "packages/connections", "packages/streaming", "packages/semantic", "packages/resources", "packages/scheduler", "packages/mcp", "packages/runtime", "services/server"]

let scratch: string
let app: string

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "tenfold-pack-"))
  const tarballs = join(scratch, "tarballs")
  mkdirSync(tarballs)
  // the vitest global setup has just built every package; packing runs no script
  await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", tarballs, ...workspaces.flatMap((w) => ["--workspace", w])], { cwd: root })
  app = join(scratch, "app")
  cpSync(join(root, "examples/embed"), app, { recursive: true })
  const files = readdirSync(tarballs).map((file) => join(tarballs, file))
  expect(files).toHaveLength(workspaces.length)
  await run("npm", ["install", ...files, "--no-package-lock", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app })
}, 120_000)

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Starts the example on a free port and resolves with its URL once it says where it listens. */
const startExample = () =>
  new Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; stderr: () => string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["server.ts"], {
      cwd: app,
      env: { ...process.env, PORT: "0", XDG_CACHE_HOME: join(scratch, "cache") },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let stdout = ""
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)))
    child.stdout.on("data", (d: Buffer) => void (stdout += d))
    child.stderr.on("data", (d: Buffer) => {
      stderr += d
      const url = /listening on (\S+)/.exec(stderr)?.[1]
      if (url !== undefined) resolve({ child, url, exited, stderr: () => stderr + stdout })
    })
    void exited.then((code) => reject(new Error(`the example exited (${code}) before listening: ${stderr}${stdout}`)))
  })

describe("the packed packages installed into a fresh project", () => {
  it("install no workspace link: every @tenfold package is a copy with built JavaScript and types", async () => {
    const { stdout } = await run(process.execPath, [
      "--input-type=module",
      "-e",
      `import { realpathSync } from "node:fs"
       const names = ["executor", "cache", "mcp", "runtime", "server"]
       console.log(JSON.stringify(names.map((n) => [realpathSync("node_modules/@tenfold/" + n), import.meta.resolve("@tenfold/" + n)])))`
    ], { cwd: app })
    for (const [real, resolved] of JSON.parse(stdout) as Array<[string, string]>) {
      expect(real.startsWith(app)).toBe(true)
      expect(resolved).toMatch(/\/dist\/index\.js$/)
    }
    expect(readdirSync(join(app, "node_modules/@tenfold/runtime/dist"))).toEqual(expect.arrayContaining(["index.js", "index.d.ts", "index.js.map"]))
  })

  it("runs examples/embed: its tool answers over HTTP, SIGTERM stops it cleanly", async () => {
    const server = await startExample()
    const client = new Client({ name: "pack-test", version: "1.0.0" })
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)))
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).toEqual(["convert_length"])
      const result = await client.callTool({ name: "convert_length", arguments: { value: 1, from: "mi", to: "km" } })
      expect(result.structuredContent).toEqual({ value: 1.609344, unit: "km", text: "1 mi = 1.609344 km" })
      await expect(client.callTool({ name: "convert_length", arguments: { value: 1, from: "mi", to: "parsec" } })).rejects.toThrow(/to/)
    } finally {
      await client.close()
    }
    server.child.kill("SIGTERM")
    expect(await server.exited).toBe(0)
    expect(server.stderr()).toContain("stopped")
  })

  it("installs a tenfold binary that the pinned Node runs", async () => {
    const { stdout } = await run(process.execPath, [join(app, "node_modules/.bin/tenfold"), "--version"], { cwd: scratch })
    expect(stdout).toBe("tenfold 0.1.0\n")
  })

  it.skipIf(olderNode === undefined)("started by an older Node with no newer one beside it, says in one line which Node it needs", async () => {
    const result = await run(olderNode!.path, [join(app, "node_modules/.bin/tenfold"), "--stdio"], { cwd: scratch }).catch((e: { code: number; stdout: string; stderr: string }) => e)
    expect("code" in result ? result.code : 0).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("needs Node >= 22.13")])
    expect(result.stderr).toContain(`Node ${olderNode!.version}`)
  })
})
