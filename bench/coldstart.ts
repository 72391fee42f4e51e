/**
 * `npm run bench:coldstart`: how long a freshly spawned `tenfold` takes to give its first answer —
 * over HTTP (spawn → first successful `tools/list`) and over stdio (spawn → the `initialize`
 * answer, what an MCP client waits for on every launch; and, when the machine's own `node` is
 * older than 22.13, started by it, so re-running itself with the pinned Node) — beside a bare
 * `node:http` server's start (spawn → first answer) in the same run. Runs are interleaved; each run of the binary gets
 * its own L4 directory, and all of them share one empty user cache directory, so the first run
 * fills Node's compile cache and the others use it as a user's second launch would.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { olderNode } from "../test/packaging/support.ts"
import { formatTable, freePort, machine, mcpRequest, writeResults } from "./support.ts"

const runs = Number(process.env.BENCH_RUNS ?? 10)
const bin = process.env.BENCH_BIN ?? fileURLToPath(new URL("../services/server/bin/tenfold.js", import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), "tenfold-coldstart-"))
const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(scratch, "user-cache") }
delete env.NODE_COMPILE_CACHE
const bareServer = join(scratch, "bare.mjs")
writeFileSync(bareServer, `import { createServer } from "node:http"
createServer((req, res) => req.resume().on("end", () => res.end("{}"))).listen(Number(process.argv[2]), "127.0.0.1")
`)
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }))

const listRequest = mcpRequest("tools/list", {})
const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "coldstart", version: "1" } }
})

/** Keeps what a child writes to stderr, to show only when it fails. */
const collect = (stream: NodeJS.ReadableStream) => {
  let text = ""
  stream.on("data", (chunk: Buffer) => void (text += chunk))
  return () => text
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `url` until it answers 200 with a JSON-RPC result (or, for the bare server, anything 200). */
const firstAnswer = async (url: string, request: typeof listRequest | undefined, deadline: number) => {
  for (;;) {
    try {
      const response = await fetch(url, request === undefined ? {} : { method: "POST", headers: request.headers, body: request.body })
      const text = await response.text()
      if (response.status === 200 && (request === undefined || JSON.parse(text).result !== undefined)) return
      throw new Error(`answered ${response.status}: ${text}`)
    } catch (e) {
      if ((e as { cause?: { code?: string } }).cause?.code !== "ECONNREFUSED") throw e
      if (performance.now() > deadline) throw new Error(`${url}: no answer within 30 s`)
      await sleep(1)
    }
  }
}

/** Spawns a server listening on a free port and measures spawn → first answer in ms; then stops it. */
const timeHttp = async (args: (port: number, cacheDir: string) => ReadonlyArray<string>, request: typeof listRequest | undefined) => {
  const port = await freePort()
  const cacheDir = mkdtempSync(join(scratch, "l4-"))
  const start = performance.now()
  const child = spawn(process.execPath, args(port, cacheDir), { stdio: ["ignore", "ignore", "pipe"], env })
  const stderr = collect(child.stderr)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  try {
    await Promise.race([
      firstAnswer(`http://127.0.0.1:${port}/mcp`, request, start + 30_000),
      exited.then(() => Promise.reject(new Error(`${args(port, cacheDir).join(" ")} exited before answering: ${stderr()}`)))
    ])
    return performance.now() - start
  } finally {
    child.kill("SIGTERM")
    await exited
  }
}

/** Spawns `tenfold --stdio`, writes `initialize` at once and measures spawn → its answer in ms. */
const timeStdio = async (node = process.execPath) => {
  const cacheDir = mkdtempSync(join(scratch, "l4-"))
  const start = performance.now()
  const child = spawn(node, [bin, "--stdio", "--cache-dir", cacheDir], { stdio: ["pipe", "pipe", "pipe"], env })
  const stderr = collect(child.stderr)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.stdin.write(`${initialize}\n`)
  let stdout = ""
  const elapsed = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk
      if (!stdout.includes("\n")) return
      const answer = JSON.parse(stdout.slice(0, stdout.indexOf("\n")))
      if (answer.id === 0 && answer.result !== undefined) resolve(performance.now() - start)
      else reject(new Error(`unexpected first line: ${stdout}`))
    })
    void exited.then(() => reject(new Error(`tenfold --stdio exited before answering: ${stderr()}`)))
  })
  child.stdin.end()
  await exited
  return elapsed
}

const cases = [
  { name: "bare node:http (spawn → first answer)", run: () => timeHttp((port) => [bareServer, String(port)], undefined) },
  {
    name: "tenfold HTTP (spawn → first tools/list)",
    run: () => timeHttp((port, cacheDir) => [bin, "--port", String(port), "--cache-dir", cacheDir], listRequest)
  },
  { name: "tenfold stdio (spawn → initialize answer)", run: () => timeStdio() },
  ...(olderNode === undefined ? [] : [{ name: `tenfold stdio started by Node ${olderNode.version} (re-runs itself)`, run: () => timeStdio(olderNode!.path) }])
]

const samples = cases.map(() => [] as Array<number>)
for (let round = 0; round < runs; round++) {
  for (const [i, c] of cases.entries()) samples[i]!.push(await c.run())
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const rows = cases.map((c, i) => {
  const [first, ...rest] = samples[i]!
  const warm = rest.length > 0 ? rest : [first!]
  return { name: c.name, firstMs: first!, medianMs: median(warm), minMs: Math.min(...warm), maxMs: Math.max(...warm) }
})
const bare = rows[0]!.medianMs
const ms = (x: number) => x.toFixed(0)
console.log(`cold start, ${runs} interleaved runs each (first run: empty compile cache; median/min/max of the others)\n`)
console.log(formatTable(
  ["case", "first ms", "median ms", "min ms", "max ms", "× bare"],
  rows.map((r) => [r.name, ms(r.firstMs), ms(r.medianMs), ms(r.minMs), ms(r.maxMs), (r.medianMs / bare).toFixed(2)]),
  1
))
const file = writeResults("coldstart.json", { date: new Date().toISOString(), machine: machine(), runs, bin, rows, samples: Object.fromEntries(cases.map((c, i) => [c.name, samples[i]])) })
console.log(`\nresults: ${file}`)
