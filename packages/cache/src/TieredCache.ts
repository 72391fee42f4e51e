/**
 * The tiered cache: L1 memory → L2 Redis → L4 SQLite, with promotion to the faster tiers on a
 * hit, single-flight (one computation per key per process, and per cluster with a short Redis
 * lock when L2 is on), stale-while-revalidate, grace on failure, and per-tier metrics.
 * No call ever fails because a cache tier failed: tiers answer "miss" instead.
 */
import { Cause, Clock, Context, Deferred, Effect, Exit, Fiber, Layer, Metric, Option } from "effect"
import * as CacheMetrics from "./CacheMetrics.ts"
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

/** One computation in flight for a key, and how many callers wait for it. */
interface Flight<E> {
  readonly done: Deferred.Deferred<Served, E>
  fiber: Fiber.Fiber<unknown> | undefined
  waiters: number
  /** A background refresh is never interrupted for lack of waiters. */
  readonly background: boolean
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
  /** L1 only, synchronously: what the hot path answers from without running any Effect. */
  readonly peek: (key: string, policy: CachePolicy) => Peeked | undefined
  /**
   * The value under `key` from the fastest tier that has it fresh, or `compute`'s, stored through
   * the tiers. Concurrent misses for one key share one computation.
   */
  readonly getOrSet: <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Effect.Effect<Served, E>
  /**
   * The miss path of `getOrSet`, for a caller whose own `peek` already found nothing usable in
   * L1: L2, L4, then one shared computation (the hot path peeks synchronously first).
   */
  readonly fill: <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Effect.Effect<Served, E>
  /** Recomputes `key` in the background (stale-while-revalidate); joins a computation already running. */
  readonly refresh: <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Effect.Effect<void>
  /** Removes `key` from every tier (and, through Redis, from every instance's L1). */
  readonly delete: (key: string) => Effect.Effect<void>
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
    const inflight = new Map<string, Flight<unknown>>()
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

    const peek = (key: string, policy: CachePolicy): Peeked | undefined => {
      const t = now()
      const entry = memory.peek(key, t)
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
    const lookIn = (tier: CacheTier, key: string) =>
      Effect.suspend(() => {
        const started = performance.now()
        return tier.get(key).pipe(
          Effect.tap((entry) =>
            Effect.all([
              Metric.update(accessTime(tier.name), performance.now() - started),
              Metric.update(entry === undefined ? miss(tier.name) : hit(tier.name), 1)
            ], { discard: true })
          )
        )
      })

    /** Copies an entry found in a slower tier into the faster ones. */
    const promote = (key: string, entry: Entry, foundIn: TierName) =>
      Effect.gen(function*() {
        memory.put(key, entry)
        if (foundIn === "sqlite" && redis !== undefined) yield* redis.set(key, entry)
      })

    const store = (key: string, policy: CachePolicy, value: string) =>
      Effect.gen(function*() {
        if (Buffer.byteLength(value) > policy.maxBytes) return 0
        const t = now()
        const entry: Entry = {
          value,
          freshUntil: t + policy.ttlMs,
          staleUntil: t + policy.ttlMs + Math.max(policy.staleWhileRevalidateMs, policy.graceMs)
        }
        memory.put(key, entry)
        yield* Effect.forEach(lower, (tier) => tier.set(key, entry), { discard: true, concurrency: "unbounded" })
        return entry.freshUntil
      })

    /** Waits for another instance's computation (it holds the lock) to land in Redis. */
    const awaitLeader = (key: string) =>
      Effect.gen(function*() {
        const deadline = now() + lockTtlMs
        while (now() < deadline) {
          yield* Effect.sleep(lockPollMs)
          const entry = yield* redis!.get(key)
          if (entry !== undefined && now() < entry.freshUntil) return entry
        }
        return undefined
      })

    /**
     * Looks in the lower tiers (L2, then L4) for `key`: a fresh entry is promoted and served; else
     * the freshest stale one comes back as the grace fallback. Runs in the caller's fiber: a hit
     * costs one lookup, not a shared computation.
     */
    const lookLower = (key: string, fallback: Entry | undefined) =>
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
    const resolve = <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined) =>
      Effect.gen(function*() {
        // a lock coordinates instances: with Redis down or no other instance listening, there is none to take
        const coordinate = redis !== undefined && redis.available() && redis.instances() > 1
        const lock = coordinate ? yield* redis.lock(key, lockTtlMs) : undefined
        if (coordinate && lock === undefined) {
          const led = yield* awaitLeader(key)
          if (led !== undefined) {
            memory.put(key, led)
            return { value: led.value, source: "redis", freshUntil: led.freshUntil } satisfies Served
          }
        }
        // the lock is released only once the value is stored, so no other instance computes in between
        return yield* computeAndStore(key, policy, compute, fallback).pipe(Effect.ensuring(lock?.release ?? Effect.void))
      })

    const computeAndStore = <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined) =>
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
     * Joins the computation in flight for `key`, or starts one in its own fiber: a caller that goes
     * away (a cancelled request) does not cancel the answer of the others. When the last caller
     * waiting for a foreground computation goes away, the computation is interrupted too.
     */
    const singleFlight = <E>(
      key: string,
      policy: CachePolicy,
      compute: Effect.Effect<Computed, E>,
      background: boolean,
      fallback: Entry | undefined
    ) =>
      Effect.gen(function*() {
        const running = inflight.get(key)
        if (running !== undefined) return running as Flight<E>
        const done = yield* Deferred.make<Served, E>()
        const flight: Flight<E> = { done, fiber: undefined, waiters: 0, background }
        inflight.set(key, flight as Flight<unknown>)
        flight.fiber = yield* resolve(key, policy, compute, fallback).pipe(
          Effect.exit,
          Effect.flatMap((exit) => Deferred.done(done, exit)),
          Effect.ensuring(Effect.sync(() => inflight.get(key) === flight && inflight.delete(key))),
          Effect.forkDetach
        )
        return flight
      })

    const wait = <E>(key: string, flight: Flight<E>): Effect.Effect<Served, E> =>
      Effect.suspend(() => {
        flight.waiters++
        return Deferred.await(flight.done).pipe(
          Effect.onExit(() =>
            Effect.suspend(() => {
              flight.waiters--
              if (flight.waiters > 0 || flight.background || flight.fiber === undefined) return Effect.void
              if (inflight.get(key) === flight) inflight.delete(key)
              return Effect.asVoid(Fiber.interrupt(flight.fiber))
            })
          )
        )
      })

    const getOrSet = <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>): Effect.Effect<Served, E> =>
      Effect.suspend(() => {
        const peeked = peek(key, policy)
        if (peeked !== undefined) {
          const served: Served = { value: peeked.entry.value, source: peeked.fresh ? "memory" : "stale", freshUntil: peeked.entry.freshUntil }
          return peeked.fresh ? Effect.succeed(served) : Effect.as(refresh(key, policy, compute), served)
        }
        return fill(key, policy, compute)
      })

    const fill = <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>): Effect.Effect<Served, E> =>
      Effect.flatMap(lookLower(key, memory.peek(key)), ({ fallback, served }) =>
        served !== undefined
          ? Effect.succeed(served)
          : Effect.flatMap(singleFlight(key, policy, compute, false, fallback), (flight) => wait(key, flight)))

    /** A refresh runs in the background: it first takes a fresher value from L2/L4 if another instance has one. */
    const refresh = <E>(key: string, policy: CachePolicy, compute: Effect.Effect<Computed, E>): Effect.Effect<void> =>
      inflight.has(key)
        ? Effect.void
        : Effect.forkDetach(
          Effect.flatMap(lookLower(key, undefined), ({ served }) =>
            served !== undefined ? Effect.void : Effect.flatMap(singleFlight(key, policy, compute, true, undefined), (flight) => Deferred.await(flight.done)))
            .pipe(Effect.ignore)
        ).pipe(Effect.asVoid)

    return TieredCache.of({
      tiers: ["memory", ...lower.map((t) => t.name)],
      peek,
      getOrSet,
      fill,
      refresh,
      delete: (key) =>
        Effect.gen(function*() {
          memory.remove(key)
          yield* Effect.forEach(lower, (tier) => tier.delete(key), { discard: true, concurrency: "unbounded" })
        })
    })
  })
