/**
 * `npm run bench:cache`: Tenfold's result cache side by side with bentocache, in one run, as ratios
 * (the machine is shared and noisy; absolute numbers move, ratios hold):
 *
 * 1. L1 hits in process: Tenfold `TieredCache` over `MemoryTier` vs bentocache with a memory-only store.
 * 2. Tiered `serve` (getOrSet) with Redis (our own redis-server on a free port): L1 hits, L2 hits (a second
 *    instance, empty L1, reading what the first wrote) and misses.
 * 3. Over HTTP: a read-only tool that takes 20 ms, called with the same arguments — bare node:http
 *    answering the same bytes (the ceiling), the SDK v2 (no cache), Tenfold (its L1-hit path).
 * 4. Hit rates per tier for a Zipf workload, with a bounded L1 in front of Redis and SQLite.
 *
 * Prints one table per part and PASS/MISS lines for the goals; writes every raw number to
 * bench/results/cache.json. Everything it starts (servers, redis-server, connections) is stopped,
 * also when it fails.
 *
 * Env: BENCH_PARTS (default "1,2,3,4"); BENCH_L1_OPS (ops per L1 run, default 500000),
 * BENCH_L1_ROUNDS (default 5); BENCH_TIER_OPS (ops per L2-hit / miss run, default 5000),
 * BENCH_TIER_ROUNDS (default 3); BENCH_DURATION (s per HTTP run, default 10), BENCH_WARMUP
 * (default 2), BENCH_ROUNDS (HTTP rounds, default 2); BENCH_ZIPF_REQUESTS (default 100000),
 * BENCH_ZIPF_KEYS (10000), BENCH_ZIPF_S (1.0), BENCH_ZIPF_SEED (42), BENCH_ZIPF_L1 (L1 max entries, 1000).
 */
import { CacheKey, CacheTiers, MemoryTier, PersistentTier, Policy, RedisTier, TieredCache } from "@tenfold/cache"
import type { Computed, Served } from "@tenfold/cache"
import { BentoCache, bentostore } from "bentocache"
import { memoryDriver } from "bentocache/drivers/memory"
import { redisBusDriver, redisDriver } from "bentocache/drivers/redis"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import * as RedisServer from "../packages/cache/test/support/RedisServer.ts"
import { formatTable, load, machine, type McpRequest, mcpRequest, onExit, startServer, stopServers, verify, writeResults } from "./support.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const parts = new Set((process.env.BENCH_PARTS ?? "1,2,3,4").split(",").map((p) => p.trim()))
const knobs = {
  l1Ops: env("BENCH_L1_OPS", 500_000),
  l1Rounds: env("BENCH_L1_ROUNDS", 5),
  tierOps: env("BENCH_TIER_OPS", 5_000),
  tierRounds: env("BENCH_TIER_ROUNDS", 3),
  duration: env("BENCH_DURATION", 10),
  warmup: env("BENCH_WARMUP", 2),
  httpRounds: env("BENCH_ROUNDS", 2),
  connections: 50,
  zipfRequests: env("BENCH_ZIPF_REQUESTS", 100_000),
  zipfKeys: env("BENCH_ZIPF_KEYS", 10_000),
  zipfS: env("BENCH_ZIPF_S", 1.0),
  zipfSeed: env("BENCH_ZIPF_SEED", 42),
  zipfL1: env("BENCH_ZIPF_L1", 1_000)
}
const log = (message: string) => console.error(message)
const issues: Array<string> = []
const fmt = (n: number) => Math.round(n).toLocaleString("en-US")
const ratio = (x: number, y: number) => (x / y).toFixed(2)

// ---- the data both caches hold ----------------------------------------------------------------

/** 1000 keys with 200-byte JSON string values; both libraries store and answer the string. */
const KEYS = 1000
const VALUE_BYTES = 200
/** Long enough that nothing expires during a measurement; the same for both libraries. */
const TTL_MS = 10 * 60_000
const valueOf = (i: number) => {
  const empty = JSON.stringify({ id: i, payload: "" })
  return JSON.stringify({ id: i, payload: "x".repeat(VALUE_BYTES - empty.length) })
}
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)
/** The key object the cache takes (what `Policy.key` builds from a call), made before timing. */
const keyed = (key: string) => CacheKey.make(key, "bench", "*", { key })
const cacheKeys = keys.map(keyed)
const values = keys.map((_, i) => valueOf(i))
if (values.some((v) => v.length !== VALUE_BYTES)) throw new Error("values must be 200 bytes")

/** Tenfold's policy for every part: fresh for TTL_MS, no stale-while-revalidate, no grace. */
const policy = Policy.resolve({ readOnly: true, declared: { ttl: TTL_MS, shared: true }, configured: undefined })!

// ---- resources, closed in `finally` (and redis-server killed on any exit) ---------------------

const closers: Array<() => Promise<unknown>> = []
const tempDirs: Array<string> = []
const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `tenfold-bench-${name}-`))
  tempDirs.push(dir)
  return dir
}
onExit(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** `cache.serve` as one Effect (a synchronous L1 answer succeeds at once): what a caller outside the hot path yields. */
const serveEffect = <E>(cache: TieredCache["Service"], key: CacheKey.CacheKey, compute: Effect.Effect<Computed, E>): Effect.Effect<Served, E> =>
  Effect.suspend(() => {
    const served = cache.serve(key, policy, compute)
    return Effect.isEffect(served) ? served : Effect.succeed(served)
  })

/** Builds a Tenfold cache layer in its own scope; returns the TieredCache and MemoryTier services. */
const tenfold = async (tiers: { readonly maxEntries?: number; readonly redisUrl?: string; readonly namespace?: string; readonly dir?: string }) => {
  const layer = TieredCache.layer().pipe(
    Layer.provideMerge(CacheTiers.layer([RedisTier, PersistentTier])),
    Layer.provideMerge(Layer.mergeAll(
      MemoryTier.layer(tiers.maxEntries === undefined ? {} : { maxEntries: tiers.maxEntries }),
      tiers.redisUrl === undefined ? Layer.empty : RedisTier.layer({ url: tiers.redisUrl, ...(tiers.namespace === undefined ? {} : { namespace: tiers.namespace }) }),
      tiers.dir === undefined ? Layer.empty : PersistentTier.layer({ dir: tiers.dir })
    ))
  )
  const scope = Effect.runSync(Scope.make())
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
  closers.push(close)
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  return { cache: Context.get(context, TieredCache), memory: Context.get(context, MemoryTier), close }
}

/** A bentocache: memory L1 (same bounds as Tenfold's defaults), optionally Redis L2 + Redis bus. */
const bento = (options: { readonly serialize: boolean; readonly redisPort?: number; readonly prefix?: string }) => {
  const memory = memoryDriver(options.serialize ? { maxItems: 100_000, maxSize: "64mb" } : { maxItems: 100_000, serialize: false })
  const connection = { host: "127.0.0.1", port: options.redisPort ?? 0 }
  const store = options.redisPort === undefined
    ? bentostore().useL1Layer(memory)
    : bentostore().useL1Layer(memory).useL2Layer(redisDriver({ connection })).useBus(redisBusDriver({ connection }))
  const cache = new BentoCache({ default: "store", stores: { store }, ttl: TTL_MS, grace: false, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) })
  const close = () => cache.disconnect()
  closers.push(close)
  return cache
}

/** Runs `fn(ops)` and answers ops/s; `fn` returns a checksum so the work cannot be optimized away. */
let checksum = 0
const opsPerSecond = async (ops: number, fn: (ops: number) => number | Promise<number>) => {
  const started = performance.now()
  checksum += await fn(ops)
  return ops / ((performance.now() - started) / 1000)
}

interface Sample {
  readonly part: string
  readonly case: string
  readonly variant: string
  readonly round: number
  readonly ops: number
  readonly opsPerSec: number
  readonly redisCommands?: Record<string, number>
}
const samples: Array<Sample> = []
/** The best (fastest) round of one variant: noise only ever slows a run down. */
const best = (part: string, kase: string, variant: string) =>
  Math.max(...samples.filter((s) => s.part === part && s.case === kase && s.variant === variant).map((s) => s.opsPerSec))

interface Goal { readonly goal: string; readonly value: number; readonly pass: boolean }
const goals: Array<Goal> = []
const output: Array<string> = []
const print = (text: string) => {
  output.push(text)
  console.log(text)
}

let redis: RedisServer.RedisServer | undefined
const results: Record<string, unknown> = {}

try {
  if (parts.has("2") || parts.has("4")) {
    redis = await RedisServer.start()
    const server = redis
    onExit(() => void server.close()) // kills it synchronously (SIGKILL) if we die before `finally`
    log(`redis-server on port ${redis.port}`)
  }

  // ---- 1. L1 hits in process ------------------------------------------------------------------
  if (parts.has("1")) {
    log("\npart 1: L1 hits")
    const { cache } = await tenfold({})
    const compute = Effect.succeed<Computed>({ value: "never", cacheable: true })
    await Effect.runPromise(Effect.forEach(cacheKeys, (k, i) => serveEffect(cache, k, Effect.succeed({ value: values[i]!, cacheable: true })), { discard: true }))
    const serialized = bento({ serialize: true })
    const references = bento({ serialize: false })
    for (const b of [serialized, references]) for (let i = 0; i < KEYS; i++) await b.set({ key: keys[i]!, value: values[i]! })
    const factory = () => "never"
    // Fairness: each library is called through its own public API, as a caller would, and a hit
    // is measured to the moment the caller holds the value. bentocache's `get`/`getOrSet` return
    // Promises, so its loops `await` each call. Tenfold's hot path (the Dispatcher) calls `serve`,
    // which answers an L1 hit synchronously; as one Effect it is measured (i) yielded from a fiber,
    // the way Tenfold and any Effect program call it (one runPromise for the whole loop), (ii) with
    // an `await Effect.runPromise` per call — the same Promise boundary bentocache's callers pay —
    // and (iii) with `Effect.runSync` per call. The goals compare like with like: the synchronous
    // serve vs get, and serve in a fiber and per-call runPromise vs bentocache's getOrSet, against the faster of
    // bentocache's two memory configurations (serialize: true, its default, and false).
    const variants: ReadonlyArray<readonly [string, (ops: number) => number | Promise<number>]> = [
      ["Tenfold serve (sync hit)", (ops) => {
        let sum = 0
        for (let i = 0; i < ops; i++) sum += (cache.serve(cacheKeys[i % KEYS]!, policy, compute) as Served).value.length
        return sum
      }],
      ["Tenfold serve, yield* in a fiber", (ops) =>
        Effect.runPromise(Effect.gen(function*() {
          let sum = 0
          for (let i = 0; i < ops; i++) {
            const served = cache.serve(cacheKeys[i % KEYS]!, policy, compute)
            sum += (Effect.isEffect(served) ? yield* served : served).value.length
          }
          return sum
        }))],
      ["Tenfold serve, await runPromise per call", async (ops) => {
        let sum = 0
        for (let i = 0; i < ops; i++) sum += (await Effect.runPromise(serveEffect(cache, cacheKeys[i % KEYS]!, compute))).value.length
        return sum
      }],
      ["Tenfold serve, runSync per call", (ops) => {
        let sum = 0
        for (let i = 0; i < ops; i++) sum += Effect.runSync(serveEffect(cache, cacheKeys[i % KEYS]!, compute)).value.length
        return sum
      }],
      ...([["serialize", serialized], ["no serialize", references]] as const).flatMap(([name, b]) => [
        [`bentocache get (${name})`, async (ops: number) => {
          let sum = 0
          for (let i = 0; i < ops; i++) sum += ((await b.get<string>({ key: keys[i % KEYS]! })) as string).length
          return sum
        }] as const,
        [`bentocache getOrSet (${name})`, async (ops: number) => {
          let sum = 0
          for (let i = 0; i < ops; i++) sum += (await b.getOrSet<string>({ key: keys[i % KEYS]!, factory })).length
          return sum
        }] as const
      ])
    ]
    // Rounds interleave the variants (order reversed each round); the best round of each counts.
    for (let round = 1; round <= knobs.l1Rounds; round++) {
      for (const [variant, fn] of round % 2 === 1 ? variants : [...variants].reverse()) {
        const opsPerSec = await opsPerSecond(knobs.l1Ops, fn)
        samples.push({ part: "1", case: "L1 hit", variant, round, ops: knobs.l1Ops, opsPerSec })
        log(`round ${round} ${variant}: ${fmt(opsPerSec)} ops/s`)
      }
    }
    const bentoGet = Math.max(best("1", "L1 hit", "bentocache get (serialize)"), best("1", "L1 hit", "bentocache get (no serialize)"))
    const bentoGetOrSet = Math.max(best("1", "L1 hit", "bentocache getOrSet (serialize)"), best("1", "L1 hit", "bentocache getOrSet (no serialize)"))
    const rows = variants.map(([variant]) => {
      const ops = best("1", "L1 hit", variant)
      const versus = variant.includes("sync hit") || variant.endsWith("get (serialize)") || variant.endsWith("get (no serialize)") ? bentoGet : bentoGetOrSet
      return [variant, fmt(ops), (1e9 / ops).toFixed(0), ratio(ops, versus)]
    })
    print(`\nPart 1 — L1 hit, in process: ${KEYS} keys, ${VALUE_BYTES}-byte JSON string values, TTL ${TTL_MS / 1000} s, ${fmt(knobs.l1Ops)} ops per run, best of ${knobs.l1Rounds} interleaved rounds`)
    print("(ratio: to bentocache's faster configuration of the same operation — get for the synchronous serve and get, getOrSet for the rest)\n")
    print(formatTable(["variant", "ops/s", "ns/op", "ratio"], rows, 1))
    const tenfoldSync = best("1", "L1 hit", "Tenfold serve (sync hit)")
    const inFiber = best("1", "L1 hit", "Tenfold serve, yield* in a fiber")
    const perPromise = best("1", "L1 hit", "Tenfold serve, await runPromise per call")
    goals.push(
      { goal: "L1 get hit: Tenfold serve (sync) >= bentocache get", value: tenfoldSync / bentoGet, pass: tenfoldSync >= bentoGet },
      { goal: "L1 getOrSet hit: Tenfold serve in a fiber >= bentocache getOrSet", value: inFiber / bentoGetOrSet, pass: inFiber >= bentoGetOrSet },
      { goal: "L1 getOrSet hit: Tenfold serve via await runPromise per call >= bentocache getOrSet", value: perPromise / bentoGetOrSet, pass: perPromise >= bentoGetOrSet }
    )
    results.part1 = { keys: KEYS, valueBytes: VALUE_BYTES, ttlMs: TTL_MS, ops: knobs.l1Ops, rounds: knobs.l1Rounds, best: Object.fromEntries(variants.map(([v]) => [v, best("1", "L1 hit", v)])) }
  }

  // ---- 2. Tiered getOrSet with Redis ----------------------------------------------------------
  if (parts.has("2")) {
    log("\npart 2: tiered getOrSet with Redis")
    const url = redis!.url
    // Two instances of each: a writer, and a reader with its own (empty) L1 for the L2 hits. Both
    // libraries publish invalidations on Redis (Tenfold always; bentocache through its Redis bus,
    // its way of keeping instances' L1s in sync), and both use one prefix of their own.
    const t1 = await tenfold({ redisUrl: url, namespace: "bench" })
    const t2 = await tenfold({ redisUrl: url, namespace: "bench" })
    const b1 = bento({ serialize: true, redisPort: redis!.port, prefix: "bento-bench" })
    const b2 = bento({ serialize: true, redisPort: redis!.port, prefix: "bento-bench" })
    let factoryCalls = 0
    const factoryValue = values[0]!
    const factory = () => (factoryCalls++, factoryValue)
    const computeValue = Effect.sync<Computed>(() => (factoryCalls++, { value: factoryValue, cacheable: true }))
    const sources = new Map<string, number>()
    const count = (served: Served) => sources.set(served.source, (sources.get(served.source) ?? 0) + 1)

    // (a) L1 hits: the 1000 keys, written by the same instance.
    await Effect.runPromise(Effect.forEach(cacheKeys, (k, i) => serveEffect(t1.cache, k, Effect.succeed({ value: values[i]!, cacheable: true })), { discard: true }))
    for (let i = 0; i < KEYS; i++) await b1.set({ key: keys[i]!, value: values[i]! })

    /** The Tenfold loops: in a fiber (sequential), or one `await runPromise` per call. */
    const tenfoldLoop = (cache: typeof t1.cache, fiber: boolean) => (names: ReadonlyArray<string>) => {
      const list = names.map(keyed)
      return fiber
        ? Effect.runPromise(Effect.gen(function*() {
          let sum = 0
          for (const k of list) {
            const answer = cache.serve(k, policy, computeValue)
            const served = Effect.isEffect(answer) ? yield* answer : answer
            count(served)
            sum += served.value.length
          }
          return sum
        }))
        : (async () => {
          let sum = 0
          for (const k of list) {
            const served = await Effect.runPromise(serveEffect(cache, k, computeValue))
            count(served)
            sum += served.value.length
          }
          return sum
        })()
    }
    const bentoLoop = (cache: BentoCache<any>) => async (list: ReadonlyArray<string>) => {
      let sum = 0
      for (const k of list) sum += (await cache.getOrSet<string>({ key: k, factory })).length
      return sum
    }
    // Redis commands per call (INFO commandstats, reset before each run): what each path costs in round trips.
    const admin = redis!.client()
    const commandStats = async () => {
      const stats: Record<string, number> = {}
      for (const [, name, calls] of (await admin.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        if (name !== "info" && name !== "config|resetstat") stats[name!] = Number(calls)
      }
      return stats
    }
    const redisPerCall = new Map<string, { perCall: number; commands: Record<string, number> }>()
    const repeat = (n: number) => Array.from({ length: n }, (_, i) => keys[i % KEYS]!)
    const hitList = repeat(knobs.l1Ops)
    const fresh = (tag: string, round: number) => Array.from({ length: knobs.tierOps }, (_, i) => `${tag}:${round}:${i}`)

    interface TierVariant {
      readonly name: string
      readonly lib: "tenfold" | "bento"
      readonly writer: (list: ReadonlyArray<string>) => Promise<unknown>
      readonly run: (reader: boolean) => (list: ReadonlyArray<string>) => Promise<number>
    }
    const populate = {
      tenfold: (list: ReadonlyArray<string>) =>
        Effect.runPromise(Effect.forEach(list, (k) => serveEffect(t1.cache, keyed(k), Effect.succeed({ value: factoryValue, cacheable: true })), { discard: true, concurrency: 32 })),
      bento: async (list: ReadonlyArray<string>) => {
        for (let i = 0; i < list.length; i += 32) await Promise.all(list.slice(i, i + 32).map((k) => b1.set({ key: k, value: factoryValue })))
      }
    }
    const tierVariants: ReadonlyArray<TierVariant> = [
      { name: "Tenfold serve, yield* in a fiber", lib: "tenfold", writer: populate.tenfold, run: (reader) => tenfoldLoop((reader ? t2 : t1).cache, true) },
      { name: "Tenfold serve, await runPromise per call", lib: "tenfold", writer: populate.tenfold, run: (reader) => tenfoldLoop((reader ? t2 : t1).cache, false) },
      { name: "bentocache getOrSet", lib: "bento", writer: populate.bento, run: (reader) => bentoLoop(reader ? b2 : b1) }
    ]
    const cases = ["(a) L1 hit", "(b) L2 hit", "(c) miss"] as const
    const expected: Record<(typeof cases)[number], { source: string; factoryCalls: boolean }> = {
      "(a) L1 hit": { source: "memory", factoryCalls: false },
      "(b) L2 hit": { source: "redis", factoryCalls: false },
      "(c) miss": { source: "computed", factoryCalls: true }
    }
    for (let round = 1; round <= knobs.tierRounds; round++) {
      for (const kase of cases) {
        for (const v of round % 2 === 1 ? tierVariants : [...tierVariants].reverse()) {
          let list: ReadonlyArray<string>
          let run: (list: ReadonlyArray<string>) => Promise<number>
          if (kase === "(a) L1 hit") {
            list = hitList
            run = v.run(false)
          } else if (kase === "(b) L2 hit") {
            // keys the writer stored (L1 + Redis) and the reader never saw: each read is an L2 hit
            list = fresh(`l2:${v.name}`, round)
            await v.writer(list)
            await delay(100) // let the writer's invalidation messages arrive before timing
            run = v.run(true)
          } else {
            list = fresh(`miss:${v.name}`, round) // never stored anywhere
            run = v.run(false)
          }
          sources.clear()
          factoryCalls = 0
          await admin.config("RESETSTAT")
          const opsPerSec = await opsPerSecond(list.length, () => run(list))
          const commands = await commandStats()
          const perCall = Object.values(commands).reduce((a, b) => a + b, 0) / list.length
          samples.push({ part: "2", case: kase, variant: v.name, round, ops: list.length, opsPerSec, redisCommands: commands })
          redisPerCall.set(`${kase}/${v.name}`, { perCall, commands })
          log(`round ${round} ${kase} ${v.name}: ${fmt(opsPerSec)} ops/s, ${perCall.toFixed(2)} Redis commands per call ${JSON.stringify(commands)}`)
          const want = expected[kase]
          if (v.lib === "tenfold" && sources.get(want.source) !== list.length) {
            issues.push(`part 2 ${kase} ${v.name} round ${round}: expected every answer from ${want.source}, got ${JSON.stringify(Object.fromEntries(sources))}`)
          }
          if (factoryCalls !== (want.factoryCalls ? list.length : 0)) {
            issues.push(`part 2 ${kase} ${v.name} round ${round}: ${factoryCalls} computations for ${list.length} calls`)
          }
        }
      }
      await redis!.client().flushall() // keep Redis small between rounds (the L1-hit keys stay in L1)
    }
    const rows = cases.flatMap((kase) => {
      const bentoOps = best("2", kase, "bentocache getOrSet")
      return tierVariants.map((v) => {
        const ops = best("2", kase, v.name)
        return [kase, v.name, fmt(ops), (1e6 / ops).toFixed(1), ratio(ops, bentoOps), redisPerCall.get(`${kase}/${v.name}`)!.perCall.toFixed(2)]
      })
    })
    print(`\nPart 2 — tiered getOrSet, memory L1 + Redis L2 (redis-server ${redis!.port}, sequential calls): L1 hits over ${KEYS} keys (${fmt(knobs.l1Ops)} calls), L2 hits and misses on ${fmt(knobs.tierOps)} fresh keys per run, best of ${knobs.tierRounds} rounds`)
    print("(L2 hit: a second instance with an empty L1 reads what the first wrote; miss: the computation returns at once; ratio: to bentocache; Redis cmds/call: INFO commandstats of the last round; Tenfold takes its cross-instance lock — SET NX, then a release script whose GET and DEL count too — only for a tool not run yet or whose last run took 10 ms or more, so these instant computations run without it after the first)\n")
    print(formatTable(["case", "variant", "ops/s", "µs/op", "ratio", "Redis cmds/call"], rows))
    results.part2 = {
      ops: { l1Hit: knobs.l1Ops, l2HitAndMiss: knobs.tierOps },
      rounds: knobs.tierRounds,
      best: Object.fromEntries(cases.map((kase) => [kase, Object.fromEntries(tierVariants.map((v) => [v.name, best("2", kase, v.name)]))])),
      redisCommandsLastRound: Object.fromEntries(redisPerCall)
    }
  }

  // ---- 3. Over HTTP ---------------------------------------------------------------------------
  if (parts.has("3")) {
    log("\npart 3: HTTP")
    const servers = [
      { key: "a", name: "node:http (same bytes)", file: "bare-slow.ts" },
      { key: "b", name: "SDK v2 (20 ms per call)", file: "sdk.ts" },
      { key: "c", name: "Tenfold (L1 hit)", file: "tenfold-slow.ts" }
    ] as const
    const request: McpRequest = mcpRequest("tools/call", { name: "slow", arguments: { text: "hello" } }, "slow")
    const cacheDir = tempDir("http")
    const urls = Object.fromEntries(await Promise.all(servers.map(async (s) => [s.key, await startServer(s.file, { BENCH_CACHE_DIR: cacheDir, BENCH_TOOL: "slow" })] as const))) as Record<"a" | "b" | "c", string>
    // Check each answer (and that Tenfold's first call ran the tool, its second did not) before loading.
    const timed = async (url: string) => {
      const started = performance.now()
      const body = await verify(url, request)
      return { body, ms: performance.now() - started }
    }
    const [bare, sdk, first, second] = [await timed(urls.a), await timed(urls.b), await timed(urls.c), await timed(urls.c)]
    const normalize = (body: string) => body.replace(/"ttlMs":\d+/, `"ttlMs":N`)
    if (normalize(bare.body) !== normalize(second.body)) issues.push(`part 3: (a) answers other bytes than Tenfold:\n  (a) ${bare.body}\n  (c) ${second.body}`)
    if (!sdk.body.includes(`"text":"hello"`)) issues.push(`part 3: SDK answered ${sdk.body}`)
    if (first.ms < 20 || second.ms >= 20) issues.push(`part 3: Tenfold's first call took ${first.ms.toFixed(1)} ms, its second ${second.ms.toFixed(1)} ms: expected >= 20 ms, then a cache hit`)
    log(`Tenfold first call ${first.ms.toFixed(1)} ms (runs the tool), second ${second.ms.toFixed(1)} ms (L1 hit)`)
    const runs: Array<{ round: number; server: string; rps: number; p50: number; p99: number; raw: unknown }> = []
    try {
      for (let round = 1; round <= knobs.httpRounds; round++) {
        for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
          const label = `round ${round} ${server.name}`
          await load(urls[server.key], request, knobs.warmup, `${label} (warm-up)`, issues, knobs.connections)
          const raw = await load(urls[server.key], request, knobs.duration, label, issues, knobs.connections)
          runs.push({ round, server: server.key, rps: raw.requests.average, p50: raw.latency.p50, p99: raw.latency.p99, raw })
          log(`${label}: ${fmt(raw.requests.average)} req/s, p50 ${raw.latency.p50} ms, p99 ${raw.latency.p99} ms`)
        }
      }
    } finally {
      await stopServers()
    }
    const top = (key: string) => runs.filter((r) => r.server === key).reduce((a, b) => (b.rps > a.rps ? b : a))
    const [a, b, c] = [top("a"), top("b"), top("c")]
    const rows = servers.map((s) => {
      const r = top(s.key)
      return [`(${s.key}) ${s.name}`, fmt(r.rps), String(r.p50), String(r.p99), ratio(r.rps, a.rps), ratio(r.rps, b.rps)]
    })
    print(`\nPart 3 — HTTP, read-only tool taking 20 ms, same arguments every call: 2026-07-28 stateless tools/call, ${knobs.connections} connections, ${knobs.duration} s per run after ${knobs.warmup} s warm-up, best of ${knobs.httpRounds} interleaved rounds\n`)
    print(formatTable(["server", "req/s", "p50 ms", "p99 ms", "rps/(a)", "rps/(b)"], rows, 1))
    goals.push({ goal: "HTTP: Tenfold L1-hit path rps >= 0.6 x bare node:http", value: c.rps / a.rps, pass: c.rps >= 0.6 * a.rps })
    results.part3 = {
      connections: knobs.connections,
      duration: knobs.duration,
      warmup: knobs.warmup,
      rounds: knobs.httpRounds,
      servers,
      request,
      tenfoldFirstCallMs: first.ms,
      tenfoldSecondCallMs: second.ms,
      best: Object.fromEntries([["a", a], ["b", b], ["c", c]].map(([k, r]) => {
        const { round, rps, p50, p99 } = r as typeof a
        return [k, { round, rps, p50, p99 }]
      })),
      runs
    }
  }

  // ---- 4. Hit rates per tier, Zipf workload ---------------------------------------------------
  if (parts.has("4")) {
    log("\npart 4: Zipf hit rates")
    const { zipfKeys: n, zipfS: s, zipfRequests: requests, zipfL1: l1 } = knobs
    // mulberry32: a small seeded PRNG, so every run draws the same sequence
    let state = knobs.zipfSeed >>> 0
    const random = () => {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const cumulative = new Float64Array(n)
    let total = 0
    for (let rank = 1; rank <= n; rank++) cumulative[rank - 1] = total += 1 / rank ** s
    /** A rank in [0, n) drawn with probability ∝ 1 / (rank+1)^s (inverse CDF, binary search). */
    const draw = () => {
      const u = random() * total
      let lo = 0
      let hi = n - 1
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (cumulative[mid]! < u) lo = mid + 1
        else hi = mid
      }
      return lo
    }
    const sequence = Array.from({ length: requests }, () => `zipf:${draw()}`)
    const distinct = new Set(sequence).size
    const zipfValues = new Map<string, Computed>()
    const computeFor = (key: string) => Effect.sync(() => {
      let computed = zipfValues.get(key)
      if (computed === undefined) zipfValues.set(key, computed = { value: valueOf(Number(key.slice(5))), cacheable: true })
      return computed
    })
    const redisUrl = redis!.url
    const dir = tempDir("zipf")
    const configs = [
      { name: `L1 (${l1}) + L2 Redis + L4 SQLite`, tiers: { maxEntries: l1, redisUrl, namespace: "zipf", dir } },
      { name: `  same, restarted: L1 and Redis empty, L4 kept`, tiers: { maxEntries: l1, redisUrl, namespace: "zipf", dir } },
      { name: `L1 (${l1}) + L4 SQLite (no --redis)`, tiers: { maxEntries: l1, dir: tempDir("zipf-l4") } },
      { name: `L1 (${l1}) alone`, tiers: { maxEntries: l1 } }
    ]
    interface ZipfRow { readonly config: string; readonly memory: number; readonly redis: number; readonly sqlite: number; readonly computed: number; readonly stale: number; readonly ms: number }
    const zipfRows: Array<ZipfRow> = []
    for (const config of configs) {
      await redis!.client().flushall()
      const { cache, close } = await tenfold(config.tiers)
      const counts = { memory: 0, redis: 0, sqlite: 0, computed: 0, stale: 0 }
      const sources = counts as Record<string, number>
      const started = performance.now()
      await Effect.runPromise(Effect.gen(function*() {
        for (const key of sequence) sources[(yield* serveEffect(cache, keyed(key), computeFor(key))).source]! += 1
      }))
      const ms = performance.now() - started
      await close()
      zipfRows.push({ config: config.name, ...counts, ms })
      log(`${config.name}: ${JSON.stringify(counts)} in ${fmt(ms)} ms`)
    }
    const pct = (x: number) => `${(100 * x / requests).toFixed(1)}%`
    const rows = zipfRows.map((c) => {
      return [c.config, pct(c.memory), pct(c.redis), pct(c.sqlite), pct(c.computed), pct(c.memory + c.redis + c.sqlite + c.stale), fmt(c.ms)]
    })
    print(`\nPart 4 — hit rates per tier: ${fmt(requests)} requests over ${fmt(n)} keys, Zipf s = ${s}, seed ${knobs.zipfSeed}, ${fmt(distinct)} distinct keys requested (so at most ${pct(requests - distinct)} can hit on a cold start); TTL ${TTL_MS / 1000} s (nothing expires)\n`)
    print(formatTable(["tiers", "L1", "L2", "L4", "computed", "hit rate", "ms"], rows, 1))
    results.part4 = { requests, keys: n, s, seed: knobs.zipfSeed, l1MaxEntries: l1, distinct, maxColdHitRate: (requests - distinct) / requests, configs: zipfRows }
  }
} finally {
  for (const close of closers.reverse()) await close().catch((e) => issues.push(`closing: ${String(e)}`))
  await stopServers()
  await redis?.close()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

print("")
for (const g of goals) print(`${g.pass ? "PASS" : "MISS"}  ${g.goal} (${g.value.toFixed(2)})`)
if (issues.length > 0) print(`\nIssues:\n${issues.map((i) => `- ${i}`).join("\n")}`)

const written = writeResults("cache.json", {
  date: new Date().toISOString(),
  ...machine(),
  bentocache: (JSON.parse(readFileSync(new URL("../node_modules/bentocache/package.json", import.meta.url), "utf8")) as { version: string }).version,
  knobs,
  ...results,
  goals,
  issues,
  checksum,
  samples,
  output
})
console.log(`\nwrote ${written}`)
