/** The Redis services of one Tenfold instance, built in the current scope, for tests. */
import { Context, Effect, Layer, Logger } from "effect"
import { CacheBus } from "../../src/CacheBus.ts"
import { CacheLock } from "../../src/CacheLock.ts"
import { RedisClient, type RedisTierOptions } from "../../src/RedisClient.ts"
import { RedisTier } from "../../src/RedisTier.ts"

/** Builds `RedisTier.layer(options)` in the current scope; the tier, bus, lock and client it provides. `logs` collects its log lines as "<level>: <message>". */
export const redisServices = (options: RedisTierOptions, logs?: Array<string>) =>
  Effect.map(Layer.build(RedisTier.layer(options).pipe(Layer.provide(logs === undefined ? Layer.empty : capturing(logs)))), (context) => ({
    tier: Context.get(context, RedisTier),
    bus: Context.get(context, CacheBus),
    lock: Context.get(context, CacheLock),
    client: Context.get(context, RedisClient)
  }))

/** A logger layer that appends every line to `logs`. */
export const capturing = (logs: Array<string>) =>
  Logger.layer([Logger.make(({ logLevel, message }) => void logs.push(`${logLevel}: ${Array.isArray(message) ? message.join(" ") : String(message)}`))])
