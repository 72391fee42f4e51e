/**
 * One memory case of `npm run bench:connections`, run in a process of its own so each starts from
 * the same heap: reads BENCH_BYTES from `<upstream>/large` through Tenfold's ConnectionPool, either
 * as a `stream` (chunks counted and dropped) or with `request` (the whole body held), sampling RSS
 * every 10 ms. Prints one JSON line: { mode, bytes, baselineRss, peakRss, ms }.
 * Usage: node bench/connections-memory.ts <stream|request> <upstream url>
 */
import { ConnectionPool } from "@tenfold/connections"
import { Effect, Stream } from "effect"

const [mode, upstream] = process.argv.slice(2) as ["stream" | "request", string]
const bytes = Number(process.env.BENCH_BYTES ?? 512 * 1024 * 1024)
const url = `${upstream}/large?bytes=${bytes}`

const read = ConnectionPool.use((pool) =>
  mode === "stream"
    ? Effect.scoped(Effect.flatMap(pool.stream({ url }), (response) =>
      Stream.runFold(response.body, () => 0, (n, chunk) => n + chunk.byteLength)))
    : Effect.map(pool.request({ url, maxBytes: bytes, timeoutMs: 600_000 }), (response) => response.body.byteLength)
)

globalThis.gc?.()
const baselineRss = process.memoryUsage.rss()
let peakRss = baselineRss
const sampler = setInterval(() => void (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10)
const started = performance.now()
const received = await Effect.runPromise(read.pipe(Effect.provide(ConnectionPool.layer())))
const ms = performance.now() - started
clearInterval(sampler)
peakRss = Math.max(peakRss, process.memoryUsage.rss())
if (received !== bytes) throw new Error(`received ${received} of ${bytes} bytes`)
console.log(JSON.stringify({ mode, bytes, baselineRss, peakRss, ms }))
