/**
 * `npm run bench:connections`: outbound HTTP against one local upstream (bench/servers/upstream.ts,
 * a child process), in one run:
 *
 * 1. Throughput of `GET /small` (1 KiB) at BENCH_CONCURRENCY (50) requests in flight, BENCH_REQUESTS
 *    (10000) timed per round after BENCH_WARMUP (5000) untimed ones on the same pool (the JIT warms
 *    the Effect path more slowly than a bare loop): Tenfold's `ConnectionPool.request` (pooled,
 *    keep-alive), undici's `Pool` alone (the same sockets without Effect), the global `fetch()`
 *    (undici's keep-alive agent), and a new connection per request (`node:http` with
 *    `agent: false`; 3000 timed after 1000, to stay within the ephemeral ports). Requests/s, p50,
 *    p99, the TCP connections the upstream accepted, and this process's CPU time per request (the
 *    least of the rounds: the client's own cost, steadier than wall time on a busy machine).
 *    Rounds (BENCH_ROUNDS, 3) are interleaved, the order reversed each round; the best round per
 *    variant counts (noise only slows a run down).
 * 2. Memory: the peak RSS growth while reading a large body through the pool, each case in a
 *    fresh process (bench/connections-memory.ts): `stream` of BENCH_STREAM_MB (1024) MiB and of
 *    256 MiB, against `request` holding 256 MiB.
 *
 * Prints tables and writes every number to bench/results/connections.json.
 */
import { ConnectionPool } from "@tenfold/connections"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { get } from "node:http"
import { fileURLToPath } from "node:url"
import { Pool } from "undici"
import { formatTable, machine, startServer, stopServers, writeResults, percentile } from "./support.ts"

const requests = Number(process.env.BENCH_REQUESTS ?? 10_000)
const warmup = Number(process.env.BENCH_WARMUP ?? 5000)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const streamMiB = Number(process.env.BENCH_STREAM_MB ?? 1024)

/** Latencies (ms) of `n` calls of `call`, `c` at a time. */
const concurrently = async (n: number, c: number, call: () => Promise<unknown>) => {
  const latencies: Array<number> = []
  let started = 0
  const worker = async () => {
    while (started < n) {
      started++
      const t0 = performance.now()
      await call()
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: c }, worker))
  return latencies
}

/** What one variant's timed part measured: latencies, wall time, and this process's CPU time (the client's cost, which a busy machine disturbs far less than wall time). */
interface Timed {
  readonly latencies: Array<number>
  readonly seconds: number
  readonly cpuMicros: number
}

const cpuMicros = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return used.user + used.system
}

/** Times `n` calls of `call`, `c` at a time, after `warm` untimed ones. */
const timed = async (warm: number, n: number, c: number, call: () => Promise<unknown>): Promise<Timed> => {
  await concurrently(warm, c, call)
  const started = performance.now()
  const cpu = process.cpuUsage()
  const latencies = await concurrently(n, c, call)
  return { latencies, seconds: (performance.now() - started) / 1000, cpuMicros: cpuMicros(cpu) }
}

/** One variant: `warm` untimed requests, then `n` timed ones, `c` at a time, on one pool (or none). */
interface Variant {
  readonly name: string
  readonly run: (url: string, warm: number, n: number, c: number) => Promise<Timed>
}

/** GET `url` on a connection of its own (closed after the response); resolves with the body as text. */
const getOnce = (url: string) =>
  new Promise<string>((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = ""
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve(text)).on("error", reject)
    }).on("error", reject)
  })

const variants: ReadonlyArray<Variant> = [
  {
    name: "Tenfold ConnectionPool",
    run: (url, warm, n, c) => {
      const origin = new URL(url).origin
      const program = ConnectionPool.use((pool) =>
        Effect.gen(function*() {
          const one = pool.request({ url: `${url}/small` })
          const batch = (count: number, latencies?: Array<number>) =>
            Effect.forEach(Array.from({ length: count }), () =>
              Effect.suspend(() => {
                const t0 = performance.now()
                return Effect.map(one, () => void latencies?.push(performance.now() - t0))
              }), { concurrency: c, discard: true })
          yield* batch(warm)
          const latencies: Array<number> = []
          const started = performance.now()
          const cpu = process.cpuUsage()
          yield* batch(n, latencies)
          return { latencies, seconds: (performance.now() - started) / 1000, cpuMicros: cpuMicros(cpu) }
        })
      )
      // the origin may hold as many connections as the benchmark keeps in flight, as the others do
      return Effect.runPromise(program.pipe(Effect.provide(ConnectionPool.layer({ origins: { [origin]: { perHost: c, connections: c } } }))))
    }
  },
  {
    name: "undici Pool (no Effect)",
    run: async (url, warm, n, c) => {
      const pool = new Pool(new URL(url).origin, { connections: c })
      const result = await timed(warm, n, c, () => pool.request({ path: "/small", method: "GET" }).then((r) => r.body.arrayBuffer()))
      await pool.close()
      return result
    }
  },
  {
    name: "fetch()",
    run: (url, warm, n, c) => timed(warm, n, c, () => fetch(`${url}/small`).then((r) => r.arrayBuffer()))
  },
  {
    name: "new connection per request",
    // fewer, so the rounds stay within the ephemeral ports a closed connection holds in TIME_WAIT
    run: (url, warm, n, c) => timed(Math.min(warm, 1000), Math.min(n, 3000), c, () => getOnce(`${url}/small`))
  }
]


interface Throughput {
  readonly variant: string
  readonly round: number
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** This process's CPU time per request (user + system), in microseconds. */
  readonly cpuMicrosPerRequest: number
  readonly connections: number
}

const measure = async (url: string, variant: Variant, round: number): Promise<Throughput> => {
  await getOnce(`${url}/connections`)
  const { latencies, seconds, cpuMicros } = await variant.run(url, warmup, requests, concurrency)
  const connections = Number(await getOnce(`${url}/connections`)) - 1 // its own connection counted
  const sorted = latencies.sort((a, b) => a - b)
  return {
    variant: variant.name,
    round,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuMicrosPerRequest: cpuMicros / latencies.length,
    connections
  }
}

interface Memory {
  readonly mode: "stream" | "request"
  readonly bytes: number
  readonly baselineRss: number
  readonly peakRss: number
  readonly ms: number
}

const memoryCase = (url: string, mode: "stream" | "request", mib: number) =>
  new Promise<Memory>((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("connections-memory.ts", import.meta.url)), mode, url], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_BYTES: String(mib * 1024 * 1024) }
    })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as Memory) : reject(new Error(`memory case ${mode} ${mib} MiB exited with ${code}`))))
  })

const MiB = 1024 * 1024
const fixed = (n: number, digits = 1) => n.toFixed(digits)

try {
  const url = await startServer("upstream.ts")
  const all: Array<Throughput> = []
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? variants : [...variants].reverse()
    for (const variant of order) all.push(await measure(url, variant, round))
  }
  const roundsOf = (v: Variant) => all.filter((t) => t.variant === v.name)
  const best = variants.map((v) => roundsOf(v).reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a)))
  const leastCpu = variants.map((v) => Math.min(...roundsOf(v).map((t) => t.cpuMicrosPerRequest)))
  const pooled = best[0]!
  console.log(`\nGET 1 KiB, ${requests} timed requests per round after ${warmup} untimed (new connections: 3000 after 1000), ${concurrency} in flight, best of ${rounds} rounds\n`)
  console.log(formatTable(
    ["variant", "requests/s", "p50 ms", "p99 ms", "vs Tenfold", "client CPU µs/request", "TCP connections"],
    best.map((t, i) => [
      t.variant,
      fixed(t.requestsPerSecond, 0),
      fixed(t.p50Ms, 2),
      fixed(t.p99Ms, 2),
      fixed(t.requestsPerSecond / pooled.requestsPerSecond, 2),
      fixed(leastCpu[i]!, 0),
      String(t.connections)
    ]),
    1
  ))

  const memory: Array<Memory> = []
  for (const [mode, mib] of [["stream", streamMiB], ["stream", 256], ["request", 256]] as const) memory.push(await memoryCase(url, mode, mib))
  console.log(`\nreading a large body through the pool, each case in a fresh process\n`)
  console.log(formatTable(
    ["mode", "body MiB", "peak RSS growth MiB", "MiB/s"],
    memory.map((m) => [m.mode, fixed(m.bytes / MiB, 0), fixed((m.peakRss - m.baselineRss) / MiB), fixed(m.bytes / MiB / (m.ms / 1000), 0)]),
    1
  ))
  const file = writeResults("connections.json", { machine: machine(), requests, warmup, concurrency, rounds, throughput: all, best, memory })
  console.log(`\nresults: ${file}`)
} finally {
  await stopServers()
}
