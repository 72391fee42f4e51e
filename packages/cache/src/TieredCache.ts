/**
 * The tiered cache: L1 memory, then the `CacheTiers` in order (e.g. Redis, SQLite), with promotion
 * into the faster tiers on a hit, single-flight (one computation per key per process, and per
 * cluster with a `CacheLock` when other instances are on the `CacheBus`), stale-while-revalidate,
 * grace on failure, and per-tier metrics. It names no backend: tiers, bus and lock are services.
 * No call ever fails because a cache tier failed: tiers answer "miss" instead.
 */
import { Cause, Clock, Context, Effect, Exit, Fiber, FiberSet, Layer, Metric, Option, References, Tracer } from "effect"
import { CacheBus } from "./CacheBus.ts"
import type { CacheKey } from "./CacheKey.ts"
import { CacheLock } from "./CacheLock.ts"
import * as CacheMetrics from "./CacheMetrics.ts"
import type { CacheTier, TierName } from "./CacheTier.ts"
import { CacheTiers } from "./CacheTiers.ts"
import type { Entry } from "./Entry.ts"
import { MemoryTier } from "./MemoryTier.ts"
import type { CachePolicy } from "./Policy.ts"

/** What a computation produced: the serialized value, and whether it may be cached. */
export interface Computed {
  readonly value: string
  /** False for results that must not be stored (errors, answers that need client input). */
  readonly cacheable: boolean
  /** True when the computation failed in a way a stale value (grace) should answer instead. */
  readonly failed?: boolean
}

/** Where an answer came from: a tier's name, or the computation, or a stale entry. */
export type Source = TierName | "computed" | "stale"

export interface Served {
  readonly value: string
  readonly source: Source
  /** Epoch ms until which the value is fresh (for the caller's cache hints); 0 when not cached. */
  readonly freshUntil: number
  /** True for a computed value that reports a failure (`Computed.failed`): every caller sharing the computation counts it as one. */
  readonly failed?: boolean
}

/** What the lower tiers answered: a fresh value, or the grace fallback. */
interface Looked {
  readonly served?: Served
  readonly fallback: Entry | undefined
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
  /** How often a follower instance looks for the leader's result in the shared tiers (default 25 ms). */
  readonly lockPollMs?: number
  /**
   * A miss takes the cross-instance lock only for a tool whose last run took at least this long
   * (default 10 ms; a tool not run yet always takes it): for a faster tool, running it twice costs
   * less than the lock's round trips.
   */
  readonly lockAboveMs?: number
}

export class TieredCache extends Context.Service<TieredCache, {
  /**
   * The one entry point of a cached call (stale-while-revalidate): a `Served` at once for a fresh
   * L1 hit, and for a stale one within `staleWhileRevalidate` (a background refresh is started);
   * otherwise an Effect that looks in the lower tiers and runs `compute` once for all concurrent
   * callers. `compute` is only run on that miss path or by the refresh.
   */
  readonly serve: <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>) => Served | Effect.Effect<Served, E>
  /** Removes `key` from every tier and, through the bus, from every instance's L1. */
  readonly delete: (key: CacheKey) => Effect.Effect<void>
}>()("@tenfold/cache/TieredCache") {
  /** Uses MemoryTier as L1, plus `CacheTiers`, `CacheBus` and `CacheLock` when they are provided. */
  static layer = (options: TieredCacheOptions = {}) => Layer.effect(TieredCache, make(options))
}

/** The metric series of one tier, built once: building one costs more than updating it. */
const seriesOf = (tier: TierName) => ({
  hit: CacheMetrics.forTier(CacheMetrics.hits, tier),
  miss: CacheMetrics.forTier(CacheMetrics.misses, tier),
  accessTime: CacheMetrics.forTier(CacheMetrics.accessTime, tier)
})

export const make = (options: TieredCacheOptions = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const memory = yield* MemoryTier
    const lower = Option.getOrElse(yield* Effect.serviceOption(CacheTiers), (): ReadonlyArray<CacheTier> => [])
    const bus = Option.getOrUndefined(yield* Effect.serviceOption(CacheBus))
    const lock = Option.getOrUndefined(yield* Effect.serviceOption(CacheLock))
    const lockTtlMs = options.lockTtlMs ?? 10_000
    const lockPollMs = options.lockPollMs ?? 25
    const lockAboveMs = options.lockAboveMs ?? 10
    /** How long each tool's last computation took, in ms (one entry per tool). */
    const lastRunMs = new Map<string, number>()
    const flights = new Map<string, Flight>()
    /** Keys whose refresh is looking in the lower tiers (before it joins a flight): later stale hits start no other. */
    const refreshing = new Set<string>()
    // flights and refreshes live as long as the layer: closing it interrupts them
    const runFork = yield* FiberSet.makeRuntime<never, unknown, unknown>()
    const now = () => clock.currentTimeMillisUnsafe()
    const memorySeries = seriesOf("memory")
    const lowerSeries = lower.map((tier) => seriesOf(tier.name))

    if (bus !== undefined) {
      // another instance changed a key, or we may have missed messages
      const stop = bus.subscribe((digest) => (digest === undefined ? memory.clear() : memory.removeDigest(digest)))
      yield* Effect.addFinalizer(() => Effect.sync(stop))
    }

    /** A miss takes the cross-instance lock only with other instances on the bus, and for a tool not known to be fast. */
    const coordinating = (tool: string) =>
      lock !== undefined && bus !== undefined && bus.instances() > 1 && (lastRunMs.get(tool) ?? lockAboveMs) >= lockAboveMs

    /** The lower tier `index` (and those after it) for `key`: a fresh entry is promoted and served; else the freshest stale one is kept as the grace fallback. */
    const lookFrom = (index: number, key: CacheKey, policy: CachePolicy, fallback: Entry | undefined): Effect.Effect<Looked> => {
      if (index === lower.length) return Effect.succeed({ fallback })
      const tier = lower[index]!
      if (tier.serves !== undefined && !tier.serves(policy)) return lookFrom(index + 1, key, policy, fallback)
      const metrics = lowerSeries[index]!
      const started = performance.now()
      return Effect.flatMap(tier.get(key, policy), (entry) => {
        metrics.accessTime.updateUnsafe(performance.now() - started, context)
        ;(entry === undefined ? metrics.miss : metrics.hit).updateUnsafe(1, context)
        if (entry !== undefined && now() < entry.freshUntil) {
          const served: Served = { value: entry.value, source: tier.name, freshUntil: entry.freshUntil }
          memory.put(key, entry)
          if (index === 0) return Effect.succeed({ served, fallback })
          return Effect.as(together(lower.slice(0, index).filter((faster) => faster.serves === undefined || faster.serves(policy)).map((faster) => faster.set(key, entry, policy))), { served, fallback })
        }
        const freshest = entry !== undefined && (fallback === undefined || entry.staleUntil > fallback.staleUntil) ? entry : fallback
        return lookFrom(index + 1, key, policy, freshest)
      })
    }

    /**
     * Runs `effects` together and waits for them all. Each starts at once, in this order, in the
     * layer's fiber set: a shared Redis gets their commands in one write, in this order, and
     * before any later command of this caller.
     */
    const together = (effects: ReadonlyArray<Effect.Effect<void>>): Effect.Effect<void> =>
      effects.length === 0 ? Effect.void : Effect.suspend(() => Effect.asVoid(Fiber.joinAll(effects.map((effect) => runFork(effect)))))

    /**
     * Stores a computed value in every tier; the lower tiers' writes, the bus message and the lock
     * release go out together (one round trip on a shared Redis), in that order on the wire.
     */
    const store = (key: CacheKey, policy: CachePolicy, value: string, release: Effect.Effect<void>) =>
      Effect.suspend(() => {
        if (Buffer.byteLength(value) > policy.maxBytes) return Effect.as(release, 0)
        const t = now()
        const entry: Entry = {
          value,
          freshUntil: t + policy.ttlMs,
          staleUntil: t + policy.ttlMs + Math.max(policy.staleWhileRevalidateMs, policy.graceMs)
        }
        memory.put(key, entry)
        const writes: Array<Effect.Effect<void>> = []
        for (const tier of lower) if (tier.serves === undefined || tier.serves(policy)) writes.push(tier.set(key, entry, policy))
        if (bus !== undefined) writes.push(bus.publish(key.digest))
        // no lock to release (L1 alone, or a fast tool): an L1-only miss forks nothing
        if (release !== Effect.void) writes.push(release)
        return Effect.as(together(writes), entry.freshUntil)
      })

    /** Waits for another instance's computation (it holds the lock) to land in a shared tier. */
    const awaitLeader = (key: CacheKey, policy: CachePolicy) =>
      Effect.gen(function*() {
        const deadline = now() + lockTtlMs
        while (now() < deadline) {
          yield* Effect.sleep(lockPollMs)
          const { served } = yield* lookFrom(0, key, policy, undefined)
          if (served !== undefined) return served
        }
        return undefined
      })

    /** The computing part of a miss, run once per key at a time (single-flight). */
    const resolve = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined) =>
      Effect.gen(function*() {
        const acquired = coordinating(key.tool) ? yield* lock!.acquire(key.digest, lockTtlMs) : undefined
        if (acquired?.held === true) {
          const led = yield* awaitLeader(key, policy)
          if (led !== undefined) return led
        }
        // the lock is released with the value's writes, so no other instance computes in between
        const release = acquired?.held === false ? acquired.release : Effect.void
        return yield* computeAndStore(key, policy, compute, fallback, release).pipe(Effect.onInterrupt(() => release))
      })

    /** Runs `compute` and stores a cacheable result (grace answers a failure); releases the lock once, with the writes when it stores. */
    const computeAndStore = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined, release: Effect.Effect<void>) =>
      Effect.gen(function*() {
        // run times only matter to `coordinating`: without a lock and a bus nothing is measured
        const started = lock !== undefined && bus !== undefined ? performance.now() : undefined
        const computed = yield* Effect.exit(compute)
        if (started !== undefined) lastRunMs.set(key.tool, performance.now() - started)
        const usable = fallback !== undefined && now() < fallback.staleUntil ? fallback : undefined
        if (Exit.isFailure(computed)) {
          yield* release
          if (usable !== undefined && !Cause.hasInterruptsOnly(computed.cause)) {
            return { value: usable.value, source: "stale", freshUntil: usable.freshUntil } satisfies Served
          }
          return yield* Effect.failCause(computed.cause)
        }
        const { cacheable, failed, value } = computed.value
        if (failed === true && usable !== undefined) {
          yield* release
          return { value: usable.value, source: "stale", freshUntil: usable.freshUntil } satisfies Served
        }
        const freshUntil = cacheable ? yield* store(key, policy, value, release) : yield* Effect.as(release, 0)
        return { value, source: "computed", freshUntil, failed: failed === true } satisfies Served
      })

    /**
     * The computation in flight for `key`, or a new one forked into the layer's fiber set: a caller
     * that goes away (a cancelled request) does not cancel the answer of the others. A new one keeps
     * the tracing span and log annotations of the caller that starts it (`starter`), so the tool's
     * run shows in that caller's trace and its logs carry its request id.
     */
    const flightFor = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, fallback: Entry | undefined, starter: Fiber.Fiber<unknown, unknown>): Flight => {
      const running = flights.get(key.id)
      if (running !== undefined) return running
      const span = Context.getOrUndefined(starter.context, Tracer.ParentSpan)
      const resolved = Effect.provideService(resolve(key, policy, compute, fallback), References.CurrentLogAnnotations, starter.getRef(References.CurrentLogAnnotations))
      const flight: Flight = { fiber: runFork(span === undefined ? resolved : Effect.withParentSpan(resolved, span)), waiters: 0, pinned: false }
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
        Effect.withFiber((fiber) => {
          const flight = flightFor(key, policy, compute, fallback, fiber)
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

    /** The miss path: the lower tiers, then one shared computation; `stale` is L1's entry past its freshness, kept for grace. */
    const fill = <E>(key: CacheKey, policy: CachePolicy, compute: Effect.Effect<Computed, E>, stale: Entry | undefined): Effect.Effect<Served, E> =>
      Effect.flatMap(lookFrom(0, key, policy, stale), ({ fallback, served }) =>
        served !== undefined ? Effect.succeed(served) : join(key, policy, compute, fallback))

    /**
     * Starts a background refresh of `key` (stale-while-revalidate) unless one or a computation
     * already runs: it takes a fresher value from the lower tiers if another instance has one, else waits
     * for the computation as one of its waiters. A failure is logged and counted.
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
      if (refreshing.has(key.id)) return
      refreshing.add(key.id)
      runFork(
        Effect.flatMap(
          lookFrom(0, key, policy, undefined).pipe(Effect.ensuring(Effect.sync(() => refreshing.delete(key.id)))),
          ({ served }) => served !== undefined ? Effect.void : Effect.asVoid(join(key, policy, compute, undefined))
        ).pipe(
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
          memorySeries.hit.updateUnsafe(1, context)
          return { value: entry.value, source: "memory", freshUntil: entry.freshUntil }
        }
        if (t < entry.freshUntil + policy.staleWhileRevalidateMs) {
          memorySeries.hit.updateUnsafe(1, context)
          refresh(key, policy, compute)
          return { value: entry.value, source: "stale", freshUntil: entry.freshUntil }
        }
      }
      memorySeries.miss.updateUnsafe(1, context)
      return fill(key, policy, compute, entry)
    }

    return TieredCache.of({
      serve,
      delete: (key) =>
        Effect.suspend(() => {
          const deletes = [memory.delete(key), ...lower.map((tier) => tier.delete(key))]
          if (bus !== undefined) deletes.push(bus.publish(key.digest))
          return together(deletes)
        })
    })
  })
