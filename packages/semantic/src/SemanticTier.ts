/**
 * L3, the semantic tier: answers a call of a tool that opted in (`cache: { semantic: { argument } }`)
 * with the cached result of an earlier call whose text argument means the same — cosine of their
 * embeddings ≥ the tool's threshold and `Guard.accept` (the Guard's facts agree and the cosine reaches the threshold raised per content word the texts do not share) — while every other argument and the scope
 * are equal (one partition per tool, scope and other arguments). It is one more `CacheTier`, placed
 * after the exact tiers; the hit is marked in the result's `_meta["io.tenfold/semantic"]`.
 *
 * It keeps texts, vectors and lifetimes, not values: a hit reads the matched call's value from the
 * exact tiers (L1 by its key, L2 and L4 by its digest), so nothing is stored twice and an L1-only
 * deployment still works. Embedding new entries happens in the background (a bounded queue; a full
 * one drops and counts). Entries persist in `semantic.sqlite` beside L4's file and are read back on
 * the first semantic lookup after a restart; with Redis (L2) they are shared through a stream, so
 * another instance hits what this one stored. It never fails a call: any failure is a miss.
 */
import { CacheMetrics, type CacheKey, type CacheTier, type Entry, MemoryTier, PersistentTier, RedisClient, RedisTier } from "@tenfold/cache"
import { Clock, Context, Deferred, type Duration, Effect, Layer, Metric, Option, Queue, Schedule } from "effect"
import { type EmbedError, Embedder, type EmbedFailure } from "./Embedder.ts"
import * as Guard from "./Guard.ts"
import { RecentVectors } from "./internal/RecentVectors.ts"
import * as SemanticEntries from "./internal/SemanticEntries.ts"
import { mark, partitionOf, type Persisted, type Stored, textOf } from "./internal/semanticEntry.ts"
import * as Share from "./internal/semanticShare.ts"
import * as Store from "./internal/semanticStore.ts"
import { make as makeVectorIndex } from "./VectorIndex.ts"

/** Bounds and places of the semantic tier; every field has a default. */
export interface SemanticTierOptions {
  /** Most entries held; past it the least recently hit is evicted (default 10000). */
  readonly maxEntries?: number
  /** Directory of `semantic.sqlite` (L4's directory); omitted: entries live in memory only. */
  readonly dir?: string
  /** Stored calls waiting to be embedded; more are dropped and counted (default 256). */
  readonly maxPending?: number
  /** Nearest entries of the partition compared per lookup, best first, until one passes the Guard (default 4). */
  readonly candidates?: number
  /** Shared entries read from Redis per lookup (default 256). */
  readonly readBatch?: number
  /** How often entries past their stale time are dropped (default 1 minute); a lookup never serves one anyway. */
  readonly sweepInterval?: Duration.Input
  /** `hnsw` (default) or `exact` (a scan; exact, and as fast below ~1k entries). */
  readonly index?: "hnsw" | "exact"
  /** Partitions of at most this many entries are scanned exactly; larger ones searched in the index with a filter (default 512). */
  readonly scanPartitionsUpTo?: number
}

/** What `stats` reports. */
export interface SemanticTierStats {
  readonly entries: number
  /** Stored calls not embedded because the queue was full. */
  readonly dropped: number
  /** Candidates above the threshold the Guard refused. */
  readonly refused: number
}

/** L3: a `CacheTier` named "semantic", plus what tests and figures read. */
export class SemanticTier extends Context.Service<SemanticTier, CacheTier & {
  /** Waits until every stored call queued so far is embedded and indexed (or dropped). */
  readonly idle: Effect.Effect<void>
  readonly stats: () => SemanticTierStats
}>()("@tenfold/semantic/SemanticTier") {
  /**
   * The tier over the `Embedder`, reading values from whichever of `MemoryTier`, `RedisTier` and
   * `PersistentTier` are provided, and sharing entries through `RedisClient` when it is. Building
   * it loads nothing: the index, the disk and the model are touched on the first semantic use.
   */
  static layer = (options: SemanticTierOptions = {}) => Layer.effect(SemanticTier, make(options))
}

/** The tier's counters beside the per-tier hit/miss series TieredCache keeps. */
export const guardRefusals = Metric.counter("tenfold_semantic_guard_refusals_total", {
  description: "Semantic candidates above the similarity threshold that the Guard refused (numbers, names, roles, negation… differ)"
})
export const droppedWrites = Metric.counter("tenfold_semantic_dropped_writes_total", {
  description: "Cached calls of semantic tools not embedded because the semantic tier's queue was full"
})

/** One call waiting to be embedded. */
interface Pending {
  readonly digest: string
  readonly id: string
  readonly partition: string
  readonly text: string
  readonly freshUntil: number
  readonly staleUntil: number
}

const MAX_BATCH = 32
/** Vectors of looked-up texts kept for storing their calls (see `lookedUp`). */
const MAX_LOOKED_UP = 1024

/**
 * Default of `scanPartitionsUpTo`: partitions up to this size are searched by an exact scan of
 * their vectors, larger ones in the HNSW index with a filter. `npm run bench:semantic-partition`
 * (10k entries) measured a filtered HNSW search at 7–59 ms p50 for partitions of 1000 entries or
 * fewer — hnswlib walks most of the graph to find a few admitted nodes — against ≤ 0.2 ms for a
 * scan of 100, and the reverse for one partition holding everything (0.3 ms against 45 ms).
 */
const EXACT_PARTITION = 512

export const make = (options: SemanticTierOptions = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const embedder = yield* Embedder
    const memory = Option.getOrUndefined(yield* Effect.serviceOption(MemoryTier))
    const exact: ReadonlyArray<CacheTier> = [
      ...Option.toArray(yield* Effect.serviceOption(RedisTier)),
      ...Option.toArray(yield* Effect.serviceOption(PersistentTier))
    ]
    const redis = Option.getOrUndefined(yield* Effect.serviceOption(RedisClient))
    const maxEntries = options.maxEntries ?? 10_000
    const candidates = options.candidates ?? 4
    const readBatch = options.readBatch ?? 256
    const scanPartitionsUpTo = options.scanPartitionsUpTo ?? EXACT_PARTITION
    const now = () => clock.currentTimeMillisUnsafe()
    const evictions = CacheMetrics.forTier(CacheMetrics.evictions, "semantic")
    const entriesGauge = CacheMetrics.forTier(CacheMetrics.entries, "semantic")
    const errors = CacheMetrics.forTier(CacheMetrics.errors, "semantic")

    let store: Store.SemanticStore | undefined
    /** The entries once `ready` has built them (on the first semantic use). */
    let built: SemanticEntries.SemanticEntries | undefined
    let lastRead = "0"
    let dropped = 0
    let refused = 0
    yield* Effect.addFinalizer(() => Effect.sync(() => store?.close()))

    /** Failures already logged (embedder reasons, disk operations): each is logged once, then only counted. */
    const reported = new Set<string>()
    const reportOnce = (what: string, message: string) =>
      reported.has(what) ? Effect.void : Effect.sync(() => reported.add(what)).pipe(Effect.andThen(Effect.logWarning(message)))

    /** A defect (a bug) in `operation` is logged once and answered with undefined: L3 never fails a call, and its writer never stops. */
    const survive = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A | undefined, E, R> =>
      Effect.catchDefect(effect, (defect) =>
        reportOnce(`defect:${operation}`, `SemanticTier: ${operation} failed with a defect (${String(defect)}); answering a miss`).pipe(
          Effect.andThen(Metric.update(errors, 1)),
          Effect.as(undefined)
        ))

    /** Runs one disk operation; a failure is logged once per operation, counted, and answered with `orElse`. */
    const disk = <A>(operation: string, orElse: A, run: (store: Store.SemanticStore) => A): Effect.Effect<A> =>
      Effect.suspend(() => {
        if (store === undefined) return Effect.succeed(orElse)
        try {
          return Effect.succeed(run(store))
        } catch (cause) {
          return reportOnce(`disk:${operation}`, `SemanticTier: ${operation} in ${Store.DATABASE_FILE} failed (${String(cause)}); going on without it`).pipe(
            Effect.andThen(Metric.update(errors, 1)),
            Effect.as(orElse)
          )
        }
      })

    /** The vectors of `texts`, or undefined (logged once per reason) when the embedder fails: a miss, never a failed call. */
    const embed = (texts: ReadonlyArray<string>) =>
      embedder.embed(texts).pipe(
        Effect.catch((error: EmbedError) =>
          reportOnce(`embed:${error.reason satisfies EmbedFailure}`, `SemanticTier: ${error.message}; semantic lookups miss while it lasts`).pipe(
            Effect.as(undefined)
          )
        )
      )

    const report = () => entriesGauge.updateUnsafe(built?.size() ?? 0, context)

    /**
     * The vector of each text just looked up, by its call's digest, so storing that call after it
     * ran embeds nothing again (bounded: the oldest goes first). The tier needs no embedder-wide
     * cache of recent texts, which would tell a caller by its timing what another principal asked.
     */
    const lookedUp = new RecentVectors(MAX_LOOKED_UP)

    /** Drops an entry from memory, the index and the disk. */
    const forget = (entries: SemanticEntries.SemanticEntries, digest: string) =>
      Effect.gen(function*() {
        if (!(yield* entries.remove(digest))) return
        yield* disk("delete", undefined, (s) => s.delete(digest))
        report()
      })

    /** Adds (or renews) an entry; one new or renewed here also goes to the disk (`persist`) and the stream (`publish`). */
    const insert = (entries: SemanticEntries.SemanticEntries, entry: Persisted, id: string | undefined, persist: boolean, publish: boolean) =>
      Effect.gen(function*() {
        const put = yield* entries.put(entry, id).pipe(
          Effect.catch((error) => reportOnce(`index:${error.reason}`, `SemanticTier: cannot index an entry (${error.detail})`).pipe(Effect.as(undefined)))
        )
        if (put === undefined || put._tag === "Unchanged") return
        if (put._tag === "Renewed") {
          if (persist) yield* disk("touch", undefined, (s) => s.touch(entry.digest, entry.freshUntil, entry.staleUntil))
          if (publish && redis !== undefined) yield* Share.publish(redis, maxEntries, entry)
          return
        }
        for (const digest of put.evicted) {
          yield* disk("delete", undefined, (s) => s.delete(digest))
          evictions.updateUnsafe(1, context)
        }
        report()
        if (persist) yield* disk("upsert", undefined, (s) => s.upsert(entry))
        if (publish && redis !== undefined) yield* Share.publish(redis, maxEntries, entry)
      })

    /** The entries and their index, built (and refilled from disk) on the first semantic use; undefined when the index cannot be built. */
    // uninterruptible: a lookup that goes away must not leave the disk half read or the database open twice
    const ready = yield* Effect.cached(Effect.uninterruptible(Effect.gen(function*() {
      const index = yield* makeVectorIndex({ dimensions: embedder.dimensions, maxEntries, kind: options.index ?? "hnsw" }).pipe(
        Effect.catch((error) =>
          Effect.logWarning(`SemanticTier: cannot build the vector index (${error.detail}); semantic lookups always miss`).pipe(Effect.as(undefined))
        )
      )
      if (index === undefined) return undefined
      const entries = SemanticEntries.make(index, scanPartitionsUpTo)
      if (options.dir !== undefined) {
        const dir = options.dir
        store = yield* Effect.try({ try: () => Store.open(dir, now()), catch: String }).pipe(
          Effect.catch((cause) =>
            Effect.logWarning(`SemanticTier: cannot open ${Store.DATABASE_FILE} in ${dir} (${cause}); semantic entries are not persisted`).pipe(
              Effect.andThen(Metric.update(errors, 1)),
              Effect.as(undefined)
            )
          )
        )
        const rows = yield* disk("load", [], (s) => s.load(embedder.model, embedder.dimensions, now(), maxEntries))
        // oldest first, so the longest-lived are the most recent for eviction
        for (let i = rows.length - 1; i >= 0; i--) yield* insert(entries, rows[i]!, undefined, false, false)
      }
      built = entries
      return entries
    })))

    /** Reads the entries other instances shared since the last read (one XREAD), when Redis is on. */
    const pull = (entries: SemanticEntries.SemanticEntries) =>
      redis === undefined ? Effect.void : Effect.gen(function*() {
        const read = yield* Share.read(redis, lastRead, readBatch, embedder.dimensions, Guard.maxTextLength)
        if (read === undefined) return
        lastRead = read.last
        const t = now()
        for (const entry of read.entries) {
          if (entry.model === embedder.model && t < entry.staleUntil) yield* insert(entries, entry, undefined, true, false)
        }
      })

    /** The value of `stored`'s call in the exact tiers: L1 by its key (when this instance stored it), then L2 and L4 by digest. */
    const valueOf = (stored: Stored): Effect.Effect<Entry.Entry | undefined> => {
      const inMemory = stored.id === undefined ? undefined : memory?.peek(stored.id)
      if (inMemory !== undefined) return Effect.succeed(inMemory)
      const key: CacheKey.CacheKey = { id: stored.id ?? "", digest: stored.digest, tool: "", scope: "", args: undefined }
      const from = (i: number): Effect.Effect<Entry.Entry | undefined> =>
        i === exact.length ? Effect.undefined : Effect.flatMap(exact[i]!.get(key, unusedPolicy), (entry) => entry === undefined ? from(i + 1) : Effect.succeed(entry))
      return from(0)
    }

    const lookup = (entries: SemanticEntries.SemanticEntries, key: CacheKey.CacheKey, text: string, partition: string, threshold: number) =>
      Effect.gen(function*() {
        yield* pull(entries)
        if (!entries.hasPartition(partition)) return undefined
        const vectors = yield* embed([text])
        if (vectors === undefined) return undefined
        lookedUp.set(key.digest, vectors[0]!)
        const hits = yield* entries.nearest(partition, vectors[0]!, candidates)
        let facts: Guard.Facts | undefined
        for (const hit of hits) {
          if (hit.score < threshold) break
          const stored = entries.get(hit.key)
          // its own key: the exact tiers just missed it
          if (stored === undefined || stored.digest === key.digest) continue
          if (now() >= stored.staleUntil) {
            yield* forget(entries, stored.digest)
            continue
          }
          facts ??= Guard.facts(text)
          if (!Guard.accept(stored.facts, facts, hit.score, threshold).agree) {
            refused++
            yield* Metric.update(guardRefusals, 1)
            continue
          }
          const entry = yield* valueOf(stored)
          if (entry === undefined || now() >= entry.staleUntil) continue
          const value = mark(entry.value, stored.text, hit.score, embedder.model)
          if (value === undefined) continue
          yield* entries.touch(stored.digest)
          return { value, freshUntil: entry.freshUntil, staleUntil: entry.staleUntil } satisfies Entry.Entry
        }
        return undefined
      })

    // ---- background embedding of stored calls -----------------------------------------------

    const queue = yield* Queue.dropping<Pending>(options.maxPending ?? 256)
    let pending = 0
    let waiters: Array<Deferred.Deferred<void>> = []
    const settled = (count: number) =>
      Effect.suspend(() => {
        pending -= count
        if (pending > 0) return Effect.void
        const waiting = waiters
        waiters = []
        return Effect.forEach(waiting, (waiter) => Deferred.succeed(waiter, undefined), { discard: true })
      })

    const embedAndInsert = (batch: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        const entries = yield* ready
        if (entries === undefined) return
        // the calls whose text was just looked up reuse that vector; the others are embedded together
        const known = batch.map((call) => lookedUp.take(call.digest))
        const missing = batch.filter((_, i) => known[i] === undefined)
        const embedded = missing.length === 0 ? [] : yield* embed(missing.map((call) => call.text))
        if (embedded === undefined) return
        const t = now()
        let next = 0
        for (let i = 0; i < batch.length; i++) {
          const call = batch[i]!
          const vector = known[i] ?? embedded[next++]!
          if (t >= call.staleUntil) continue
          const entry: Persisted = { ...call, model: embedder.model, vector }
          yield* insert(entries, entry, call.id, true, true)
        }
      })
    const embedBatch = Effect.flatMap(Queue.takeBetween(queue, 1, MAX_BATCH), (batch) =>
      embedAndInsert(batch).pipe(survive("write"), Effect.ensuring(settled(batch.length))))
    yield* Effect.forkScoped(Effect.forever(embedBatch))

    const sweep = Effect.gen(function*() {
      // before the first semantic use there is nothing to sweep, and nothing is built for it
      const entries = built
      if (entries === undefined) return
      const t = now()
      for (const digest of entries.expired(t)) yield* forget(entries, digest)
      yield* disk("sweep", 0, (s) => s.sweep(t))
    })
    // the first sweep waits one interval: building the index at start is what `ready` avoids
    yield* Effect.forkScoped(Effect.repeat(Effect.sleep(options.sweepInterval ?? "1 minute").pipe(Effect.andThen(sweep)), Schedule.forever))

    return SemanticTier.of({
      name: "semantic",
      serves: (policy) => policy.semantic !== undefined,
      get: (key, policy) => {
        const semantic = policy.semantic
        if (semantic === undefined) return Effect.undefined
        const text = textOf(key.args, semantic.argument, Guard.maxTextLength)
        const partition = text === undefined ? undefined : partitionOf(key, semantic.argument)
        if (partition === undefined) return Effect.undefined
        return Effect.flatMap(ready, (entries) =>
          entries === undefined ? Effect.undefined : lookup(entries, key, text!, partition, semantic.threshold ?? Guard.defaultThreshold)).pipe(survive("lookup"))
      },
      set: (key, entry, policy) =>
        Effect.suspend(() => {
          const semantic = policy.semantic
          if (semantic === undefined) return Effect.void
          const text = textOf(key.args, semantic.argument, Guard.maxTextLength)
          const partition = text === undefined ? undefined : partitionOf(key, semantic.argument)
          if (partition === undefined || now() >= entry.staleUntil) return Effect.void
          const entries = built
          const known = entries?.get(key.digest)
          if (known !== undefined && known.text === text) {
            // the same call stored again (its value recomputed): renew it here, on disk and, through the stream, elsewhere
            return insert(entries!, { ...known, model: embedder.model, freshUntil: entry.freshUntil, staleUntil: entry.staleUntil }, key.id, true, true)
          }
          const call: Pending = { digest: key.digest, id: key.id, partition, text: text!, freshUntil: entry.freshUntil, staleUntil: entry.staleUntil }
          if (Queue.offerUnsafe(queue, call)) {
            pending++
            return Effect.void
          }
          dropped++
          return Metric.update(droppedWrites, 1)
        }),
      delete: (key) =>
        Effect.suspend(() => {
          const entries = built
          return entries === undefined ? Effect.void : forget(entries, key.digest)
        }),
      idle: Effect.suspend(() => {
        if (pending === 0) return Effect.void
        return Effect.flatMap(Deferred.make<void>(), (waiter) => {
          waiters.push(waiter)
          return Deferred.await(waiter)
        })
      }),
      stats: () => ({ entries: built?.size() ?? 0, dropped, refused })
    })
  })

/** The exact tiers ignore the policy of a lookup by digest; this one stands in for it. */
const unusedPolicy = { ttlMs: 0, staleWhileRevalidateMs: 0, graceMs: 0, scope: "private", maxBytes: 0 } as const
