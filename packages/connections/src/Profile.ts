/**
 * Connection-pool profiles (the seed's `default`, `high_throughput`, `low_latency`) and how an
 * origin gets its settings: a per-origin entry (a profile name, or numbers over a profile) or
 * the pool's default profile. The schemas read them from a configuration file.
 */
import { Schema } from "effect"

/** The seed's three profiles, by name. */
export const PROFILE_NAMES = ["default", "high_throughput", "low_latency"] as const
/** The seed's three profiles. */
export type ProfileName = typeof PROFILE_NAMES[number]

/** The settings of one origin's pool. All durations are milliseconds. */
export interface PoolSettings {
  /** Longest one attempt may take, from its wait for a slot to the end of the body (`request`) or to the response headers (`stream`, whose body may then pause this long between chunks). */
  readonly timeoutMs: number
  /** Longest a connection (TCP, and TLS for https) may take to establish. */
  readonly connectTimeoutMs: number
  /** Most requests in flight across every origin of this profile (its connection budget). */
  readonly connections: number
  /** Connections one origin starts with; the optimise loop moves it between `minPerHost` and `maxPerHost`. */
  readonly perHost: number
  /** Fewest connections the optimise loop shrinks an origin to. */
  readonly minPerHost: number
  /** Most connections the optimise loop grows an origin to (never above `connections`). */
  readonly maxPerHost: number
  /** How long an idle kept-alive socket stays open. */
  readonly keepAliveMs: number
}

const profile = (timeoutMs: number, connectTimeoutMs: number, connections: number, perHost: number): PoolSettings => ({
  timeoutMs,
  connectTimeoutMs,
  connections,
  perHost,
  minPerHost: Math.min(2, perHost),
  maxPerHost: Math.min(connections, perHost * 2),
  keepAliveMs: 30_000
})

/** The seed's profiles: total timeout, connect timeout, connections in all, connections per host. */
export const profiles: Readonly<Record<ProfileName, PoolSettings>> = {
  default: profile(30_000, 5_000, 100, 20),
  high_throughput: profile(60_000, 2_000, 500, 50),
  low_latency: profile(10_000, 1_000, 50, 10)
}

/** What an origin is configured with: a profile's name, or settings over a profile (`default` unless named). */
export type OriginSettings = ProfileName | ({ readonly profile?: ProfileName } & Partial<PoolSettings>)

/** The profile an origin uses and its effective settings. */
export interface Resolved {
  readonly profile: ProfileName
  readonly settings: PoolSettings
}

/**
 * The settings of `origin` (as `URL.origin` spells it): its entry in `origins` if any, else
 * `defaultProfile`. Explicit numbers keep the bounds consistent (min ≤ per host ≤ max ≤ connections).
 */
export const resolve = (
  origin: string,
  origins: Readonly<Record<string, OriginSettings>>,
  defaultProfile: ProfileName
): Resolved => {
  const entry = origins[origin] ?? defaultProfile
  if (typeof entry === "string") return { profile: entry, settings: profiles[entry] }
  const name = entry.profile ?? defaultProfile
  const base = profiles[name]
  // whole numbers of at least 1, whatever an embedding app passes: undici throws on anything else
  const given = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? undefined : Math.max(1, Math.floor(value)))
  const connections = given(entry.connections) ?? base.connections
  const perHost = Math.min(given(entry.perHost) ?? base.perHost, connections)
  const maxPerHost = Math.min(connections, Math.max(perHost, given(entry.maxPerHost) ?? (entry.perHost === undefined ? base.maxPerHost : perHost * 2)))
  return {
    profile: name,
    settings: {
      timeoutMs: given(entry.timeoutMs) ?? base.timeoutMs,
      connectTimeoutMs: given(entry.connectTimeoutMs) ?? base.connectTimeoutMs,
      connections,
      perHost,
      minPerHost: Math.min(perHost, given(entry.minPerHost) ?? Math.min(base.minPerHost, perHost)),
      maxPerHost,
      keepAliveMs: given(entry.keepAliveMs) ?? base.keepAliveMs
    }
  }
}

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** A profile's name in a configuration file. */
export const ProfileNameSchema = Schema.Literals(PROFILE_NAMES)

/** An origin's entry in a configuration file: a profile's name, or settings over a profile. */
export const OriginSettingsSchema = Schema.Union([
  ProfileNameSchema,
  Schema.Struct({
    profile: Schema.optionalKey(ProfileNameSchema),
    timeoutMs: Schema.optionalKey(PositiveInt),
    connectTimeoutMs: Schema.optionalKey(PositiveInt),
    connections: Schema.optionalKey(PositiveInt),
    perHost: Schema.optionalKey(PositiveInt),
    minPerHost: Schema.optionalKey(PositiveInt),
    maxPerHost: Schema.optionalKey(PositiveInt),
    keepAliveMs: Schema.optionalKey(PositiveInt)
  })
])
