/**
 * The `tenfold` binary as a user runs it: --help, bad flags, serving on a port, a clean stop on
 * SIGTERM, and nothing but JSON-RPC on stdout in --stdio mode.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { startHttp } from "../support/TenfoldProcess.ts"
import { modernBody, modernHeaders, raw } from "./support.ts"

const bin = fileURLToPath(new URL("../../services/server/bin/tenfold.js", import.meta.url))

// the binary keeps its L4 cache in the user cache directory: here, one of the test's own
const xdgCacheHome = mkdtempSync(join(tmpdir(), "tenfold-binary-"))
afterAll(() => rmSync(xdgCacheHome, { recursive: true, force: true }))
const baseEnv = { ...process.env, XDG_CACHE_HOME: xdgCacheHome }

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...baseEnv, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d))
    child.stderr.on("data", (d: Buffer) => void (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe("the tenfold binary", () => {
  it("prints help that lists the flags and environment variables", async () => {
    const { code, stdout } = await run(["--help"])
    expect(code).toBe(0)
    for (const flag of ["--port", "--host", "--stdio", "--config", "--version", "TENFOLD_PORT"]) expect(stdout).toContain(flag)
  })

  it("prints its version", async () => {
    const { code, stdout } = await run(["--version"])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^tenfold \d+\.\d+\.\d+\n$/)
  })

  it("rejects a bad flag and a bad value with exit code 2 and a message naming them", async () => {
    const unknown = await run(["--bogus"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("--bogus")
    const badPort = await run(["--port", "99999"])
    expect(badPort.code).toBe(2)
    expect(badPort.stderr).toContain("port")
    const badEnv = await run([], { TENFOLD_MAX_BODY_BYTES: "lots" })
    expect(badEnv.code).toBe(2)
    expect(badEnv.stderr).toContain("maxBodyBytes")
  })

  it("serves MCP over HTTP and stops cleanly on SIGTERM", async () => {
    const { child, url, exited: exit } = await startHttp({ env: baseEnv })
    const r = await raw(url, { headers: modernHeaders("tools/call", "text_stats"), body: modernBody(1, "tools/call", { name: "text_stats", arguments: { text: "a b c" } }) })
    expect(JSON.parse(r.body).result.structuredContent.words).toBe(3)
    child.kill("SIGTERM")
    expect(await exit).toBe(0)
  })

  it("says where it listens and which cache tiers are on, keeps L4 in the user cache directory, and says when it stops", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tenfold-cwd-"))
    try {
      const child = spawn(process.execPath, [bin, "--port", "0"], { cwd, env: baseEnv })
      const exit = new Promise<number | null>((r) => child.on("close", r))
      let stderr = ""
      child.stderr.on("data", (d: Buffer) => void (stderr += d))
      await expect.poll(() => stderr, { timeout: 10_000 }).toContain("serving MCP on http://127.0.0.1:")
      expect(stderr).toContain(`cache: L1 memory (64 MiB), L4 SQLite in ${join(xdgCacheHome, "tenfold")}`)
      expect(existsSync(join(xdgCacheHome, "tenfold"))).toBe(true)
      expect(existsSync(join(cwd, ".tenfold"))).toBe(false)
      child.kill("SIGTERM")
      expect(await exit).toBe(0)
      expect(stderr).toMatch(/shutting down[^\n]*\n(.*\n)*tenfold stopped\n/)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })

  it("warns once at start when bound beyond loopback without tokens, and keeps Host checks on", async () => {
    const open = await startHttp({ args: ["--host", "0.0.0.0"], env: baseEnv })
    try {
      const warnings = open.stderr().split("\n").filter((line) => line.includes("warning"))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("without bearer tokens")
      const url = open.url.replace("0.0.0.0", "127.0.0.1")
      const foreign = await raw(url, { headers: { ...modernHeaders("tools/list"), host: "attacker.example" }, body: modernBody(1, "tools/list") })
      expect(foreign.status).toBe(403)
    } finally {
      await open.stop()
    }
    const secured = await startHttp({ args: ["--host", "0.0.0.0"], env: { ...baseEnv, TENFOLD_TOKENS: "t=alice" } })
    await secured.stop()
    expect(secured.stderr()).not.toContain("warning")
  })

  it("writes nothing but JSON-RPC lines to stdout in --stdio mode", async () => {
    const child = spawn(process.execPath, [bin, "--stdio"], { env: baseEnv })
    let stdout = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d))
    const closed = new Promise<number | null>((r) => child.on("close", r))
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })}\n`)
    child.stdin.write("this is not json\n")
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "text_stats", arguments: { text: "x y" } } })}\n`)
    child.stdin.end()
    expect(await closed).toBe(0)
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l))
    expect(lines.map((l) => l.id)).toEqual([1, null, 2])
    expect(lines[1].error.code).toBe(-32700)
    expect(lines[2].result.structuredContent.words).toBe(2)
  })
})
