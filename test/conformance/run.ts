/**
 * `npm run conformance`: serves the Tenfold conformance fixture on a free loopback port and runs
 * the official suite against it for both revisions (`--requirements 2026-07-28` and
 * `--requirements 2025-11-25`). Exits non-zero on any failure not listed in expected-failures.yaml.
 * The suite runs the `tasks-*` scenarios (the io.modelcontextprotocol/tasks extension) without
 * scoring them; Tenfold implements the extension, so they are required here too.
 */
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const REVISIONS = ["2026-07-28", "2025-11-25"] as const
const root = fileURLToPath(new URL("../../", import.meta.url))
const suite = fileURLToPath(import.meta.resolve("@modelcontextprotocol/conformance/package.json")).replace(/package\.json$/, "dist/index.js")
const baseline = fileURLToPath(new URL("./expected-failures.yaml", import.meta.url))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const waitForReady = async (url: string) => {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url, { method: "GET" })
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`fixture did not start at ${url}`)
}

const run = (args: ReadonlyArray<string>, echo = true) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn(process.execPath, [suite, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (d: Buffer) => {
      output += d
      if (echo) process.stdout.write(d)
    })
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d))
    child.on("close", (code) => resolve({ code: code ?? 1, output }))
  })

/** The scenarios a revision's --requirements set scores (server side). */
const requiredScenarios = async (revision: string) => {
  const { output } = await run(["list", "--server", "--requirements", revision], false)
  const serverPart = output.split(/^Client scenarios/m)[0] ?? ""
  return new Set([...serverPart.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]!))
}

/** Scenarios the suite runs without scoring that Tenfold requires anyway: the tasks extension it implements. */
const alsoRequired = (scenario: string) => scenario.startsWith("tasks-")

const port = await freePort()
const url = `http://127.0.0.1:${port}/mcp`
const fixture = spawn(process.execPath, ["test/fixture/serve.ts", "--port", String(port)], { cwd: root, stdio: ["ignore", "inherit", "inherit"] })
let passed = 0
let failed = 0
try {
  await waitForReady(url)
  for (const revision of REVISIONS) {
    console.log(`\n=== conformance --requirements ${revision} ===`)
    const { code, output } = await run(["server", "--url", url, "--requirements", revision, "--expected-failures", baseline])
    const required = await requiredScenarios(revision)
    const scored = [...output.matchAll(/^([✓✗]) ([^:\s]+):/gm)].filter((m) => required.has(m[2]!) || alsoRequired(m[2]!))
    const ok = scored.filter((m) => m[1] === "✓").length
    const bad = scored.length - ok
    const extension = scored.filter((m) => alsoRequired(m[2]!))
    console.log(`conformance ${revision}: exit ${code}, ${ok} required scenarios passed, ${bad} failed` +
      (extension.length === 0 ? "" : ` (of them tasks-*: ${extension.filter((m) => m[1] === "✓").length} passed, ${extension.filter((m) => m[1] === "✗").length} failed)`))
    const unscoredFailures = [...output.matchAll(/^✗ ([^:\s]+):/gm)].map((m) => m[1]!).filter((name) => !required.has(name) && !alsoRequired(name))
    if (unscoredFailures.length > 0) console.log(`not scored, failing: ${unscoredFailures.join(", ")}`)
    passed += ok
    if (code !== 0 || bad > 0) failed += Math.max(bad, 1)
  }
} finally {
  fixture.kill("SIGTERM")
}
console.log(`\nconformance: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
