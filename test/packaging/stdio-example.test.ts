/**
 * examples/stdio: each client configuration, with /path/to/tenfold replaced by this checkout,
 * launched the way Claude Desktop, Cursor and VS Code launch it — the command by its absolute
 * path, a working directory outside the repository, the client's small environment and a PATH
 * without npm's node_modules/.bin (so `node` is the machine's own, which may be older than Tenfold
 * needs) — lists tools through the SDK client, and writes nothing but JSON-RPC to stdout.
 */
import { Client } from "@modelcontextprotocol/client"
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { clientPath, olderNode } from "./support.ts"

const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "")
const exampleDir = join(root, "examples/stdio")
const scratch = mkdtempSync(join(tmpdir(), "tenfold-stdio-example-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface Launch {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** The server entry of a client configuration file, with the placeholder path made real. */
const launchOf = (file: string): Launch => {
  const config = JSON.parse(readFileSync(join(exampleDir, file), "utf8").replaceAll("/path/to/tenfold", root))
  const entry = (config.mcpServers ?? config.servers).tenfold
  return { command: entry.command, args: entry.args }
}

const configs = readdirSync(exampleDir).filter((file) => file.endsWith(".json"))

/** The MCP Inspector's launcher (a devDependency), run in its CLI mode. */
const inspector = fileURLToPath(import.meta.resolve("@modelcontextprotocol/inspector/package.json")).replace(/package\.json$/, "clients/launcher/build/index.js")

/** What a desktop client gives the server: a few variables, and a cache directory of its own here. */
const clientEnv = () => ({ ...getDefaultEnvironment(), PATH: clientPath, XDG_CACHE_HOME: join(scratch, "cache") })

describe.each(configs)("examples/stdio/%s", (file) => {
  const launch = launchOf(file)

  it("names an absolute command and starts from a directory outside the repository", () => {
    expect(launch.command.startsWith("/")).toBe(true)
    expect(launch.args).toContain("--stdio")
  })

  it("initializes and lists tools through the SDK client", async () => {
    const cwd = mkdtempSync(join(scratch, "cwd-"))
    const transport = new StdioClientTransport({ command: launch.command, args: [...launch.args], cwd, env: clientEnv(), stderr: "pipe" })
    const stderr: Array<string> = []
    transport.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()))
    const client = new Client({ name: "stdio-example-test", version: "1.0.0" })
    await client.connect(transport)
    try {
      expect(client.getServerVersion()?.name).toBe("tenfold")
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).toContain("text_stats")
    } finally {
      await client.close()
    }
    expect(stderr.join("")).not.toContain("bad option")
  })

  it("lists tools with the MCP Inspector (its CLI mode, launching the snippet's command)", async () => {
    const cwd = mkdtempSync(join(scratch, "cwd-"))
    const child = spawn(process.execPath, [inspector, "--cli", launch.command, ...launch.args, "--method", "tools/list"], {
      cwd,
      env: clientEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d))
    child.stderr.on("data", (d: Buffer) => void (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    expect(code, stderr).toBe(0)
    const listed = JSON.parse(stdout) as { tools: Array<{ name: string }> }
    expect(listed.tools.map((t) => t.name)).toContain("text_stats")
  })

  it("writes only JSON-RPC lines to stdout and exits 0 when stdin closes", async () => {
    const cwd = mkdtempSync(join(scratch, "cwd-"))
    const child = spawn(launch.command, launch.args, { cwd, env: clientEnv(), stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const initialize = { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } }
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: initialize })}\n`)
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`)
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`)
    child.stdin.end()
    expect(await exited).toBe(0)
    const lines = stdout.split("\n").filter((line) => line !== "")
    expect(lines.map((line) => JSON.parse(line).jsonrpc)).toEqual(["2.0", "2.0"])
    expect(lines.map((line) => JSON.parse(line).id)).toEqual([1, 2])
  })
})

describe.skipIf(olderNode === undefined)(`started by the machine's older Node (${olderNode?.version})`, () => {
  it("runs itself again with the pinned Node: answers, forwards SIGTERM and exits 0", async () => {
    const bin = join(root, "services/server/bin/tenfold.js")
    const child = spawn(olderNode!.path, [bin, "--stdio"], { cwd: scratch, env: clientEnv(), stdio: ["pipe", "pipe", "pipe"] })
    const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)))
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} } } })}\n`)
    const first = await Promise.race([
      new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString()))),
      exited.then((code) => Promise.reject(new Error(`exited (${String(code)}) before answering`)))
    ])
    expect(JSON.parse(first).result.tools.map((t: { name: string }) => t.name)).toContain("text_stats")
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  })

  it("passes on the exit code and the message of a bad flag", async () => {
    const bin = join(root, "services/server/bin/tenfold.js")
    const child = spawn(olderNode!.path, [bin, "--bogus"], { cwd: scratch, env: clientEnv(), stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => void (stderr += d))
    expect(await new Promise((resolve) => child.on("exit", (code) => resolve(code)))).toBe(2)
    expect(stderr).toContain("--bogus")
  })
})
