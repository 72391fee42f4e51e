/**
 * The overload benchmark of issue 9, and the cost of admission on the hot path.
 *
 * 1. Admission cost, in process: µs per `ToolExecutor.run` of a tool that answers at once, with
 *    (a) the counting admission (the executor's default), (b) the resource manager for a tool it
 *    does not profile (what every unprofiled tool pays with `resources` on), (c) the resource
 *    manager for a profiled tool (features, prediction, strategy, three pools, tracking,
 *    training), (d) three Effect `Semaphore`s (CPU, memory, network `withPermits`) around the
 *    counting admission — what (c)'s pools would cost as Effect semaphores, before any prediction —
 *    and (e) the same permits from `ResourcePools` (its weighted pools, as (c) uses them).
 * 2. Overload over HTTP: `hold` (50 ms) offered at 10 × capacity (capacity 10 runs, 100
 *    connections in closed loops, each firing its next call as soon as one answers), against
 *    (a) the counting admission (10 running + 10 queued) and (b) the resource manager (10 network
 *    permits + 10 queued per pool). Reports admitted calls' p50/p99, calls shed with ServerBusy
 *    (and whether each carried retryAfterMs), other errors — with clients that retry at once and
 *    with clients that wait the retryAfterMs of a ServerBusy first — an `echo` probe sent meanwhile (the
 *    resource manager leaves unprofiled tools to the counting bound), the server's peak RSS, and
 *    the first call after the load (the server stays up and serves at once).
 *
 * Each admission-cost figure comes from a process of its own (in one process, the second executor
 * measured pays for the first one's inline caches). `npm run bench:scheduler-overload`, or
 * `runOverload()` / `runAdmissionCost()` from another bench. Env: BENCH_DURATION (s of overload, default 10), BENCH_ROUNDS (default 2), BENCH_RUNS
 * (runs per admission-cost round, default 200000). Writes bench/results/scheduler-overload.json.
 */
import { Placement, ToolExecutor } from "@tenfold/executor"
import { ResourceManager, ResourcePools } from "@tenfold/resources"
import { Effect, Layer, Semaphore } from "effect"
import { execFile } from "node:child_process"
import { Agent, request } from "node:http"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { formatTable, machine, mcpRequest, percentile, startServer, stopServers, writeResults } from "./support.ts"

export interface Row {
  readonly case: string
  readonly variant: string
  readonly [figure: string]: string | number | boolean | undefined
}

const duration = Number(process.env.BENCH_DURATION ?? 10)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const runsPerRound = Number(process.env.BENCH_RUNS ?? 200_000)

// ---- 1. admission cost ---------------------------------------------------------------------

const profiledJob = { name: "profiled" }
const plainJob = { name: "plain" }
const args = { limit: 0 }

const managed = ToolExecutor.layer({ defaultTimeoutMs: 0 }).pipe(
  Layer.provide(Layer.merge(ResourceManager.layerAdmission({ monitorIntervalMs: 0, tools: { profiled: { operation: "search" } } }), Placement.layerInProcess))
)
const counting = ToolExecutor.layerDefault({ defaultTimeoutMs: 0 })

/** µs per run of `runs` sequential runs of `job` through the executor of `layer`, each wrapped by `wrap`. */
const timeRuns = (layer: typeof counting, job: { name: string }, wrap: (effect: Effect.Effect<void>) => Effect.Effect<void, unknown>) =>
  Effect.runPromise(Effect.gen(function*() {
    const executor = yield* ToolExecutor
    const run = wrap(Effect.void)
    const start = performance.now()
    for (let i = 0; i < runsPerRound; i++) yield* executor.run(job, args, run)
    return ((performance.now() - start) * 1000) / runsPerRound
  }).pipe(Effect.provide(layer)))

const semaphores = Effect.runSync(Effect.all([Semaphore.make(200), Semaphore.make(1024), Semaphore.make(64)]))
const withSemaphores = (effect: Effect.Effect<void>) => semaphores[0].withPermits(23)(semaphores[1].withPermits(32)(semaphores[2].withPermits(1)(effect)))
const pools = Effect.runSync(ResourcePools.use(Effect.succeed).pipe(Effect.provide(ResourcePools.layer({ cores: 2, memoryBudgetMiB: 1024, networkPermits: 64 }))))
const grant = { strategy: "balanced", cpu: 0.23, memoryMiB: 32, network: 1 } as const
const withPools = (effect: Effect.Effect<void>) => pools.withAllocation(grant, effect)

const costVariants = [
  { variant: "(a) counting admission", run: () => timeRuns(counting, plainJob, (e) => e) },
  { variant: "(b) resource manager, unprofiled tool", run: () => timeRuns(managed, plainJob, (e) => e) },
  { variant: "(c) resource manager, profiled tool", run: () => timeRuns(managed, profiledJob, (e) => e) },
  { variant: "(d) counting + 3 Effect Semaphores", run: () => timeRuns(counting, plainJob, withSemaphores) },
  { variant: "(e) counting + the 3 ResourcePools", run: () => timeRuns(counting, plainJob, withPools) }
]

/** µs per run of one variant, measured in a process of its own (the JIT's view of one executor, as in a server). */
const costInChild = (index: number) =>
  new Promise<number>((resolve, reject) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url), "--cost", String(index)], { env: process.env }, (error, stdout) =>
      error === null ? resolve(Number(stdout.trim().split("\n").at(-1))) : reject(error))
  })

/**
 * Best µs per run of each admission: each round runs every variant in a fresh process (a warm-up
 * pass, then the timed one), rounds interleaved with the order reversed; noise only slows a round down.
 */
export const runAdmissionCost = async (): Promise<Array<Row>> => {
  const best = new Map<string, number>()
  for (let round = 0; round < rounds; round++) {
    const order = costVariants.map((_, i) => i)
    for (const index of round % 2 === 0 ? order : order.reverse()) {
      const us = await costInChild(index)
      best.set(costVariants[index]!.variant, Math.min(best.get(costVariants[index]!.variant) ?? Infinity, us))
    }
  }
  const base = best.get(costVariants[0]!.variant)!
  return costVariants.map(({ variant }) => ({
    case: "admission cost",
    variant,
    usPerRun: Number(best.get(variant)!.toFixed(3)),
    vsCounting: Number((best.get(variant)! / base).toFixed(2))
  }))
}

// ---- 2. overload over HTTP -----------------------------------------------------------------

const CAPACITY = 10
const QUEUE = 10
const CONNECTIONS = 10 * CAPACITY
const HOLD_MS = 50

type Outcome = "ok" | "busy" | "error"

interface Answer {
  readonly outcome: Outcome
  readonly ms: number
  readonly retryAfterMs?: number
}

const holdCall = mcpRequest("tools/call", { name: "hold", arguments: { limit: 0 } }, "hold")
const echoCall = mcpRequest("tools/call", { name: "echo", arguments: { text: "probe" } }, "echo")
const rssCall = mcpRequest("tools/call", { name: "rss", arguments: {} }, "rss")

/** One POST on a keep-alive agent; the answer classified as a result, a ServerBusy (-32000) or anything else. */
const call = (agent: Agent, url: URL, body: typeof holdCall) =>
  new Promise<Answer & { readonly text: string }>((resolve) => {
    const start = performance.now()
    const req = request(url, { method: "POST", agent, headers: { ...body.headers, "content-length": Buffer.byteLength(body.body) } }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const ms = performance.now() - start
        const text = Buffer.concat(chunks).toString()
        try {
          const message = JSON.parse(text) as { result?: { isError?: boolean }; error?: { code: number; data?: { retryAfterMs?: number } } }
          if (message.result !== undefined && message.result.isError !== true) return resolve({ outcome: "ok", ms, text })
          if (message.error?.code === -32000) return resolve({ outcome: "busy", ms, text, retryAfterMs: message.error.data?.retryAfterMs })
        } catch {
          // not JSON: counted as an error
        }
        resolve({ outcome: "error", ms, text })
      })
    })
    req.on("error", (e) => resolve({ outcome: "error", ms: performance.now() - start, text: String(e) }))
    req.end(body.body)
  })

/**
 * `connections` closed loops of `hold` for `seconds` — each firing its next call at once, or, with
 * `honour`, after the `retryAfterMs` of a ServerBusy — and an echo probe every 50 ms meanwhile.
 */
const overload = async (url: URL, seconds: number, honour: boolean) => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS + 1 })
  const answers: Array<Answer> = []
  const probes: Array<Answer> = []
  const until = performance.now() + seconds * 1000
  const loop = async () => {
    while (performance.now() < until) {
      const answer = await call(agent, url, holdCall)
      answers.push(answer)
      if (honour && answer.retryAfterMs !== undefined) await new Promise((r) => setTimeout(r, answer.retryAfterMs))
    }
  }
  const probe = async () => {
    while (performance.now() < until) {
      probes.push(await call(agent, url, echoCall))
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  await Promise.all([...Array.from({ length: CONNECTIONS }, loop), probe()])
  agent.destroy()
  return { answers, probes }
}

const summarise = (answers: ReadonlyArray<Answer>, outcome: Outcome) => answers.filter((a) => a.outcome === outcome).map((a) => a.ms).sort((x, y) => x - y)
const round1 = (n: number) => Math.round(n * 10) / 10

const overloadVariants = [
  { variant: "(a) counting admission", env: { BENCH_RESOURCES: "0" } },
  { variant: "(b) resource pools", env: { BENCH_RESOURCES: "1" } }
]
const clientModes = [
  { clients: "retry at once", honour: false },
  { clients: "wait retryAfterMs", honour: true }
]

/**
 * Overload at 10 × capacity over HTTP, each variant in its own server process (started here and
 * stopped at the end): admitted p50/p99, shed count, errors, the echo probe, peak RSS, recovery.
 */
export const runOverload = async (): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  try {
    for (const { clients, honour } of clientModes) for (const { variant, env } of overloadVariants) {
      const url = new URL(await startServer("tenfold-overload.ts", { ...env, BENCH_CAPACITY: String(CAPACITY), BENCH_QUEUE: String(QUEUE), BENCH_HOLD_MS: String(HOLD_MS) }))
      const agent = new Agent({ keepAlive: true })
      await overload(url, 1, honour) // warm-up
      const { answers, probes } = await overload(url, duration, honour)
      const after = await call(agent, url, holdCall)
      const peakKiB = Number((JSON.parse((await call(agent, url, rssCall)).text) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text)
      agent.destroy()
      const ok = summarise(answers, "ok")
      const busy = answers.filter((a) => a.outcome === "busy")
      const probeOk = summarise(probes, "ok")
      rows.push({
        case: `overload ${CONNECTIONS} conns on capacity ${CAPACITY} (+${QUEUE} queued), ${HOLD_MS} ms tool`,
        variant,
        clients,
        admitted: ok.length,
        admittedPerSecond: Math.round(ok.length / duration),
        admittedP50Ms: round1(percentile(ok, 0.5)),
        admittedP99Ms: round1(percentile(ok, 0.99)),
        shed: busy.length,
        shedWithRetryHint: busy.filter((b) => typeof b.retryAfterMs === "number" && b.retryAfterMs > 0).length,
        shedP99Ms: round1(percentile(busy.map((b) => b.ms).sort((x, y) => x - y), 0.99)),
        errors: answers.filter((a) => a.outcome === "error").length,
        probeOk: probeOk.length,
        probeShed: probes.filter((p) => p.outcome === "busy").length,
        probeP99Ms: round1(percentile(probeOk, 0.99)),
        rssPeakMiB: round1(peakKiB / 1024),
        firstCallAfter: after.outcome,
        firstCallAfterMs: round1(after.ms)
      })
      await stopServers()
    }
  } finally {
    await stopServers()
  }
  return rows
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]
if (isMain && process.argv[2] === "--cost") {
  const { run } = costVariants[Number(process.argv[3])]!
  await run() // warm-up
  console.log(await run())
} else if (isMain) {
  const cost = await runAdmissionCost()
  console.log(`\nAdmission cost (${runsPerRound} sequential runs after as many to warm up, one process per variant and round, best of ${rounds} rounds), node ${process.version}\n`)
  console.log(formatTable(["variant", "µs/run", "× (a)"], cost.map((r) => [r.variant, String(r.usPerRun), String(r.vsCounting)]), 1) + "\n")
  const load = await runOverload()
  const columns = ["variant", "clients", "admitted", "adm/s", "p50 ms", "p99 ms", "shed", "w/ hint", "shed p99", "errors", "probe ok", "probe shed", "probe p99", "RSS MiB", "after", "after ms"]
  const fields = ["clients", "admitted", "admittedPerSecond", "admittedP50Ms", "admittedP99Ms", "shed", "shedWithRetryHint", "shedP99Ms", "errors", "probeOk", "probeShed", "probeP99Ms", "rssPeakMiB", "firstCallAfter", "firstCallAfterMs"]
  console.log(`${load[0]?.case}, ${duration} s\n`)
  console.log(formatTable(columns, load.map((r) => [r.variant, ...fields.map((f) => String(r[f]))]), 2) + "\n")
  const written = writeResults("scheduler-overload.json", { date: new Date().toISOString(), ...machine(), loadAverage: loadavg(), duration, rounds, runsPerRound, admissionCost: cost, overload: load })
  console.log(`wrote ${written}`)
}
