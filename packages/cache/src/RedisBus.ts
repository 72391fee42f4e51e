/**
 * `CacheBus` on Redis pub/sub: one channel per namespace, messages `<instance> <digest>` (a key's
 * digest, never its arguments). A failed SUBSCRIBE is logged, counted and retried on a schedule;
 * after a lost subscription, listeners are told to drop all of L1 (messages may have been missed).
 */
import { Effect, type Fiber, FiberSet, Layer, Metric, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { type BusListener, CacheBus } from "./CacheBus.ts"
import * as CacheMetrics from "./CacheMetrics.ts"
import { RedisClient } from "./RedisClient.ts"

/** `CacheBus` on the shared Redis, with a subscriber connection of its own. */
export class RedisBus {
  /** Provides `CacheBus` on a `RedisClient` provided elsewhere. */
  static layer = Layer.effect(CacheBus, Effect.suspend(() => make))
}

/** How long building the bus waits for its first subscription before it starts without it. */
const STARTUP_WAIT_MS = 1000
/** Between failed SUBSCRIBE attempts: 100 ms, doubling, at most 5 s. */
const resubscribe = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")])

export const make = Effect.gen(function*() {
  const { connect, prefix, redis, run } = yield* RedisClient
  const runFork = yield* FiberSet.makeRuntime<never, void, never>()
  const channel = `${prefix}invalidate`
  const instance = randomUUID()
  const listeners = new Set<BusListener>()
  /** Instances listening on the channel, this one included. */
  let instances = Number.POSITIVE_INFINITY
  let subscribed = false
  /** Set when the subscription is lost; cleared (and L1 dropped) once subscribed again. */
  let missed = false
  const whenSubscribed = new Set<() => void>()

  const notify = (digest: string | undefined) => {
    for (const listener of listeners) {
      try {
        listener(digest)
      } catch {
        // one failing listener must not keep the others from invalidating
      }
    }
  }

  const subscriber = yield* connect({ autoResubscribe: false })
  subscriber.on("close", () => {
    if (subscribed) missed = true
    subscribed = false
  })
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return
    const space = message.indexOf(" ")
    if ((space < 0 ? message : message.slice(0, space)) === instance) return
    if (instances < 2) instances = 2
    if (space > 0) notify(message.slice(space + 1))
  })

  let failures = 0
  const attempt = Effect.tryPromise(() => subscriber.subscribe(channel)).pipe(
    Effect.tapError((cause) => {
      failures++
      const log = failures > 1 ? Effect.void : Effect.logWarning(
        `Redis SUBSCRIBE ${channel} failed (${cause.message}): other instances' invalidations do not reach this L1; retrying`
      )
      return log.pipe(Effect.andThen(Metric.update(CacheMetrics.busSubscribeFailures, 1)))
    })
  )
  const subscribe = attempt.pipe(
    Effect.retry(resubscribe),
    Effect.andThen(Effect.suspend(() => {
      subscribed = true
      const recovered = failures > 0 ? Effect.logInfo(`Redis SUBSCRIBE ${channel} succeeded after ${failures} failures`) : Effect.void
      failures = 0
      if (missed) {
        missed = false
        notify(undefined)
      }
      for (const resume of whenSubscribed) resume()
      // say hello, so the others know at once that locks have someone to coordinate with
      return recovered.pipe(Effect.andThen(run((r) => r.publish(channel, instance))))
    })),
    Effect.ignore // never reached: the schedule retries for as long as the layer lives
  )
  let subscribing: Fiber.Fiber<void> | undefined
  subscriber.on("ready", () => {
    if (subscribing !== undefined) subscribing.interruptUnsafe()
    subscribing = runFork(subscribe)
  })

  // a Redis the client could not reach at start will not be subscribed to in time either
  if (redis.status === "ready") yield* Effect.callback<void>((resume) => {
    const done = () => {
      clearTimeout(timer)
      whenSubscribed.delete(done)
      resume(Effect.void)
    }
    const timer = setTimeout(done, STARTUP_WAIT_MS)
    whenSubscribed.add(done)
    return Effect.sync(() => {
      clearTimeout(timer)
      whenSubscribed.delete(done)
    })
  })

  // outside the breaker: a count must neither use up its probe nor open it
  const countInstances = Effect.promise(() =>
    redis.status !== "ready"
      ? Promise.resolve(undefined)
      : redis.pubsub("NUMSUB", channel).then((reply) => {
        if (Array.isArray(reply) && typeof reply[1] === "number") instances = reply[1]
      }, () => undefined)
  )
  yield* Effect.forkScoped(Effect.repeat(countInstances, Schedule.spaced("1 second")))

  return CacheBus.of({
    publish: (digest) => Effect.asVoid(run((r) => r.publish(channel, `${instance} ${digest}`))),
    subscribe: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    instances: () => instances
  })
})
