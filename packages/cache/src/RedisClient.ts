/**
 * The Redis connection the Redis tier, bus and lock share (ioredis). It never makes a call wait on
 * a slow or absent Redis: commands time out fast and a circuit breaker skips Redis after repeated
 * failures. Each change of its state (lost, unreachable at start, back) is logged once and counted.
 */
import { Clock, Context, type Duration, Effect, FiberSet, Layer, Metric, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import * as CacheMetrics from "./CacheMetrics.ts"

/** How to reach Redis, under which namespace, and how little to wait for it. */
export interface RedisTierOptions {
  /** The Redis to use, e.g. `redis://127.0.0.1:6379/0`. */
  readonly url: string
  /**
   * The deployment's namespace: every key and channel starts with `tenfold:<namespace>:`, so
   * deployments sharing a Redis never read each other's entries or invalidations; default "default".
   */
  readonly namespace?: string
  /** Longest wait for one command in ms (default 100): a slow Redis is skipped, never waited on. */
  readonly commandTimeoutMs?: number
  /** Consecutive failures that open the circuit breaker (default 3). */
  readonly failuresToOpen?: number
  /** How long the breaker stays open, in ms, before one probe is let through (default 2000). */
  readonly openMs?: number
}

/** The shared command connection, its breaker, and a factory for more connections (a subscriber). */
export class RedisClient extends Context.Service<RedisClient, {
  /** The command connection (ioredis); send through `run` to respect the breaker. */
  readonly redis: Redis
  /** `tenfold:<namespace>:`, the start of every key and channel. */
  readonly prefix: string
  /**
   * Runs one command through the breaker: its reply, or undefined (and an error counted) when it
   * is skipped or fails. The command is sent when the Effect runs, before it first waits.
   */
  readonly run: <A>(command: (redis: Redis) => Promise<A>) => Effect.Effect<A | undefined>
  /** True while Redis is connected and the breaker is closed. */
  readonly available: () => boolean
  /** Another connection to the same Redis (e.g. for SUBSCRIBE), closed with the layer. */
  readonly connect: (options?: RedisOptions) => Effect.Effect<Redis, never, Scope.Scope>
}>()("@tenfold/cache/RedisClient") {
  /** Connects at build (without failing when Redis is down: it comes back on its own) and closes at scope end. */
  static layer = (options: RedisTierOptions) => Layer.effect(RedisClient, make(options))
}

/** How long building the client waits for Redis before it starts without it. */
const STARTUP_WAIT_MS = 1000

/** A reconnect delay that stays within about a second of Redis coming back. */
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1000)

/** `host:port` of `url`, for logs: never its password. */
const describe = (url: string) => {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || "6379"}`
  } catch {
    return "(unparsable URL)"
  }
}

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
    }
  }
}

/** Closes a connection politely (QUIT), or at once when Redis does not answer within `wait`. */
const close = (client: Redis, wait: Duration.Input) =>
  Effect.tryPromise(() => client.quit()).pipe(
    Effect.timeout(wait),
    Effect.ignore,
    Effect.ensuring(Effect.sync(() => client.disconnect()))
  )

/** Builds the client in the current scope. */
export const make = (options: RedisTierOptions) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const now = () => clock.currentTimeMillisUnsafe()
    const commandTimeoutMs = options.commandTimeoutMs ?? 100
    const breaker = makeBreaker(options.failuresToOpen ?? 3, options.openMs ?? 2000)
    const errors = CacheMetrics.forTier(CacheMetrics.errors, "redis")
    const where = describe(options.url)

    const connect = (extra: RedisOptions = {}) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const connection: Redis = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy, ...extra })
          connection.on("error", () => {}) // every failure shows as a failed command or a "close"
          return connection
        }),
        (connection) => close(connection, commandTimeoutMs)
      )
    const redis = yield* connect({ commandTimeout: commandTimeoutMs })
    // runs before the connection closes: a close we asked for is no lost connection
    let closing = false
    yield* Effect.addFinalizer(() => Effect.sync(() => (closing = true)))

    // undefined until the first connection or the end of the startup wait
    let up: boolean | undefined
    const changed = (state: "lost" | "unreachable" | "back", log: Effect.Effect<void>) =>
      runFork(log.pipe(
        Effect.andThen(Metric.update(CacheMetrics.redisStateChanges.pipe(Metric.withAttributes({ state })), 1)),
        Effect.andThen(Metric.update(CacheMetrics.redisUp, state === "back" ? 1 : 0))
      ))
    redis.on("ready", () => {
      breaker.succeed() // a fresh connection: the failures of the old one count no more
      if (up === false) changed("back", Effect.logInfo(`Redis at ${where} is back: L2, invalidation and locks resume`))
      else if (up === undefined) runFork(Metric.update(CacheMetrics.redisUp, 1))
      up = true
    })
    redis.on("close", () => {
      if (up !== true || closing) return
      up = false
      changed("lost", Effect.logWarning(`Lost the connection to Redis at ${where}: L2 is skipped (calls go on from L1 and L4) until it is back`))
    })

    // Start with Redis when it is there; without it (refused, or silent for a while) otherwise.
    yield* Effect.callback<void>((resume) => {
      const done = () => {
        clearTimeout(timer)
        redis.off("ready", done)
        redis.off("close", done)
        resume(Effect.void)
      }
      const timer = setTimeout(done, STARTUP_WAIT_MS)
      redis.once("ready", done)
      redis.once("close", done)
      return Effect.sync(() => {
        clearTimeout(timer)
        redis.off("ready", done)
        redis.off("close", done)
      })
    })
    if (up === undefined) {
      up = false
      changed("unreachable", Effect.logWarning(`Redis at ${where} is unreachable at start: running without L2 until it comes up`))
    }

    const failed = () => {
      breaker.fail(now())
      errors.updateUnsafe(1, context)
    }
    // Commands sent in one synchronous stretch (a value's write, its bus message and its lock
    // release) leave in one socket write: Redis reads them together and answers in one packet.
    let corked = false
    const uncork = () => {
      corked = false
      redis.stream?.uncork()
    }
    const cork = () => {
      if (corked || redis.status !== "ready") return
      corked = true
      redis.stream.cork()
      queueMicrotask(uncork)
    }
    const run = <A>(command: (redis: Redis) => Promise<A>): Effect.Effect<A | undefined> =>
      Effect.suspend(() => {
        if (!breaker.tryPass(now())) {
          errors.updateUnsafe(1, context)
          return Effect.undefined
        }
        return Effect.callback<A | undefined>((resume) => {
          try {
            cork()
            command(redis).then((reply) => {
              breaker.succeed()
              resume(Effect.succeed(reply))
            }, () => {
              failed()
              resume(Effect.undefined)
            })
          } catch {
            failed()
            resume(Effect.undefined)
          }
        })
      })

    return RedisClient.of({
      redis,
      prefix: `tenfold:${options.namespace ?? "default"}:`,
      run,
      available: () => redis.status === "ready" && !breaker.isOpen(now()),
      connect
    })
  })
