/**
 * The parallel-execution benchmark of issue 9, side by side in one run (`npm run bench:scheduler`):
 *
 * (a) DAG of I/O: 20 tasks in 4 levels of 50 ms I/O (each task depends on two of the level
 *     before): wall time of the `ParallelExecutor` against the critical path (goal ≤ 1.1 ×), one
 *     by one, and the seed's level-by-level grouping; the same DAG again with durations spread
 *     over 10-90 ms (mean 50), where waiting for a whole level costs.
 * (b) CPU tools saturating both cores: `text_stats` calls through the `ToolExecutor`, four in
 *     flight for a few seconds, with the `WorkerPool` placement against the same tool in-process:
 *     the event loop's delay p99 and max meanwhile (goal ≤ 20 ms) and calls per second.
 * (c) The overload part (bench/scheduler-overload.ts's `runOverload`), when that file exists.
 * (d) Worker implementations: small CPU tasks (fib(18), ~0.1 ms) on two threads through
 *     Tenfold's `WorkerPool` (worker_threads actors), piscina and Effect's workers (RPC over
 *     `@effect/platform-node` workers): throughput with 32 in flight, and the latency of one task
 *     at a time. The main thread running the same tasks is the reference.
 *
 * The machine is small and shared: every figure is the median of BENCH_ROUNDS rounds (default
 * 3), variants alternate within a round, and the goals are ratios. Writes bench/results/scheduler.json.
 */
import { NodeWorker } from "@effect/platform-node"
import { Admission, Placement, ToolExecutor } from "@tenfold/executor"
import { ParallelExecutor, type Task, WorkerPlacement, WorkerPool } from "@tenfold/scheduler"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { RpcClient } from "effect/rpc"
import { existsSync } from "node:fs"
import { loadavg } from "node:os"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { Worker } from "node:worker_threads"
import { Piscina } from "piscina"
import { fib } from "./scheduler/cpu.ts"
import { FibRpcs } from "./scheduler/rpcs.ts"
import { formatTable, machine, percentile, writeResults } from "./support.ts"
import { random } from "../test/support/Random.ts"

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
/** Which parts to run (default all): e.g. BENCH_PARTS=bd. */
const parts = process.env.BENCH_PARTS ?? "abcd" // results are written only for a whole run
const cpuSeconds = Number(process.env.BENCH_CPU_SECONDS ?? 4)

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0
}
const round1 = (n: number) => Math.round(n * 10) / 10
const round2 = (n: number) => Math.round(n * 100) / 100

// ---- (a) a DAG of I/O tasks -------------------------------------------------------------------

interface Node {
  readonly id: string
  readonly level: number
  readonly dependencies: ReadonlyArray<string>
  readonly ms: number
}

/** 4 levels of 5 tasks; each task past the first level depends on two tasks of the level before. */
const dagOf = (durations: (i: number) => number): ReadonlyArray<Node> => {
  const next = random(9)
  const nodes: Array<Node> = []
  for (let level = 0; level < 4; level++) {
    for (let k = 0; k < 5; k++) {
      const before = nodes.filter((n) => n.level === level - 1)
      const dependencies = new Set<string>()
      while (level > 0 && dependencies.size < 2) dependencies.add(before[Math.floor(next() * before.length)]!.id)
      nodes.push({ id: `L${level}-${k}`, level, dependencies: [...dependencies], ms: durations(nodes.length) })
    }
  }
  return nodes
}

const criticalPath = (nodes: ReadonlyArray<Node>) => {
  const finish = new Map<string, number>()
  for (const node of nodes) finish.set(node.id, node.ms + Math.max(0, ...node.dependencies.map((d) => finish.get(d)!)))
  return Math.max(...finish.values())
}

/** The I/O of a task: a 50 ms wait, as a real timer. */
const io = (node: Node) => Effect.sleep(node.ms)

const timed = async (run: () => Promise<unknown>) => {
  const start = performance.now()
  await run()
  return performance.now() - start
}

const dagVariants = (nodes: ReadonlyArray<Node>, executor: ParallelExecutor["Service"]) => ({
  "ParallelExecutor": () =>
    Effect.runPromise(executor.run(nodes.map((node): Task<void> => ({ id: node.id, dependencies: node.dependencies, type: "io", run: () => io(node) })))),
  // the seed: tasks grouped by dependency level, each group run together, the next after the whole group
  "seed level-by-level": () =>
    Effect.runPromise(Effect.forEach([0, 1, 2, 3], (level) => Effect.forEach(nodes.filter((n) => n.level === level), io, { concurrency: "unbounded" }))),
  "one by one": () => Effect.runPromise(Effect.forEach(nodes, io))
})

const runDag = async () => {
  const executor = await Effect.runPromise(Effect.provide(ParallelExecutor, ParallelExecutor.layer))
  const shapes = {
    "20 tasks, 4 levels of 50 ms": dagOf(() => 50),
    "20 tasks, 4 levels of 10-90 ms": (() => {
      const next = random(4)
      return dagOf(() => 10 + Math.round(next() * 80))
    })()
  }
  const rows: Array<Record<string, string | number>> = []
  for (const [shape, nodes] of Object.entries(shapes)) {
    const critical = criticalPath(nodes)
    const variants = dagVariants(nodes, executor)
    const walls: Record<string, Array<number>> = {}
    for (let r = 0; r < Math.max(rounds, 5); r++) {
      for (const [name, run] of Object.entries(variants)) (walls[name] ??= []).push(await timed(run))
    }
    for (const [name, samples] of Object.entries(walls)) {
      const wall = median(samples)
      rows.push({ shape, variant: name, criticalPathMs: critical, wallMs: round1(wall), vsCriticalPath: round2(wall / critical), samplesMs: samples.map(round1).join(" ") })
    }
  }
  return rows
}

// ---- (b) CPU tools and the event loop ---------------------------------------------------------

const textStatsUrl = import.meta.resolve("@tenfold/server/tools/text-stats")
const { handler: textStats } = (await import(textStatsUrl)) as { handler: (args: { text: string }) => Effect.Effect<unknown> }

/** A text of `words` words from a small vocabulary, with sentence ends: ~15 ms of text_stats per 20k words here. */
const textOf = (words: number) => {
  const next = random(words)
  const vocabulary = "parallel worker thread actor mailbox balance score latency queue event loop delay fiber stream result task graph level path critical".split(" ")
  return Array.from({ length: words }, (_, i) => vocabulary[Math.floor(next() * vocabulary.length)] + (i % 12 === 11 ? "." : "")).join(" ")
}

const executorWith = (placement: Layer.Layer<Placement>) =>
  ManagedRuntime.make(ToolExecutor.layer({ defaultTimeoutMs: 0 }).pipe(Layer.provide(Layer.merge(Admission.layerUnbounded, placement))))

/**
 * The lateness of a 5 ms timer chain: how long the event loop kept a timer waiting, each time. It
 * also sees a loop starved by a chain of promises (in-process runs that never yield), which the
 * delay histogram records only once the loop turns again.
 */
const timerProbe = () => {
  const lateness: Array<number> = []
  let expected = performance.now() + 5
  const tick = () => {
    const now = performance.now()
    lateness.push(Math.max(0, now - expected))
    expected = now + 5
    timer = setTimeout(tick, 5)
  }
  let timer = setTimeout(tick, 5)
  return () => {
    clearTimeout(timer)
    return lateness.sort((a, b) => a - b)
  }
}

/** `inFlight` loops calling text_stats through the executor for `seconds`, with the event loop's delay recorded meanwhile. */
const saturate = async (runtime: ManagedRuntime.ManagedRuntime<ToolExecutor, never>, args: { text: string }, inFlight: number, seconds: number) => {
  const job = { name: "text_stats", cpuBound: true, module: { url: textStatsUrl } }
  const call = Effect.flatMap(ToolExecutor, (executor) => executor.run(job, args, Effect.suspend(() => textStats(args))))
  await runtime.runPromise(Effect.forEach([1, 2, 3, 4], () => call, { concurrency: 4 })) // warm: threads started, module loaded
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const end = performance.now() + seconds * 1000
  let calls = 0
  const latencies: Array<number> = []
  delay.enable()
  const stopProbe = timerProbe()
  const start = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t = performance.now()
      await runtime.runPromise(call)
      latencies.push(performance.now() - t)
      calls++
    }
  }))
  const elapsed = (performance.now() - start) / 1000
  await new Promise((resolve) => setTimeout(resolve, 20)) // let the loop turn: a starved loop's delay is recorded now
  delay.disable()
  const lateness = stopProbe()
  latencies.sort((a, b) => a - b)
  return {
    delayP99Ms: delay.percentile(99) / 1e6,
    delayMaxMs: delay.max / 1e6,
    timerLatenessP99Ms: percentile(lateness, 0.99),
    timerLatenessMaxMs: lateness.at(-1) ?? 0,
    timerTicks: lateness.length,
    callsPerSecond: calls / elapsed,
    callP50Ms: percentile(latencies, 0.5),
    callP99Ms: percentile(latencies, 0.99)
  }
}

const runCpu = async () => {
  const args = { text: textOf(20_000) }
  const oneCallMs = await timed(() => Effect.runPromise(textStats(args)))
  const variants = {
    "WorkerPool (2 threads)": executorWith(WorkerPlacement.layerPool({ size: 2 })),
    "in-process": executorWith(Placement.layerInProcess)
  }
  const samples: Record<string, Array<Awaited<ReturnType<typeof saturate>>>> = {}
  for (let r = 0; r < rounds; r++) {
    for (const [name, runtime] of Object.entries(variants)) (samples[name] ??= []).push(await saturate(runtime, args, 4, cpuSeconds))
  }
  for (const runtime of Object.values(variants)) await runtime.dispose()
  return Object.entries(samples).map(([variant, runs]) => ({
    variant,
    inFlight: 4,
    textWords: 20_000,
    oneCallInProcessMs: round1(oneCallMs),
    delayP99Ms: round1(median(runs.map((s) => s.delayP99Ms))),
    delayMaxMs: round1(median(runs.map((s) => s.delayMaxMs))),
    timerLatenessP99Ms: round1(median(runs.map((s) => s.timerLatenessP99Ms))),
    timerLatenessMaxMs: round1(median(runs.map((s) => s.timerLatenessMaxMs))),
    timerTicks: Math.round(median(runs.map((s) => s.timerTicks))),
    callsPerSecond: round1(median(runs.map((s) => s.callsPerSecond))),
    callP50Ms: round1(median(runs.map((s) => s.callP50Ms))),
    callP99Ms: round1(median(runs.map((s) => s.callP99Ms))),
    delayP99SamplesMs: runs.map((s) => round1(s.delayP99Ms)).join(" ")
  }))
}

// ---- (d) worker implementations -------------------------------------------------------------

const FIB_N = 18
const TASKS = 3000
const IN_FLIGHT = 32
const SEQUENTIAL = 300
const cpuUrl = new URL("./scheduler/cpu.ts", import.meta.url)

/**
 * One implementation, driven through its own API: `run` sends one task and resolves with its
 * answer; `batch` runs `count` tasks with `inFlight` at once (Effect-based ones inside one Effect,
 * as the executor calls them, not one `runPromise` per task); `close` stops its threads.
 */
interface Implementation {
  readonly run: () => Promise<number>
  readonly batch: (count: number, inFlight: number) => Promise<void>
  readonly close: () => Promise<void>
}

/** `count` calls of `run`, `inFlight` at once, from promises. */
const promiseBatch = (run: () => Promise<unknown>) => async (count: number, inFlight: number) => {
  let sent = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (sent < count) {
      sent++
      await run()
    }
  }))
}

const tenfoldPool = (normalPriority: boolean) => async (): Promise<Implementation> => {
  const runtime = ManagedRuntime.make(WorkerPool.layer({ size: 2, normalPriority }))
  const pool = await runtime.runPromise(WorkerPool)
  const task = { module: { url: cpuUrl.href, export: "fib" }, args: FIB_N }
  return {
    run: () => runtime.runPromise(pool.run(task)) as Promise<number>,
    batch: (count, inFlight) => runtime.runPromise(Effect.forEach(Array.from({ length: count }), () => pool.run(task), { concurrency: inFlight, discard: true })),
    close: () => runtime.dispose()
  }
}

const piscinaPool = async (): Promise<Implementation> => {
  const piscina = new Piscina({ filename: cpuUrl.href, minThreads: 2, maxThreads: 2 })
  const run = () => piscina.run(FIB_N) as Promise<number>
  return { run, batch: promiseBatch(run), close: () => piscina.destroy() }
}

const effectWorkers = async (): Promise<Implementation> => {
  const runtime = ManagedRuntime.make(
    RpcClient.layerProtocolWorker({ size: 2 }).pipe(Layer.provide(NodeWorker.layer(() => new Worker(new URL("./scheduler/effectWorker.ts", import.meta.url)))))
  )
  const scope = Effect.runSync(Scope.make())
  const client = await runtime.runPromise(RpcClient.make(FibRpcs).pipe(Scope.provide(scope)))
  return {
    run: () => runtime.runPromise(client.Fib({ n: FIB_N })),
    batch: (count, inFlight) => runtime.runPromise(Effect.forEach(Array.from({ length: count }), () => client.Fib({ n: FIB_N }), { concurrency: inFlight, discard: true })),
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

const mainThread = async (): Promise<Implementation> => {
  const run = async () => fib(FIB_N)
  return { run, batch: promiseBatch(run), close: async () => {} }
}

const implementations = {
  "Tenfold WorkerPool (worker_threads actors)": tenfoldPool(false),
  "Tenfold WorkerPool, threads at normal priority": tenfoldPool(true),
  "piscina 5": piscinaPool,
  "Effect workers (RPC, platform-node)": effectWorkers,
  "main thread (reference, blocks the loop)": mainThread
}

const measureWorkers = async (make: () => Promise<Implementation>) => {
  const startedAt = performance.now()
  const implementation = await make()
  const expected = fib(FIB_N)
  // warm-up: threads started, modules loaded, JIT settled
  for (let i = 0; i < 200; i++) if ((await implementation.run()) !== expected) throw new Error("wrong answer")
  const startMs = performance.now() - startedAt
  const start = performance.now()
  await implementation.batch(TASKS, IN_FLIGHT)
  const throughput = TASKS / ((performance.now() - start) / 1000)
  const latencies: Array<number> = []
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now()
    await implementation.run()
    latencies.push((performance.now() - t) * 1000)
  }
  await implementation.close()
  latencies.sort((a, b) => a - b)
  return { throughput, p50Us: percentile(latencies, 0.5), p99Us: percentile(latencies, 0.99), startMs }
}

const runWorkers = async () => {
  const samples: Record<string, Array<Awaited<ReturnType<typeof measureWorkers>>>> = {}
  for (let r = 0; r < rounds; r++) {
    const order = Object.entries(implementations)
    // alternate the order, so no implementation always runs first (or last) in a round
    if (r % 2 === 1) order.reverse()
    for (const [name, make] of order) (samples[name] ??= []).push(await measureWorkers(make))
  }
  const reference = median(samples["piscina 5"]!.map((s) => s.throughput))
  return Object.entries(samples).map(([variant, runs]) => ({
    variant,
    tasksPerSecond: Math.round(median(runs.map((s) => s.throughput))),
    vsPiscina: round2(median(runs.map((s) => s.throughput)) / reference),
    latencyP50Us: Math.round(median(runs.map((s) => s.p50Us))),
    latencyP99Us: Math.round(median(runs.map((s) => s.p99Us))),
    startAndWarmMs: Math.round(median(runs.map((s) => s.startMs))),
    throughputSamples: runs.map((s) => Math.round(s.throughput)).join(" ")
  }))
}

// ---- the run ------------------------------------------------------------------------------------

const dag = parts.includes("a") ? await runDag() : []
if (dag.length > 0) console.log(`\n(a) DAG of I/O tasks: wall time, median of ${Math.max(rounds, 5)} rounds (goal: ParallelExecutor ≤ 1.1 × the critical path)\n`)
if (dag.length > 0) console.log(formatTable(["shape", "variant", "critical ms", "wall ms", "× critical", "samples ms"], dag.map((r) => [String(r.shape), String(r.variant), String(r.criticalPathMs), String(r.wallMs), String(r.vsCriticalPath), String(r.samplesMs)])) + "\n")

const cpu = parts.includes("b") ? await runCpu() : []
if (cpu.length > 0) console.log(`(b) text_stats of ${cpu[0]!.textWords} words (${cpu[0]!.oneCallInProcessMs} ms for a first, cold call), 4 in flight for ${cpuSeconds} s: event-loop delay meanwhile, median of ${rounds} rounds (goal p99 ≤ 20 ms)\n`)
if (cpu.length > 0) console.log(formatTable(["variant", "delay p99 ms", "delay max ms", "5ms-timer late p99", "late max", "ticks", "calls/s", "call p50 ms", "call p99 ms", "p99 samples"], cpu.map((r) => [r.variant, String(r.delayP99Ms), String(r.delayMaxMs), String(r.timerLatenessP99Ms), String(r.timerLatenessMaxMs), String(r.timerTicks), String(r.callsPerSecond), String(r.callP50Ms), String(r.callP99Ms), r.delayP99SamplesMs]), 1) + "\n")

const overloadFile = new URL("./scheduler-overload.ts", import.meta.url)
let overload: unknown = "bench/scheduler-overload.ts not present"
if (parts.includes("c") && existsSync(overloadFile)) {
  const { runOverload } = (await import(overloadFile.href)) as { runOverload: () => Promise<ReadonlyArray<Record<string, unknown>>> }
  const rows = await runOverload()
  overload = rows
  console.log(`(c) ${String(rows[0]?.case ?? "overload")} (from bench/scheduler-overload.ts)\n`)
  const fields = ["clients", "admitted", "admittedP99Ms", "shed", "errors", "rssPeakMiB", "firstCallAfter", "firstCallAfterMs"]
  console.log(formatTable(["variant", ...fields], rows.map((r) => [String(r.variant), ...fields.map((f) => String(r[f]))]), 1) + "\n")
}

const workers = parts.includes("d") ? await runWorkers() : []
if (workers.length > 0) console.log(`(d) fib(${FIB_N}) on 2 threads: ${TASKS} tasks with ${IN_FLIGHT} in flight, then ${SEQUENTIAL} one at a time; median of ${rounds} rounds\n`)
if (workers.length > 0) console.log(formatTable(["implementation", "tasks/s", "× piscina", "p50 µs", "p99 µs", "start+warm ms", "tasks/s samples"], workers.map((r) => [r.variant, String(r.tasksPerSecond), String(r.vsPiscina), String(r.latencyP50Us), String(r.latencyP99Us), String(r.startAndWarmMs), r.throughputSamples]), 1) + "\n")

if (parts === "abcd") {
  const written = writeResults("scheduler.json", { date: new Date().toISOString(), ...machine(), loadAverage: loadavg(), rounds, dag, cpu, overload, workers })
  console.log(`wrote ${written}`)
} else {
  console.log("BENCH_PARTS ran only part of the benchmark: bench/results/scheduler.json left as it was")
}
process.exit(0)
