/**
 * The tiered cache: L1 memory → L2 Redis → L4 SQLite, with promotion to the faster tiers on a
 * hit, single-flight (one computation per key per process, and per cluster with a short Redis
 * lock when L2 is on), stale-while-revalidate, grace on failure, and per-tier metrics.
 * No call ever fails because a cache tier failed: tiers answer "miss" instead.
 */
import { Cause, Clock, Context, Effect, Exit, Fiber, FiberSet, Layer, Metric, Option } from "effect"
import * as CacheMetrics from "./CacheMetrics.ts"
import type { CacheKey } from "./CacheKey.ts"
import type { CacheTier, TierName } from "./CacheTier.ts"
import type { Entry } from "./Entry.ts"
import { MemoryTier } from "./MemoryTier.ts"
import { PersistentTier } from "./PersistentTier.ts"
import type { CachePolicy } from "./Policy.ts"
import { RedisTier } from "./RedisTier.ts"

/** What a computation produced: the serialized value, and whether it may be cached. */
export interface Computed {
  readonly value: string
  /** False for results that must not be stored (errors, answers that need client input). */
  readonly cacheable: boolean
  /** True when the computation failed in a way a stale value (grace) should answer instead. */
  readonly failed?: boolean
}

/** Where an answer came from. */
export type Source = TierName | "computed" | "stale"

export interface Served {
  readonly value: string
  readonly source: Source
  /** Epoch ms until which the value is fresh (for the caller's cache hints); 0 when not cached. */
  readonly freshUntil: number
}

/** One computation in flight for a key (a fiber of the layer's set), and how many callers wait for it. */
interface Flight {
  readonly fiber: Fiber.Fiber<unknown, unknown>
  waiters: number
  /** A refresh wants its result: it runs to the end whoever else leaves. */
  pinned: boolean
}

export interface TieredCacheOptions {
  /** How long a cross-instance single-flight lock is held at most (default 10 s). */
  readonly lockTtlMs?: number
  /** How often a follower instance looks for the leader's result in Redis (default 25 ms). */
  readonly lockPollMs?: number
}

/** A usable L1 entry for the hot path: fresh, or stale but within stale-while-revalidate. */
export interface Peeked {
  readonly entry: Entry
  readonly fresh: boolean
}

export class TieredCache extends Context.Service<TieredCache, {
  /** The tiers in use, fastest first. */
  readonly tiers: ReadonlyArray<TierName>
  /**
   * The one entry point of a cached call (stale-while-revalidate): a `Served` at once for a fresh
   * L1 hit, and for a stale one within `staleWhileRevalidate` (a background refresh is started);
   * otherwise an Effect that looks in the lower tiers and runs `compute` once for all concurrent
   * callers. `compute` is only run on that miss path or by the refresh.
   */
  readonly serve: <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Served | Effect.Effect<Served, E>
  /** L1 only, synchronously (superseded by `serve`; kept until every caller uses it). */
  readonly peek: (key: CacheKey, policy: CachePolicy) => Peeked | undefined
  /**
   * The miss path of `getOrSet`, for a caller whose own `peek` already found nothing usable in
   * L1: L2, L4, then one shared computation (the hot path peeks synchronously first).
   */
  readonly fill: <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Effect.Effect<Served, E>
  /** Recomputes `key` in the background (stale-while-revalidate); joins a computation already running. */
  readonly refresh: <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Effect.Effect<void>
  /** Removes `key` from every tier (and, through Redis, from every instance's L1). */
  readonly delete: (key: CacheKey) => Effect.Effect<void>
}>()("@tenfold/cache/TieredCache") {
  /** Uses MemoryTier, plus RedisTier and PersistentTier when they are provided. */
  static layer = (options: TieredCacheOptions = {}) => Layer.effect(TieredCache, make(options))
}

export const make = (options: TieredCacheOptions = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const memory = yield* MemoryTier
    const redis = Option.getOrUndefined(yield* Effect.serviceOption(RedisTier))
    const sqlite = Option.getOrUndefined(yield* Effect.serviceOption(PersistentTier))
    const lower: ReadonlyArray<CacheTier> = [redis, sqlite].filter((t) => t !== undefined)
    const lockTtlMs = options.lockTtlMs ?? 10_000
    const lockPollMs = options.lockPollMs ?? 25
    const flights = new Map<string, Flight>()
    // flights and refreshes live as long as the layer: closing it interrupts them
    const runFork = yield* FiberSet.makeRuntime<never, unknown, unknown>()
    const now = () => clock.currentTimeMillisUnsafe()

    // each series built once: building one costs more than updating it
    const series = (metric: Metric.Metric<number, unknown>) => {
      const byTier = { memory: CacheMetrics.forTier(metric, "memory"), redis: CacheMetrics.forTier(metric, "redis"), sqlite: CacheMetrics.forTier(metric, "sqlite") }
      return (tier: TierName) => byTier[tier]
    }
    const hit = series(CacheMetrics.hits as Metric.Metric<number, unknown>)
    const miss = series(CacheMetrics.misses as Metric.Metric<number, unknown>)
    const accessTime = series(CacheMetrics.accessTime as Metric.Metric<number, unknown>)
    const memoryHit = hit("memory")
    const memoryMiss = miss("memory")

    if (redis !== undefined) {
      // another instance changed a key, or we reconnected and may have missed messages
      const stop = redis.onInvalidate((key) => (key === undefined ? memory.clear() : memory.remove(key)))
      yield* Effect.addFinalizer(() => Effect.sync(stop))
    }

    const peek = (key: CacheKey, policy: CachePolicy): Peeked | undefined => {
      const t = now()
      const entry = memory.peek(key.id, t)
      if (entry !== undefined) {
        if (t < entry.freshUntil) {
          memoryHit.updateUnsafe(1, context)
          return { entry, fresh: true }
        }
        if (t < entry.freshUntil + policy.staleWhileRevalidateMs) {
          memoryHit.updateUnsafe(1, context)
          return { entry, fresh: false }
        }
      }
      memoryMiss.updateUnsafe(1, context)
      return undefined
    }

    /** Looks in one lower tier, timing it. */
    const lookIn = (tier: CacheTier, key: CacheKey) =>
      Effect.suspend(() => {
        const started = performance.now()
        return tier.get(key.id).pipe(
          Effect.tap((entry) =>
            Effect.all([
              Metric.update(accessTime(tier.name), performance.now() - started),
              Metric.update(entry === undefined ? miss(tier.name) : hit(tier.name), 1)
            ], { discard: true })
          )
        )
      })

    /** Copies an entry found in a slower tier into the faster ones. */
    const promote = (key: CacheKey, entry: Entry, foundIn: TierName) =>
      Effect.gen(function*() {
        memory.put(key.id, entry)
        if (foundIn === "sqlite" && redis !== undefined) yield* redis.set(key.id, entry)
      })

    const store = (key: CacheKey, policy: CachePolicy, value: string) =>
      Effect.gen(function*() {
        if (Buffer.byteLength(value) > policy.maxBytes) return 0
        const t = now()
        const entry: Entry = {
          value,
          freshUntil: t + policy.ttlMs,
          staleUntil: t + policy.ttlMs + Math.max(policy.staleWhileRevalidateMs, policy.graceMs)
        }
        memory.put(key.id, entry)
        yield* Effect.forEach(lower, (tier) => tier.set(key.id, entry), { discard: true, concurrency: "unbounded" })
        return entry.freshUntil
      })

    /** Waits for another instance's computation (it holds the lock) to land in Redis. */
    const awaitLeader = (key: CacheKey) =>
      Effect.gen(function*() {
        const deadline = now() + lockTtlMs
        while (now() < deadline) {
          yield* Effect.sleep(lockPollMs)
          const entry = yield* redis!.get(key.id)
          if (entry !== undefined && now() < entry.freshUntil) return entry
        }
        return undefined
      })

    /**
     * Looks in the lower tiers (L2, then L4) for `key`: a fresh entry is promoted and served; else
     * the freshest stale one comes back as the grace fallback. Runs in the caller's fiber: a hit
     * costs one lookup, not a shared computation.
     */
    const lookLower = (key: CacheKey, fallback: Entry | undefined) =>
      Effect.gen(function*() {
        for (const tier of lower) {
          const entry = yield* lookIn(tier, key)
          if (entry === undefined) continue
          if (now() < entry.freshUntil) {
            yield* promote(key, entry, tier.name)
            return { served: { value: entry.value, source: tier.name, freshUntil: entry.freshUntil } satisfies Served, fallback }
          }
          if (fallback === undefined || entry.staleUntil > fallback.staleUntil) fallback = entry
        }
        return { served: undefined, fallback }
      })

    /** The computing part of a miss, run once per key at a time (single-flight). */
    const resolve = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined) =>
      Effect.gen(function*() {
        // a lock coordinates instances: with Redis down or no other instance listening, there is none to take
        const coordinate = redis !== undefined && redis.available() && redis.instances() > 1
        const lock = coordinate ? yield* redis.lock(key.id, lockTtlMs) : undefined
        if (coordinate && lock === undefined) {
          const led = yield* awaitLeader(key)
          if (led !== undefined) {
            memory.put(key.id, led)
            return { value: led.value, source: "redis", freshUntil: led.freshUntil } satisfies Served
          }
        }
        // the lock is released only once the value is stored, so no other instance computes in between
        return yield* computeAndStore(key, policy, compute, fallback).pipe(Effect.ensuring(lock?.release ?? Effect.void))
      })

    const computeAndStore = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined) =>
      Effect.gen(function*() {
        const computed = yield* Effect.exit(compute)
        const usable = fallback !== undefined && now() < fallback.staleUntil ? fallback : undefined
        if (Exit.isFailure(computed)) {
          if (usable !== undefined && !Cause.hasInterruptsOnly(computed.cause)) {
            return { value: usable.value, source: "stale", freshUntil: usable.freshUntil } satisfies Served
          }
          return yield* Effect.failCause(computed.cause)
        }
        const { cacheable, failed, value } = computed.value
        if (failed === true && usable !== undefined) return { value: usable.value, source: "stale", freshUntil: usable.freshUntil } satisfies Served
        const freshUntil = cacheable ? yield* store(key, policy, value) : 0
        return { value, source: "computed", freshUntil } satisfies Served
      })

    /**
     * The computation in flight for `key`, or a new one forked into the layer's fiber set: a caller
     * that goes away (a cancelled request) does not cancel the answer of the others.
     */
    const flightFor = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined): Flight => {
      const running = flights.get(key.id)
      if (running !== undefined) return running
      const flight: Flight = { fiber: runFork(resolve(key, policy, compute, fallback)), waiters: 0, pinned: false }
      if (flight.fiber.pollUnsafe() !== undefined) return flight
      flights.set(key.id, flight)
      flight.fiber.addObserver(() => {
        if (flights.get(key.id) === flight) flights.delete(key.id)
      })
      return flight
    }

    /**
     * Joins the computation in flight for `key` (or starts it), as effect's own `Cache` does: every
     * waiter gets the flight's exit (an interrupted flight answers its waiters with the
     * interruption); when the last waiter goes away, the flight is detached (new callers start
     * afresh) and interrupted. Joining is uninterruptible up to the wait itself, so no waiter is
     * lost between starting a flight and counting itself.
     */
    const join = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined): Effect.Effect<Served, E> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const flight = flightFor(key, policy, compute, fallback)
          flight.waiters++
          return restore(Fiber.join(flight.fiber as Fiber.Fiber<Served, E>)).pipe(
            Effect.onExit(() =>
              Effect.suspend(() => {
                flight.waiters--
                if (flight.waiters > 0 || flight.fiber.pollUnsafe() !== undefined) return Effect.void
                if (flights.get(key.id) === flight) flights.delete(key.id)
                return Fiber.interrupt(flight.fiber)
              })
            )
          )
        })
      )

    /** The miss path: L2, L4, then one shared computation; `stale` is L1's entry past its freshness, kept for grace. */
    const fill = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, stale: Entry | undefined): Effect.Effect<Served, E> =>
      Effect.flatMap(lookLower(key, stale), ({ fallback, served }) =>
        served !== undefined ? Effect.succeed(served) : join(key, policy, compute, fallback))

    /**
     * Starts a background refresh of `key` (stale-while-revalidate) unless a computation already
     * runs: it takes a fresher value from L2/L4 if another instance has one, else waits for the
     * computation as one of its waiters. A failure is logged and counted.
     */
    const refresh = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>): void => {
      const running = flights.get(key.id)
      if (running !== undefined) {
        // the refresh is one more waiter, for good: the computation goes on if its callers leave
        if (!running.pinned) {
          running.pinned = true
          running.waiters++
        }
        return
      }
      runFork(
        Effect.flatMap(lookLower(key, undefined), ({ served }) =>
          served !== undefined ? Effect.void : Effect.asVoid(join(key, policy, compute, undefined))).pipe(
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logWarning("TieredCache: a background refresh failed; the stale value stays", cause).pipe(
                Effect.andThen(Metric.update(CacheMetrics.refreshFailures, 1))
              )
            )
          )
      )
    }

    const serve = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>): Served | Effect.Effect<Served, E> => {
      const t = now()
      const entry = memory.peek(key.id, t)
      if (entry !== undefined) {
        if (t < entry.freshUntil) {
          memoryHit.updateUnsafe(1, context)
          return { value: entry.value, source: "memory", freshUntil: entry.freshUntil }
        }
        if (t < entry.freshUntil + policy.staleWhileRevalidateMs) {
          memoryHit.updateUnsafe(1, context)
          refresh(key, policy, compute)
          return { value: entry.value, source: "stale", freshUntil: entry.freshUntil }
        }
      }
      memoryMiss.updateUnsafe(1, context)
      return fill(key, policy, compute, entry)
    }

    return TieredCache.of({
      tiers: ["memory", ...lower.map((t) => t.name)],
      serve,
      peek,
      fill: (key, policy, compute) => fill(key, policy, compute, memory.peek(key.id)),
      refresh: (key, policy, compute) => Effect.sync(() => refresh(key, policy, compute)),
      delete: (key) =>
        Effect.gen(function*() {
          memory.remove(key.id)
          yield* Effect.forEach(lower, (tier) => tier.delete(key.id), { discard: true, concurrency: "unbounded" })
        })
    })
  })
