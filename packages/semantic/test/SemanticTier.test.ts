/**
 * The semantic tier (L3) through the real TieredCache, with the real USE-lite embedder, real
 * SQLite (L4 and semantic.sqlite) and, where it matters, a real redis-server.
 */
import { assert, layer } from "@effect/vitest"
import { CacheTiers, MemoryTier, PersistentTier, Policy, RedisTier, TieredCache } from "@tenfold/cache"
import { Context, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as RedisServer from "../../cache/test/support/RedisServer.ts"
import { EmbedError, Embedder } from "../src/Embedder.ts"
import { SemanticTier, type SemanticTierOptions } from "../src/SemanticTier.ts"
import * as UseLiteEmbedder from "../src/UseLiteEmbedder.ts"

const semanticPolicy = (options: Policy.CacheOptions = {}) =>
  Policy.resolve({ readOnly: true, declared: { shared: true, ttl: 60_000, semantic: { argument: "query" }, ...options }, configured: undefined })!

const plainPolicy = Policy.resolve({ readOnly: true, declared: { shared: true }, configured: undefined })!

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "tenfold-semantic-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** One instance's cache: L1, optionally L2 on `redisUrl`, L4 in `dir` (unless undefined), and L3 after them. */
const instance = (options: { readonly dir?: string; readonly redisUrl?: string; readonly tier?: SemanticTierOptions }) =>
  Effect.gen(function*() {
    const exact = Layer.mergeAll(
      MemoryTier.layer(),
      options.redisUrl === undefined ? Layer.empty : RedisTier.layer({ url: options.redisUrl, namespace: "semantic-test" }),
      options.dir === undefined ? Layer.empty : PersistentTier.layer({ dir: options.dir })
    )
    const semantic = SemanticTier.layer({ dir: options.dir, ...options.tier }).pipe(Layer.provide(exact))
    const context = yield* Layer.build(TieredCache.layer().pipe(
      Layer.provideMerge(CacheTiers.layer([RedisTier, PersistentTier, SemanticTier])),
      Layer.provideMerge(Layer.merge(exact, semantic))
    ))
    const cache = Context.get(context, TieredCache)
    const tier = Context.get(context, SemanticTier)
    let runs = 0
    /** Calls the "weather" tool through the cache; the computed answer names the query it ran for. */
    const call = (query: unknown, extra: Record<string, unknown> = {}, options: { readonly policy?: Policy.CachePolicy; readonly principal?: string; readonly tool?: string } = {}) =>
      Effect.gen(function*() {
        const policy = options.policy ?? semanticPolicy()
        const key = Policy.key(options.tool ?? "weather", policy, options.principal, { query, ...extra })!
        const compute = Effect.sync(() => {
          runs++
          return { value: JSON.stringify({ content: [{ type: "text", text: `answer for ${String(query)}` }], _meta: { tool: "own" } }), cacheable: true }
        })
        const served = cache.serve(key, policy, compute)
        const result = Effect.isEffect(served) ? yield* served : served
        // the write to L3 is in the background: wait for it, so the next call can find it
        yield* tier.idle
        return { ...result, json: JSON.parse(result.value) as { content: ReadonlyArray<{ text: string }>; _meta?: Record<string, unknown> } }
      })
    return { cache, tier, call, runs: () => runs }
  })

/** A directory where an instance, since closed, stored "weather in Paris today" (L4 and semantic.sqlite). */
const storedBeforeRestart = Effect.gen(function*() {
  const dir = yield* tempDir
  yield* Effect.scoped(Effect.flatMap(instance({ dir }), ({ call }) => call("weather in Paris today")))
  return dir
})

const semanticMeta = (json: { _meta?: Record<string, unknown> }) => json._meta?.["io.tenfold/semantic"] as { query: string; score: number; model: string } | undefined

layer(UseLiteEmbedder.layer())("SemanticTier", (it) => {
  it.effect("answers a paraphrase from the cached result, marked in _meta, without running the tool", () =>
    Effect.gen(function*() {
      const { call, runs } = yield* instance({})
      const first = yield* call("weather in Paris today")
      assert.strictEqual(first.source, "computed")
      yield* TestClock.adjust("10 seconds")
      const second = yield* call("today's weather in Paris")
      assert.strictEqual(second.source, "semantic")
      assert.strictEqual(runs(), 1)
      // the answer lives as long as the cached one it came from
      assert.strictEqual(second.freshUntil, first.freshUntil)
      assert.strictEqual(second.json.content[0]!.text, "answer for weather in Paris today")
      const meta = semanticMeta(second.json)!
      assert.strictEqual(meta.query, "weather in Paris today")
      assert.strictEqual(meta.model, "use-lite")
      assert.isAtLeast(meta.score, 0.8)
      assert.strictEqual(meta.score, Math.round(meta.score * 10_000) / 10_000)
      // the tool's own _meta stays
      assert.strictEqual(second.json._meta?.tool, "own")
      // promoted under the new key: the next identical call is an L1 hit, still marked
      const third = yield* call("today's weather in Paris")
      assert.strictEqual(third.source, "memory")
      assert.deepStrictEqual(semanticMeta(third.json), meta)
    }).pipe(Effect.scoped))

  it.effect("misses entity swaps, reversals, negations and changed numbers", () =>
    Effect.gen(function*() {
      const { call, runs, tier } = yield* instance({})
      const pairs: ReadonlyArray<readonly [string, string]> = [
        ["weather in Paris today", "weather in London today"],
        ["flights from Paris to London", "flights from London to Paris"],
        ["restaurants open on Sunday", "restaurants not open on Sunday"],
        ["convert 5 km to miles", "convert 50 km to miles"]
      ]
      for (const [stored, asked] of pairs) {
        yield* call(stored)
        const answer = yield* call(asked)
        assert.strictEqual(answer.source, "computed", `${asked} must not be answered by ${stored}`)
        assert.strictEqual(answer.json.content[0]!.text, `answer for ${asked}`)
      }
      assert.strictEqual(runs(), 8)
      assert.isAbove(tier.stats().refused, 0)
    }).pipe(Effect.scoped))

  for (const scanPartitionsUpTo of [512, 0]) {
    it.effect(`compares only calls whose other arguments, tool and scope are equal (${scanPartitionsUpTo === 0 ? "HNSW with a filter" : "exact scan"})`, () =>
      Effect.gen(function*() {
        const { call, runs } = yield* instance({ tier: { scanPartitionsUpTo } })
        const privatePolicy = semanticPolicy({ shared: false })
        yield* call("weather in Paris today", { units: "metric" })
        assert.strictEqual((yield* call("today's weather in Paris", { units: "imperial" })).source, "computed")
        assert.strictEqual((yield* call("today's weather in Paris", {}, { tool: "forecast" })).source, "computed")
        yield* call("weather in Rome today", {}, { policy: privatePolicy, principal: "alice" })
        assert.strictEqual((yield* call("today's weather in Rome", {}, { policy: privatePolicy, principal: "bob" })).source, "computed")
        assert.strictEqual((yield* call("today's weather in Rome", {}, { policy: privatePolicy, principal: "alice" })).source, "semantic")
        assert.strictEqual((yield* call("today's weather in Paris", { units: "metric" })).source, "semantic")
        assert.strictEqual(runs(), 5)
      }).pipe(Effect.scoped))
  }

  it.effect("stays out of tools that did not opt in, and of texts that are not short strings", () =>
    Effect.gen(function*() {
      const { call, runs, tier } = yield* instance({})
      yield* call("weather in Paris today", {}, { policy: plainPolicy })
      assert.strictEqual((yield* call("today's weather in Paris", {}, { policy: plainPolicy })).source, "computed")
      yield* call(42)
      yield* call("x".repeat(1001))
      yield* call({ nested: "weather in Paris today" })
      assert.strictEqual(tier.stats().entries, 0)
      assert.strictEqual(runs(), 5)
    }).pipe(Effect.scoped))

  it.effect("neither fails nor grows past its bounds on arbitrary arguments (fuzz)", () =>
    Effect.gen(function*() {
      const { cache, tier } = yield* instance({ tier: { maxEntries: 20, maxPending: 8 } })
      let seed = 7
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed / 2147483648
      }
      const text = () =>
        Array.from({ length: Math.floor(random() ** 3 * 1500) }, () => String.fromCharCode(Math.floor(random() ** 4 * 0xffff))).join("")
      const values: ReadonlyArray<() => unknown> = [
        text, text, () => "", () => "   ", () => random() * 1e9, () => null, () => [text(), 1],
        () => ({ nested: { deeper: text() } }), () => true, () => `weather in city ${Math.floor(random() * 1000)}`
      ]
      const pick = () => values[Math.floor(random() * values.length)]!()
      const policy = semanticPolicy()
      for (let i = 0; i < 150; i++) {
        const args = random() < 0.1 ? pick() : { query: pick(), other: pick() }
        const key = Policy.key("weather", policy, undefined, args)
        if (key === undefined) continue
        const served = cache.serve(key, policy, Effect.succeed({ value: JSON.stringify({ content: [] }), cacheable: true }))
        if (Effect.isEffect(served)) yield* served
      }
      yield* tier.idle
      assert.isAtMost(tier.stats().entries, 20)
    }).pipe(Effect.scoped))

  it.effect("never serves an entry past its stale time", () =>
    Effect.gen(function*() {
      const { call, runs, tier } = yield* instance({})
      yield* call("weather in Paris today")
      assert.strictEqual(tier.stats().entries, 1)
      yield* TestClock.adjust("61 seconds")
      const late = yield* call("today's weather in Paris")
      assert.strictEqual(late.source, "computed")
      assert.strictEqual(runs(), 2)
      // the sweep drops what expired (the paraphrase's own entry is still fresh)
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(tier.stats().entries, 0)
    }).pipe(Effect.scoped))

  it.effect("holds at most maxEntries, evicting the least recently hit", () =>
    Effect.gen(function*() {
      const { call, tier } = yield* instance({ tier: { maxEntries: 3, index: "exact" } })
      for (const city of ["Paris", "London", "Rome", "Berlin", "Madrid"]) yield* call(`weather in ${city} today`)
      assert.strictEqual(tier.stats().entries, 3)
      assert.strictEqual((yield* call("today's weather in Paris")).source, "computed")
      assert.strictEqual((yield* call("today's weather in Madrid")).source, "semantic")
    }).pipe(Effect.scoped))

  it.effect("forgets an entry deleted from the cache", () =>
    Effect.gen(function*() {
      const { cache, call, tier } = yield* instance({})
      yield* call("weather in Paris today")
      yield* cache.delete(Policy.key("weather", semanticPolicy(), undefined, { query: "weather in Paris today" })!)
      assert.strictEqual(tier.stats().entries, 0)
      assert.strictEqual((yield* call("today's weather in Paris")).source, "computed")
    }).pipe(Effect.scoped))

  it.effect("rebuilds its index from disk after a restart, on first use", () =>
    Effect.gen(function*() {
      const dir = yield* storedBeforeRestart
      const { call, runs, tier } = yield* instance({ dir })
      // nothing is read before the first semantic use
      assert.strictEqual(tier.stats().entries, 0)
      const answer = yield* call("today's weather in Paris")
      assert.strictEqual(answer.source, "semantic")
      assert.strictEqual(answer.json.content[0]!.text, "answer for weather in Paris today")
      assert.strictEqual(runs(), 0)
    }).pipe(Effect.scoped))

  it.effect("starts no model and reads no disk before the first semantic use; tools that did not opt in never start one", () =>
    Effect.gen(function*() {
      const dir = yield* storedBeforeRestart
      const embedder = yield* UseLiteEmbedder.make()
      const { call, tier } = yield* instance({ dir }).pipe(Effect.provideService(Embedder, embedder.embedder))
      yield* call("weather in Paris today", {}, { policy: plainPolicy })
      assert.strictEqual(embedder.workersStarted(), 0)
      assert.strictEqual(tier.stats().entries, 0)
      assert.strictEqual((yield* call("today's weather in Paris")).source, "semantic")
      assert.strictEqual(embedder.workersStarted(), 1)
    }).pipe(Effect.scoped))

  it.effect("moves a damaged semantic.sqlite aside and persists in a fresh one", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      writeFileSync(join(dir, "semantic.sqlite"), "this is not a database, it is garbage ".repeat(200))
      yield* Effect.scoped(Effect.flatMap(instance({ dir }), ({ call }) => call("weather in Paris today")))
      assert.isTrue(readdirSync(dir).some((name) => name.startsWith("semantic.sqlite.corrupt-")))
      const { call, runs } = yield* instance({ dir })
      assert.strictEqual((yield* call("today's weather in Paris")).source, "semantic")
      assert.strictEqual(runs(), 0)
    }).pipe(Effect.scoped))

  it.effect("ignores persisted entries of another model", () =>
    Effect.gen(function*() {
      const dir = yield* storedBeforeRestart
      const embedder = yield* Embedder
      const other = Embedder.of({ ...embedder, model: "another-model" })
      const { call } = yield* instance({ dir }).pipe(Effect.provideService(Embedder, other))
      assert.strictEqual((yield* call("today's weather in Paris")).source, "computed")
    }).pipe(Effect.scoped))

  it.effect("stores a call whose text it just looked up without embedding that text again", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      const embedded: Array<string> = []
      const counting = Embedder.of({ ...embedder, embed: (texts) => Effect.suspend(() => (embedded.push(...texts), embedder.embed(texts))) })
      const { call, tier } = yield* instance({}).pipe(Effect.provideService(Embedder, counting))
      // an empty partition: nothing to look up, the stored call is embedded once
      yield* call("weather in Paris today")
      assert.deepStrictEqual(embedded, ["weather in Paris today"])
      // looked up (and missed: another city), then stored with the lookup's vector
      assert.strictEqual((yield* call("weather in Oslo today")).source, "computed")
      assert.deepStrictEqual(embedded, ["weather in Paris today", "weather in Oslo today"])
      assert.strictEqual(tier.stats().entries, 2)
      // and that stored vector answers a paraphrase
      assert.strictEqual((yield* call("today's weather in Oslo")).source, "semantic")
    }).pipe(Effect.scoped))

  it.effect("answers miss, without failing the call, when the embedder fails", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      let failing = false
      const flaky = Embedder.of({
        ...embedder,
        embed: (texts) => failing ? Effect.fail(new EmbedError({ reason: "Overloaded", model: embedder.model, detail: "test" })) : embedder.embed(texts)
      })
      const { call, runs } = yield* instance({}).pipe(Effect.provideService(Embedder, flaky))
      yield* call("weather in Paris today")
      failing = true
      const answer = yield* call("today's weather in Paris")
      assert.strictEqual(answer.source, "computed")
      yield* call("weather in Oslo today")
      assert.strictEqual(runs(), 3)
    }).pipe(Effect.scoped))

  it.effect("answers miss and keeps writing when the embedder dies with a defect", () =>
    Effect.gen(function*() {
      const embedder = yield* Embedder
      let dying = true
      const broken = Embedder.of({ ...embedder, embed: (texts) => dying ? Effect.die(new Error("bug")) : embedder.embed(texts) })
      const { call, runs, tier } = yield* instance({}).pipe(Effect.provideService(Embedder, broken))
      yield* call("weather in Paris today")
      assert.strictEqual(tier.stats().entries, 0)
      dying = false
      yield* call("weather in Rome today")
      dying = true
      assert.strictEqual((yield* call("today's weather in Rome")).source, "computed")
      dying = false
      assert.strictEqual((yield* call("today's weather in Rome")).source, "memory")
      assert.strictEqual((yield* call("Rome weather today")).source, "semantic")
      assert.strictEqual(runs(), 3)
    }).pipe(Effect.scoped))

  it.effect("drops writes past its queue bound and counts them", () =>
    Effect.gen(function*() {
      const { call, tier } = yield* instance({ tier: { maxPending: 1 } })
      // many stored calls at once: the queue holds one while a batch embeds
      yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => `weather in city number ${i}`), (q) => call(q), { concurrency: "unbounded" })
      const { dropped, entries } = tier.stats()
      assert.isAbove(dropped, 0)
      assert.strictEqual(entries + dropped, 40)
    }).pipe(Effect.scoped))

  it.effect("shares a renewed lifetime through Redis: a refresh on one instance keeps the entry alive on the other", () =>
    Effect.gen(function*() {
      const redis = yield* Effect.acquireRelease(Effect.promise(() => RedisServer.start()), (server) => Effect.promise(() => server.close()))
      const a = yield* instance({ redisUrl: redis.url })
      const b = yield* instance({ redisUrl: redis.url })
      const policy = semanticPolicy({ staleWhileRevalidate: 60_000 })
      yield* a.call("weather in Paris today", {}, { policy })
      assert.strictEqual((yield* b.call("today's weather in Paris", {}, { policy })).source, "semantic")
      // past its freshness A answers stale and refreshes in the background: the same call stored again
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual((yield* a.call("weather in Paris today", {}, { policy })).source, "stale")
      for (let i = 0; i < 500 && a.runs() < 2; i++) yield* Effect.promise(() => new Promise((resume) => setTimeout(resume, 10)))
      assert.strictEqual(a.runs(), 2)
      yield* a.tier.idle
      // past the first lifetime (120 s), B still answers from the entry, renewed through the stream
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual((yield* b.call("Paris weather today", {}, { policy })).source, "semantic")
      assert.strictEqual(b.runs(), 0)
    }).pipe(Effect.scoped))

  it.effect("shares entries through Redis: a second instance hits what the first stored", () =>
    Effect.gen(function*() {
      const redis = yield* Effect.acquireRelease(Effect.promise(() => RedisServer.start()), (server) => Effect.promise(() => server.close()))
      const a = yield* instance({ redisUrl: redis.url })
      const b = yield* instance({ redisUrl: redis.url })
      // what else may sit in the stream is skipped: missing fields, wrong lengths, NaN, oversized texts
      const stream = "tenfold:semantic-test:semantic"
      const digest = "d".repeat(43)
      const nan = Buffer.alloc(512 * 4, 0xff)
      yield* Effect.promise(async () => {
        const client = redis.client()
        await client.xadd(stream, "*", "d", "short")
        await client.xadd(stream, "*", "d", digest, "p", digest, "t", "weather in Paris today", "m", "use-lite", "f", "1e15", "s", "1e15", "v", Buffer.alloc(12))
        await client.xadd(stream, "*", "d", digest, "p", digest, "t", "weather in Paris today", "m", "use-lite", "f", "1e15", "s", "1e15", "v", nan)
        await client.xadd(stream, "*", "d", digest, "p", digest, "t", "x".repeat(5000), "m", "use-lite", "f", "1e15", "s", "1e15", "v", Buffer.alloc(2048))
      })
      yield* a.call("weather in Paris today")
      const answer = yield* b.call("today's weather in Paris")
      assert.strictEqual(answer.source, "semantic")
      assert.strictEqual(answer.json.content[0]!.text, "answer for weather in Paris today")
      assert.strictEqual(a.runs() + b.runs(), 1)
      // Redis gone: both keep answering, locally
      yield* Effect.promise(() => redis.stop())
      yield* b.call("weather in Oslo today")
      assert.strictEqual((yield* b.call("today's weather in Oslo")).source, "semantic")
    }).pipe(Effect.scoped))
})
