/**
 * What the benchmarks share: free loopback ports, benchmark servers as child processes (started on
 * a free port, stopped — even when the benchmark fails or is interrupted), 2026-07-28 MCP requests,
 * checking an answer is a JSON-RPC success, autocannon runs, text tables and results files.
 */
import autocannon, { type Result } from "autocannon"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { cpus } from "node:os"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const children = new Set<ChildProcess>()
const exitHooks = new Set<() => void>()

/**
 * Runs `hook` (synchronously) if the process exits before `remove` is called: for whatever a
 * benchmark starts besides its servers (a redis-server), so nothing outlives a failed run.
 */
export const onExit = (hook: () => void): (() => void) => {
  exitHooks.add(hook)
  return () => void exitHooks.delete(hook)
}

process.on("exit", () => {
  children.forEach((child) => child.kill("SIGKILL"))
  for (const hook of exitHooks) {
    try {
      hook()
    } catch {
      // the others must still run
    }
  }
})
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130))

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

/**
 * Spawns bench/servers/<file> on a free loopback port (with `env` added to the environment) and
 * resolves its URL once it prints `ready <url>`.
 */
export const startServer = async (file: string, env: Record<string, string> = {}) => {
  const port = await freePort()
  const child = spawn(process.execPath, [fileURLToPath(new URL(`servers/${file}`, import.meta.url)), String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env }
  })
  children.add(child)
  child.once("exit", () => children.delete(child))
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} not ready after 30 s`)), 30_000)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${file} exited (${signal ?? code}) before it was ready`))
    })
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const url = /^ready (\S+)/.exec(line)?.[1]
      if (url === undefined) return
      clearTimeout(timer)
      if (child.pid !== undefined) pids.set(url, child.pid)
      resolve(url)
    })
  })
}

/** The process of each started server, by the URL it announced. */
const pids = new Map<string, number>()

/**
 * CPU time (user + system, seconds) the server at `url` has used so far, from `/proc` (Linux;
 * undefined elsewhere). Unlike requests/s, CPU per request hardly moves when other processes
 * compete for the cores, so it measures what a server does per request on a busy machine.
 */
export const serverCpuSeconds = (url: string): number | undefined => {
  const pid = pids.get(url)
  if (pid === undefined) return undefined
  try {
    // fields after "(comm) ": state is the 1st, utime the 12th, stime the 13th, in clock ticks (100/s)
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/** Ends a server: SIGTERM, then SIGKILL if it has not exited within 5 s. */
const stopServer = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("exit", () => (clearTimeout(timer), resolve()))
    child.kill("SIGTERM")
  })

/** Ends every server started with {@link startServer}. */
export const stopServers = () => Promise.all([...children].map(stopServer))

export interface McpRequest {
  readonly method: string
  readonly headers: Record<string, string>
  readonly body: string
}

const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} }

/** A 2026-07-28 stateless request (headers and `_meta` envelope) with id 1. */
export const mcpRequest = (method: string, params: object, name?: string): McpRequest => ({
  method,
  headers: {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": method,
    ...(name === undefined ? {} : { "mcp-name": name })
  },
  body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: meta } })
})

/** Sends one request and checks it is a JSON-RPC success for id 1; returns the body to compare servers' bytes. */
export const verify = async (url: string, request: McpRequest) => {
  const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body })
  const text = await response.text()
  const message = (() => { try { return JSON.parse(text) } catch { return undefined } })()
  if (response.status !== 200 || message?.jsonrpc !== "2.0" || message.id !== 1 || message.result === undefined) {
    throw new Error(`${url} ${request.method}: expected a JSON-RPC success, got ${response.status} ${text}`)
  }
  return text
}

/**
 * One autocannon run of `request` against `url` with `connections` connections; notes in `issues`
 * any error, timeout, reset or non-2xx answer.
 */
export const load = async (url: string, request: McpRequest, seconds: number, label: string, issues: Array<string>, connections: number): Promise<Result> => {
  const result = await autocannon({ url, method: "POST", headers: request.headers, body: request.body, connections, duration: seconds })
  const bad = { errors: result.errors, timeouts: result.timeouts, resets: result.resets, non2xx: result.non2xx }
  if (Object.values(bad).some((n) => n > 0)) issues.push(`${label}: ${JSON.stringify(bad)} status codes ${JSON.stringify(result.statusCodeStats)}`)
  return result
}

/** A text table: the first `leftAligned` columns padded right, the others left (numbers). */
export const formatTable = (columns: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, leftAligned = 2) => {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i < leftAligned ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

/** What the numbers were measured on. */
export const machine = () => ({ node: process.version, cpu: cpus()[0]?.model, cores: cpus().length })

/** Writes `data` as JSON to bench/results/<file>; returns the file's path. */
export const writeResults = (file: string, data: unknown) => {
  const resultsDir = new URL("results/", import.meta.url)
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(new URL(file, resultsDir), JSON.stringify(data, null, 2) + "\n")
  return fileURLToPath(new URL(file, resultsDir))
}

/** The value at fraction `p` (0..1) of an ascending sample, nearest rank; 0 for an empty one. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
