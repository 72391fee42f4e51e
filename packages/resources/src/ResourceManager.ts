/**
 * The seed's `IntelligentResourceManager` behind the executor's `Admission` seam: for each run of
 * a profiled tool (one with `OperationHints`, or a CPU-bound one) it predicts the run's needs from
 * its features, picks the allocation strategy from the call's priority, grants the allocation out
 * of the CPU/memory/network pools (a bounded wait queue per pool, past it `ServerBusy` with a
 * retry hint), tracks it while the run lasts and trains the predictor on what the run used. A
 * monitor loop on a `Schedule` compares the process's actual use with the allocations and adjusts.
 * Every run — profiled or not — also passes the counting admission (bounded running and queued),
 * and runs of tools that need no prediction pass only that: their hot path is unchanged.
 */
import { Admission, type AdmissionOptions, ExecutorMetrics, Job, ServerBusy } from "@tenfold/executor"
import { Clock, Context, Duration, Effect, Exit, Layer, Schedule } from "effect"
import { allocate, strategyFor } from "./AllocationStrategy.ts"
import { extract, type OperationHints, type Request } from "./Features.ts"
import * as Monitor from "./Monitor.ts"
import type { Allocation, ResourceProfile } from "./Profile.ts"
import { CPU_PERMITS_PER_CORE, ResourcePools, type ResourcePoolsOptions } from "./ResourcePools.ts"
import * as Predictor from "./ResourcePredictor.ts"

export interface ResourceManagerOptions extends ResourcePoolsOptions, Predictor.ResourcePredictorOptions, AdmissionOptions {
  /** Tools whose runs are predicted and granted from the pools, by name; CPU-bound jobs are too. */
  readonly tools?: Readonly<Record<string, OperationHints>>
  /** Time between two monitor-and-adjust steps (default 10000 ms; 0 = no monitor loop). */
  readonly monitorIntervalMs?: number
  /** How the monitor reads the process's use (default: `process.cpuUsage` and RSS). */
  readonly sample?: Effect.Effect<Monitor.Usage>
  /** Report the pools (`tenfold_pool_*{pool="cpu"|"memory"|"network"}`) and the predictor's error as metrics (default false). */
  readonly metrics?: boolean
}

/** One running allocation, as the manager tracks it. */
export interface Tracked {
  readonly job: string
  readonly allocation: Allocation
  readonly predicted: ResourceProfile
  /** When it was granted (`performance.now()`). */
  readonly since: number
}

/** What the manager decided for one call (before any permit is taken). */
export interface Decision {
  readonly request: Request
  readonly predicted: ResourceProfile
  readonly allocation: Allocation
}

/** One profiled run in this many has its CPU measured. */
const CPU_SAMPLE_EVERY = 8

/**
 * Starts measuring the CPU a run of `job` uses; the returned function gives the milliseconds so
 * far. A CPU-bound job may run on a worker thread, so it is measured over all the process's
 * threads (`process.cpuUsage`, 2.4 µs a reading here); any other job by the event loop's busy
 * time (`performance.eventLoopUtilization`, 0.25 µs).
 */
const cpuMeter = (job: Job.Job): (() => number) => {
  if (job.cpuBound === true) {
    const start = process.cpuUsage()
    return () => {
      const used = process.cpuUsage(start)
      return (used.user + used.system) / 1000
    }
  }
  const start = performance.eventLoopUtilization().active
  return () => performance.eventLoopUtilization().active - start
}

export const make = (options: ResourceManagerOptions = {}) =>
  Effect.gen(function*() {
    const pools = yield* ResourcePools
    const predictor = yield* Predictor.ResourcePredictor
    const counting = yield* Effect.provide(Admission.use(Effect.succeed), Admission.layer(options))
    const tools = new Map(Object.entries(options.tools ?? {}))
    const budgetMiB = pools.memory.capacity()
    const running = new Set<Tracked>()
    let adjustment = Monitor.initialAdjustment
    let lastReading: Monitor.Reading | undefined

    /** A job's hints, looked up once per job object (jobs are fixed per tool): undefined = not profiled. */
    const profiles = new WeakMap<Job.Job, OperationHints | null>()
    const hintsOf = (job: Job.Job): OperationHints | undefined => {
      let hints = profiles.get(job)
      if (hints === undefined) {
        hints = tools.get(job.name) ?? (job.cpuBound === true ? {} : null)
        profiles.set(job, hints)
      }
      return hints ?? undefined
    }

    const decide = (job: Job.Job, hints: OperationHints, args: unknown): Decision => {
      const request = extract(hints, args)
      const predicted = predictor.predict(job.name, request.features)
      const scaled = { ...predicted, cpu: predicted.cpu * adjustment.cpuScale, memoryMiB: predicted.memoryMiB * adjustment.memoryScale }
      const allocation = allocate(strategyFor(request.priority, request.costSensitive), scaled, pools.free(), pools.capacity())
      return { request, predicted, allocation }
    }

    /** Runs since start: the CPU of one run in {@link CPU_SAMPLE_EVERY} is measured. */
    let runs = 0
    /**
     * `effect` tracked as a running allocation; when it succeeds, the predictor learns its
     * duration and, for one run in {@link CPU_SAMPLE_EVERY}, its CPU (see {@link cpuMeter})
     * shared among the runs in flight at its end — an estimate, as runs share the process.
     */
    const tracked = <A, E, R>(job: Job.Job, decision: Decision, effect: Effect.Effect<A, E, R>) =>
      // uninterruptible until `onExit` holds the entry's removal (an interruption between would keep it for good)
      Effect.uninterruptibleMask((restore) => {
        const entry: Tracked = { job: job.name, allocation: decision.allocation, predicted: decision.predicted, since: performance.now() }
        const cpuSince = runs++ % CPU_SAMPLE_EVERY === 0 ? cpuMeter(job) : undefined
        running.add(entry)
        return Effect.onExit(restore(effect), (exit) =>
          Effect.sync(() => {
            running.delete(entry)
            if (Exit.isFailure(exit)) return
            const durationMs = performance.now() - entry.since
            if (cpuSince === undefined) return predictor.observe(job.name, decision.request.features, { durationMs })
            const cpu = cpuSince() / Math.max(durationMs, 0.001) / (running.size + 1)
            predictor.observe(job.name, decision.request.features, { durationMs, cpu })
          }))
      })

    const admit = <A, E, R>(job: Job.Job, effect: Effect.Effect<A, E, R>, args?: unknown): Effect.Effect<A, E | ServerBusy, R> => {
      const hints = hintsOf(job)
      if (hints === undefined) return counting.admit(job, effect)
      // decided when the run starts (the pools' free permits then); a nested run (a tool calling a
      // tool) never waits in a pool's queue: withAllocation refuses it instead (Job.NestedRun)
      return Effect.suspend(() => {
        const decision = decide(job, hints, args)
        return pools.withAllocation(
          decision.allocation,
          counting.admit(job, tracked(job, decision, effect)),
          (full) => new ServerBusy({ job: job.name, retryAfterMs: full.retryAfterMs })
        )
      })
    }

    const allocated = () => {
      let cpu = 0
      let memoryMiB = 0
      for (const entry of running) {
        cpu += entry.allocation.cpu
        memoryMiB += entry.allocation.memoryMiB
      }
      return { cpu, memoryMiB }
    }

    const sample = options.sample ?? Monitor.processSampler()
    const baselineMiB = (yield* sample).memoryMiB
    /** One monitor-and-adjust step: read the process, compare with the allocations, adjust the grants and the memory pool. */
    const monitorOnce = Effect.gen(function*() {
      const usage = yield* sample
      const held = allocated()
      adjustment = Monitor.adjust(adjustment, usage, baselineMiB, held, budgetMiB)
      pools.memory.resize(budgetMiB - adjustment.memoryWithheldMiB)
      lastReading = { at: yield* Clock.currentTimeMillis, usage, allocated: held, ...adjustment }
      return lastReading
    })
    const intervalMs = options.monitorIntervalMs ?? 10_000
    if (intervalMs > 0) {
      const every = Duration.millis(intervalMs)
      // a failing step is logged and the loop goes on: a dead loop would freeze the last adjustment
      const step = Effect.catchCause(monitorOnce, (cause) => Effect.logWarning("Resource monitor step failed; the adjustment is kept", cause))
      yield* Effect.forkScoped(Effect.andThen(Effect.sleep(every), Effect.repeat(step, Schedule.spaced(every))))
    }

    if (options.metrics === true) {
      yield* registerPoolMetrics(pools)
      yield* Predictor.registerMetrics(predictor)
    }

    return {
      /** The `Admission` the executor uses: pools for profiled tools, the counting bound for all. */
      admission: Admission.of({ admit, load: counting.load }),
      /** What the manager would grant a call of `job` with `args` now (no permit taken); undefined for a tool it does not profile. */
      decide: (job: Job.Job, args: unknown): Decision | undefined => {
        const hints = hintsOf(job)
        return hints === undefined ? undefined : decide(job, hints, args)
      },
      /** Running allocations. */
      allocations: (): ReadonlyArray<Tracked> => [...running],
      /** The current adjustment of new grants and of the memory pool. */
      adjustment: (): Monitor.Adjustment => adjustment,
      /** The last monitor reading, if the monitor has run. */
      lastReading: (): Monitor.Reading | undefined => lastReading,
      /** Runs one monitor-and-adjust step now (the loop runs it every `monitorIntervalMs`). */
      monitorOnce,
      pools,
      predictor
    }
  })

/** Predicts, allocates, tracks and admits tool runs over the resource pools. */
export class ResourceManager extends Context.Service<ResourceManager, Effect.Success<ReturnType<typeof make>>>()("@tenfold/resources/ResourceManager") {
  /** The manager with its own pools and predictor, its monitor loop running until the layer's scope closes. */
  static layer = (options: ResourceManagerOptions = {}) =>
    Layer.effect(ResourceManager, make(options)).pipe(
      Layer.provide(Layer.merge(ResourcePools.layer(options), Predictor.ResourcePredictor.layer(options)))
    )
  /** The manager, and its admission as the executor's `Admission`. */
  static layerAdmission = (options: ResourceManagerOptions = {}) =>
    Layer.effect(Admission, ResourceManager.use((manager) => Effect.succeed(manager.admission))).pipe(
      Layer.provideMerge(ResourceManager.layer(options))
    )
}

/** The pools' load under the shared pool gauges (`tenfold_pool_active|capacity|queued{pool}`, CPU in cores), read when metrics are read. */
const registerPoolMetrics = (pools: ResourcePools["Service"]) =>
  Effect.forEach(pools.pools, (pool) => {
    const unit = pool === pools.cpu ? CPU_PERMITS_PER_CORE : 1
    return ExecutorMetrics.reportPool(pool.name, {
      active: () => pool.load().active / unit,
      capacity: () => pool.load().capacity / unit,
      queued: () => pool.load().queued
    })
  }, { discard: true })
