/**
 * L2: a Redis tier shared by every Tenfold instance (ioredis). It never makes a call wait on a
 * slow or absent Redis: commands time out fast, a circuit breaker skips Redis after repeated
 * failures, and the tier answers "miss" instead. It also carries the cluster's L1 invalidations
 * (pub/sub) and its cross-instance single-flight locks.
 */
import { Clock, Context, Effect, Layer, Metric, Schedule } from "effect"
import { Redis } from "ioredis"
import { createHash, randomUUID } from "node:crypto"
import * as CacheMetrics from "./CacheMetrics.ts"
import type { CacheTier } from "./CacheTier.ts"
import { decode, encode } from "./Entry.ts"

/** How to reach Redis, and how little to wait for it. */
export interface RedisTierOptions {
  /** The Redis to use, e.g. `redis://127.0.0.1:6379/0`. */
  readonly url: string
  /** Prefix of every key and channel, so instances of different deployments can share a Redis; default "tenfold:". */
  readonly prefix?: string
  /** Longest wait for one command in ms (default 100): a slow Redis is skipped, never waited on. */
  readonly commandTimeoutMs?: number
  /** Consecutive failures that open the circuit breaker (default 3). */
  readonly failuresToOpen?: number
  /** How long the breaker stays open, in ms, before one probe is let through (default 2000). */
  readonly openMs?: number
}

/** L2, shared by the instances: a fail-open cache tier plus their invalidation channel and locks. */
export class RedisTier extends Context.Service<RedisTier, CacheTier & {
  /**
   * Calls `listener` with a logical key another instance set or deleted, or with undefined when
   * this instance must drop all of L1 (after a reconnect it may have missed messages).
   * Returns an unsubscribe function.
   */
  readonly onInvalidate: (listener: (key: string | undefined) => void) => () => void
  /**
   * Tries to take the cross-instance single-flight lock for `key` for `ttlMs`; undefined when
   * another instance holds it or Redis is unavailable. `release` deletes it only if still ours.
   */
  readonly lock: (key: string, ttlMs: number) => Effect.Effect<{ readonly release: Effect.Effect<void> } | undefined>
  /** True while Redis is connected and the breaker is closed. */
  readonly available: () => boolean
  /**
   * How many instances (this one included) listen on this Redis, as last counted (every second);
   * infinite until first counted. With one, a cross-instance lock has nothing to coordinate.
   */
  readonly instances: () => number
}>()("@tenfold/cache/RedisTier") {
  /** Connects at build (without failing when Redis is down: the tier comes back on its own) and closes at scope end. */
  static layer = (options: RedisTierOptions) => Layer.effect(RedisTier, make(options))
}

/** How long building the tier waits for Redis before it starts without it. */
const STARTUP_WAIT_MS = 1000
/** Deletes the lock only if it still holds our token. */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

/** A reconnect delay that stays within about a second of Redis coming back. */
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1000)

/** A Redis key that is safe and bounded whatever the logical key: base64url of its SHA-256. */
const hashed = (key: string) => createHash("sha256").update(key).digest("base64url")

/**
 * The circuit breaker, driven by the caller's clock: `failuresToOpen` consecutive failures open it
 * for `openMs`; then one probe is let through, whose success closes it and failure reopens it.
 */
const makeBreaker = (failuresToOpen: number, openMs: number) => {
  let failures = 0
  let openUntil = 0
  let probing = false
  return {
    /** Whether a command may go to Redis now. */
    tryPass: (now: number): boolean => {
      if (failures < failuresToOpen) return true
      if (now < openUntil || probing) return false
      probing = true
      return true
    },
    isOpen: (now: number): boolean => failures >= failuresToOpen && (now < openUntil || probing),
    succeed: () => {
      failures = 0
      probing = false
    },
    fail: (now: number) => {
      failures++
      probing = false
      if (failures >= failuresToOpen) openUntil = now + openMs
    },
    reset: () => {
      failures = 0
      probing = false
    }
  }
}

/** Closes a connection politely (QUIT), or at once when Redis does not answer within `waitMs`. */
const close = (client: Redis, waitMs: number) =>
  Effect.promise(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    return Promise.race([
      client.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))
    ]).finally(() => {
      clearTimeout(timer)
      client.disconnect()
    })
  })

/** Builds the tier in the current scope: two connections (commands, subscription), closed with the scope. */
export const make = (options: RedisTierOptions) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const now = () => clock.currentTimeMillisUnsafe()
    const prefix = options.prefix ?? "tenfold:"
    const channel = `${prefix}invalidate`
    const commandTimeoutMs = options.commandTimeoutMs ?? 100
    const instance = randomUUID()
    const breaker = makeBreaker(options.failuresToOpen ?? 3, options.openMs ?? 2000)
    const errors = CacheMetrics.forTier(CacheMetrics.errors, "redis")
    const listeners = new Set<(key: string | undefined) => void>()
    /** Instances listening on the channel, this one included (see `instances`). */
    let instances = Number.POSITIVE_INFINITY

    const client = new Redis(options.url, {
      commandTimeout: commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy
    })
    // its only commands are (re)subscribing on each "ready", so it needs no queue nor timeout
    const subscriber = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      retryStrategy
    })
    yield* Effect.addFinalizer(() =>
      Effect.all([close(client, commandTimeoutMs), close(subscriber, commandTimeoutMs)], { concurrency: "unbounded", discard: true })
    )

    const notify = (key: string | undefined) => {
      for (const listener of listeners) {
        try {
          listener(key)
        } catch {
          // one failing listener must not keep the others from invalidating
        }
      }
    }

    // Set on any connection loss; cleared (and L1 dropped) once both connections are back.
    let missed = false
    let subscribed = false
    const whenUp = new Set<() => void>()
    const upAgain = () => {
      if (!subscribed || client.status !== "ready") return
      for (const resume of whenUp) resume()
      if (missed) {
        missed = false
        notify(undefined)
      }
    }
    const lost = () => {
      missed = true
    }
    client.on("error", () => {}) // every failure shows as a failed command or a "close"
    subscriber.on("error", () => {})
    client.on("close", lost)
    subscriber.on("close", () => {
      subscribed = false
      lost()
    })
    client.on("ready", () => {
      breaker.reset()
      upAgain()
    })
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(() => {
        subscribed = true
        upAgain()
        // say hello, so the others know at once that locks have someone to coordinate with
        client.publish(channel, JSON.stringify({ i: instance })).catch(() => {})
      }, () => {})
    })
    subscriber.on("message", (from: string, message: string) => {
      if (from !== channel) return
      try {
        const { i, k } = JSON.parse(message) as { i?: unknown; k?: unknown }
        if (i === instance) return
        if (instances < 2) instances = 2
        if (typeof k === "string") notify(k)
      } catch {
        // not one of ours
      }
    })

    // Start with Redis when it is there; without it (refused, or silent for a while) otherwise.
    yield* Effect.callback<void>((resume) => {
      const stopWaiting = () => {
        clearTimeout(timer)
        whenUp.delete(done)
        client.off("close", done)
      }
      const done = () => {
        stopWaiting()
        resume(Effect.void)
      }
      const timer = setTimeout(done, STARTUP_WAIT_MS)
      whenUp.add(done)
      client.once("close", done)
      return Effect.sync(stopWaiting)
    })

    /** Runs one Redis command through the breaker: undefined (and an error counted) when it is skipped or fails. */
    const guarded = <A>(command: () => Promise<A>): Effect.Effect<A | undefined> =>
      Effect.suspend(() => {
        if (!breaker.tryPass(now())) return Effect.as(Metric.update(errors, 1), undefined)
        return Effect.tryPromise(command).pipe(
          Effect.tap(() => Effect.sync(breaker.succeed)),
          Effect.catch(() =>
            Effect.sync(() => breaker.fail(now())).pipe(Effect.andThen(Metric.update(errors, 1)), Effect.as(undefined))
          )
        )
      })

    /** Sends `command`, then (on the same connection, so after it) tells the other instances that `key` changed. */
    const changed = (key: string, command: Promise<unknown>) =>
      Promise.all([command, client.publish(channel, JSON.stringify({ i: instance, k: key }))])

    const entryKey = (key: string) => `${prefix}c:${hashed(key)}`

    const lock = (key: string, ttlMs: number) =>
      Effect.gen(function*() {
        const lockKey = `${prefix}l:${hashed(key)}`
        const token = randomUUID()
        const taken = yield* guarded(() => client.set(lockKey, token, "PX", Math.max(1, Math.ceil(ttlMs)), "NX"))
        if (taken !== "OK") return undefined
        return { release: Effect.asVoid(guarded(() => client.eval(RELEASE_SCRIPT, 1, lockKey, token))) }
      })

    // outside the breaker: a count must neither use up its probe nor open it
    const countInstances = Effect.promise(() =>
      client.status !== "ready" || breaker.isOpen(now())
        ? Promise.resolve(undefined)
        : client.pubsub("NUMSUB", channel).then((reply) => {
          if (Array.isArray(reply) && typeof reply[1] === "number") instances = reply[1]
        }, () => undefined)
    )
    yield* Effect.forkScoped(Effect.repeat(countInstances, Schedule.spaced("1 second")))

    return RedisTier.of({
      name: "redis",
      get: (key) =>
        guarded(() => client.getBuffer(entryKey(key))).pipe(
          Effect.map((bytes) => (bytes === undefined || bytes === null ? undefined : decode(bytes)))
        ),
      set: (key, entry) =>
        Effect.asVoid(guarded(() => {
          const ttlMs = Math.max(1, Math.ceil(entry.staleUntil - now()))
          return changed(key, client.set(entryKey(key), encode(entry), "PX", ttlMs))
        })),
      delete: (key) => Effect.asVoid(guarded(() => changed(key, client.del(entryKey(key))))),
      onInvalidate: (listener) => {
        listeners.add(listener)
        return () => {
          listeners.delete(listener)
        }
      },
      lock,
      available: () => client.status === "ready" && !breaker.isOpen(now()),
      instances: () => instances
    })
  })
