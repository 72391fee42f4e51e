/**
 * `Alerts`: the seed's performance targets as rules checked against telemetry snapshots. A rule
 * fires once when it breaks (logged, `tenfold_alert_active{rule}` set to 1, listed in the
 * snapshot) and resolves once when it holds again. Rules that need traffic to mean anything
 * hold while there is too little of it, so an idle server raises nothing.
 */
import { Context, Effect, Layer, Metric, Schedule } from "effect"
import { cacheLookups } from "./internal/Window.ts"
import type { ActiveAlert, TelemetrySnapshot } from "./Snapshot.ts"

/** One target: the figure it checks, the limit, and which side of it breaks the rule. */
export interface AlertRule {
  readonly name: string
  readonly severity: ActiveAlert["severity"]
  /** What the target is, in words ("p95 latency at most 500 ms"). */
  readonly target: string
  /** The figure, or undefined when the rule does not apply now (it then holds). */
  readonly value: (snapshot: TelemetrySnapshot) => number | undefined
  readonly limit: number
  readonly breaksWhen: "above" | "below"
}

/** The seed's targets; a target of 0 turns its rule off. */
export interface AlertTargets {
  /** Average latency of all requests over the window, at most (default 100 ms). */
  readonly avgLatencyMs?: number
  /** p95 latency of all requests over the window, at most (default 500 ms). */
  readonly p95LatencyMs?: number
  /** Requests per second, at least, checked only while tool calls wait in a queue (default 1000). */
  readonly minRequestsPerSecond?: number
  /** Cache hit rate over all tiers, at least (default 0.8). */
  readonly minCacheHitRate?: number
  /** CPU utilisation of the process over the window, at most (default 0.7). */
  readonly maxCpu?: number
  /** Requests (or cache lookups) a window needs before the latency and hit-rate rules apply (default 20). */
  readonly minRequests?: number
}

const defaultTargets = {
  avgLatencyMs: 100,
  p95LatencyMs: 500,
  minRequestsPerSecond: 1000,
  minCacheHitRate: 0.8,
  maxCpu: 0.7,
  minRequests: 20
} satisfies Required<AlertTargets>


/** The rules of `targets` (defaults for those not given; those set to 0 left out). */
export const rules = (targets: AlertTargets = {}): ReadonlyArray<AlertRule> => {
  const t = { ...defaultTargets, ...targets }
  const withTraffic = (value: (s: TelemetrySnapshot) => number) => (s: TelemetrySnapshot) => (s.requests.count >= t.minRequests ? value(s) : undefined)
  const all: ReadonlyArray<AlertRule> = [
    { name: "latency_avg", severity: "warning", target: `average latency at most ${t.avgLatencyMs} ms`, limit: t.avgLatencyMs, breaksWhen: "above", value: withTraffic((s) => s.requests.avgMs) },
    { name: "latency_p95", severity: "warning", target: `p95 latency at most ${t.p95LatencyMs} ms`, limit: t.p95LatencyMs, breaksWhen: "above", value: withTraffic((s) => s.requests.p95Ms) },
    {
      name: "throughput",
      severity: "warning",
      target: `at least ${t.minRequestsPerSecond} requests/s while calls are queued`,
      limit: t.minRequestsPerSecond,
      breaksWhen: "below",
      // a server with nothing waiting serves all the demand there is: slow traffic is not slow service
      value: (s) => (s.pools.some((p) => p.queued > 0) ? s.requests.perSecond : undefined)
    },
    {
      name: "cache_hit_rate",
      severity: "info",
      target: `cache hit rate at least ${t.minCacheHitRate}`,
      limit: t.minCacheHitRate,
      breaksWhen: "below",
      value: (s) => (s.cache.tiers.length > 0 && cacheLookups(s.cache.tiers).lookups >= t.minRequests ? s.cache.hitRate : undefined)
    },
    { name: "cpu", severity: "critical", target: `CPU utilisation at most ${t.maxCpu}`, limit: t.maxCpu, breaksWhen: "above", value: (s) => s.process.cpu }
  ]
  return all.filter((rule) => rule.limit > 0)
}

/** Whether `rule` is broken in `snapshot`, and by which figure. */
export const check = (rule: AlertRule, snapshot: TelemetrySnapshot): number | undefined => {
  const value = rule.value(snapshot)
  if (value === undefined || !Number.isFinite(value)) return undefined
  return (rule.breaksWhen === "above" ? value > rule.limit : value < rule.limit) ? value : undefined
}

const activeGauge = (rule: string) =>
  Metric.gauge("tenfold_alert_active", { description: "1 while the alert rule is broken, else 0", attributes: { rule } })

const round = (n: number) => (Math.abs(n) >= 10 ? Math.round(n) : Math.round(n * 1000) / 1000)

/** The alert rules and which of them are firing. */
export class Alerts extends Context.Service<Alerts, {
  readonly rules: ReadonlyArray<AlertRule>
  /** Checks every rule against `snapshot`: fires the newly broken ones, resolves the ones that hold again. */
  readonly evaluate: (snapshot: TelemetrySnapshot) => Effect.Effect<void>
  /** The alerts firing now. */
  readonly active: () => ReadonlyArray<ActiveAlert>
  /** Evaluates the snapshots of `snapshot` every `intervalMs`, on a `Schedule`, until interrupted. */
  readonly monitor: (snapshot: Effect.Effect<TelemetrySnapshot>, intervalMs: number) => Effect.Effect<void>
}>()("@tenfold/metrics/Alerts") {
  /** Alerts over the seed's targets, overridden by `targets`; `Telemetry.layer` runs their monitor. */
  static layer = (targets: AlertTargets = {}) => Layer.effect(Alerts, make(rules(targets)))
}

export const make = (ruleSet: ReadonlyArray<AlertRule>) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const gauges = new Map(ruleSet.map((rule) => [rule.name, activeGauge(rule.name)]))
    for (const gauge of gauges.values()) gauge.updateUnsafe(0, context)
    const firing = new Map<string, ActiveAlert>()

    const fire = (rule: AlertRule, value: number, at: number) => {
      const alert: ActiveAlert = { rule: rule.name, severity: rule.severity, message: `${rule.target}: now ${round(value)}`, since: at }
      firing.set(rule.name, alert)
      gauges.get(rule.name)!.updateUnsafe(1, context)
      const log = rule.severity === "critical" ? Effect.logError : rule.severity === "warning" ? Effect.logWarning : Effect.logInfo
      return log(`alert ${rule.name} fired: ${alert.message}`)
    }
    const resolve = (rule: AlertRule) => {
      firing.delete(rule.name)
      gauges.get(rule.name)!.updateUnsafe(0, context)
      return Effect.logInfo(`alert ${rule.name} resolved: ${rule.target} holds again`)
    }

    const evaluate = (snapshot: TelemetrySnapshot) =>
      Effect.forEach(ruleSet, (rule) => {
        const broken = check(rule, snapshot)
        const wasFiring = firing.has(rule.name)
        if (broken !== undefined && !wasFiring) return fire(rule, broken, snapshot.at)
        if (broken === undefined && wasFiring) return resolve(rule)
        return Effect.void
      }, { discard: true })

    return Alerts.of({
      rules: ruleSet,
      evaluate,
      active: () => [...firing.values()],
      monitor: (snapshot, intervalMs) =>
        Effect.flatMap(snapshot, evaluate).pipe(
          Effect.catchCause((cause) => Effect.logWarning("alerts: evaluating the rules failed", cause)),
          Effect.repeat(Schedule.spaced(intervalMs)),
          Effect.asVoid
        )
    })
  })
