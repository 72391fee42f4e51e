/**
 * The seed's three resource pools as weighted-permit semaphores with bounded wait queues: CPU
 * (the machine's cores, counted in hundredths of a core), memory (MiB of a configured budget) and
 * network (permits of a configured concurrency or bandwidth). Acquisition is scoped: the permits
 * come back when the holder succeeds, fails or is interrupted, also while it still waits.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { availableParallelism } from "node:os"
import type { Allocation } from "./Profile.ts"
import { PoolFull, WeightedPool } from "./WeightedPool.ts"

/** Permits of the CPU pool per core: a run predicted to keep 0.3 cores busy takes 30. */
export const CPU_PERMITS_PER_CORE = 100

export interface ResourcePoolsOptions {
  /** Cores the CPU pool shares out (default `os.availableParallelism()`). */
  readonly cores?: number
  /** MiB the memory pool shares out (default 1024). */
  readonly memoryBudgetMiB?: number
  /** Network permits: concurrent transfers or bandwidth units (default 64). */
  readonly networkPermits?: number
  /** Requests that may wait for each pool (default 256); past it, `PoolFull`. */
  readonly maxQueuedPerPool?: number
  /** The retry hint of a refusal before a pool has any history (default 1000 ms). */
  readonly retryAfterMs?: number
}

/** The pool names, as metrics and errors give them. */
export type PoolName = "cpu" | "memory" | "network"

/** Permits one holder has of each pool. */
export interface Held {
  readonly cpu: number
  readonly memory: number
  readonly network: number
}

/** Permits taken so far by a holder still taking the rest. */
type Taken = { -readonly [K in keyof Held]: Held[K] }

export const make = (options: ResourcePoolsOptions = {}) => {
  const cores = options.cores ?? availableParallelism()
  const common = { maxQueued: options.maxQueuedPerPool ?? 256, retryAfterMs: options.retryAfterMs ?? 1000 }
  const cpu = new WeightedPool({ name: "cpu", capacity: Math.round(cores * CPU_PERMITS_PER_CORE), ...common })
  const memory = new WeightedPool({ name: "memory", capacity: Math.round(options.memoryBudgetMiB ?? 1024), ...common })
  const network = new WeightedPool({ name: "network", capacity: Math.round(options.networkPermits ?? 64), ...common })

  /** The permits an allocation asks of each pool (at most the pool): every run takes at least a hundredth of a core. */
  const permitsOf = (allocation: Allocation): Held => ({
    cpu: cpu.fit(Math.max(1, Math.ceil(allocation.cpu * CPU_PERMITS_PER_CORE))),
    memory: memory.fit(Math.ceil(allocation.memoryMiB)),
    network: network.fit(Math.ceil(allocation.network))
  })

  const give = (held: Held) => {
    cpu.release(held.cpu)
    memory.release(held.memory)
    network.release(held.network)
  }
  /** Gives `held` back and records how long it was held (the pools' retry hints). */
  const giveBack = (held: Held, since: number) =>
    Effect.sync(() => {
      const ms = performance.now() - since
      give(held)
      if (held.cpu > 0) cpu.recordHold(ms)
      if (held.memory > 0) memory.recordHold(ms)
      if (held.network > 0) network.recordHold(ms)
    })

  /**
   * Takes the permits of `want` from CPU, memory and network, in that fixed order (no two holders
   * wait for each other's pools in opposite orders), recording each pool's permits in `got` the
   * moment they are handed over; whoever owns `got` gives back what it holds when this fails (a
   * refusal at a later pool) or is interrupted — also right after a hand-over, before the next
   * step. Waits are interruptible through `restore`.
   */
  const takeInto = (want: Held, got: Taken, restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>): Effect.Effect<void, PoolFull> =>
    Effect.andThen(
      restore(cpu.take(want.cpu, (n) => void (got.cpu = n))),
      Effect.andThen(restore(memory.take(want.memory, (n) => void (got.memory = n))), restore(network.take(want.network, (n) => void (got.network = n))))
    )
  /** Gives back what `got` holds (once: it is emptied). */
  const giveTaken = (got: Taken) =>
    Effect.sync(() => {
      give(got)
      got.cpu = got.memory = got.network = 0
    })

  /** Takes all of `want` at once if every pool has it free and nobody waits; else takes nothing and names the first pool short of it. */
  const tryTakeAll = (want: Held): WeightedPool | undefined => {
    if (!cpu.tryTake(want.cpu)) return cpu
    if (!memory.tryTake(want.memory)) return (cpu.release(want.cpu), memory)
    if (!network.tryTake(want.network)) return (cpu.release(want.cpu), memory.release(want.memory), network)
    return undefined
  }

  return {
    cpu,
    memory,
    network,
    pools: [cpu, memory, network] as const,
    permitsOf,
    /**
     * Runs `effect` holding the permits of `allocation`, given back when it ends however it ends;
     * `PoolFull` (without running it) when a pool it must wait for has a full queue — or, for a
     * nested run (`Job.NestedRun`, which never waits: see `WeightedPool.take`), is short — or what
     * `refused` makes of it.
     */
    withAllocation: <A, E, R, X = PoolFull>(
      allocation: Allocation,
      effect: Effect.Effect<A, E, R>,
      refused: (full: PoolFull) => X = (full) => full as X
    ): Effect.Effect<A, E | X, R> =>
      // uninterruptible from taking permits until `ensuring` holds their return: the scheduler may
      // yield between the two, and an interruption there would keep them for good
      Effect.uninterruptibleMask((restore) => {
        const want = permitsOf(allocation)
        const short = tryTakeAll(want)
        // uncontended: the permits are taken here and given back by `ensuring`, as the counting admission does
        if (short === undefined) return Effect.ensuring(restore(effect), giveBack(want, performance.now()))
        const got: Taken = { cpu: 0, memory: 0, network: 0 }
        return Effect.flatMap(
          Effect.mapError(Effect.onError(takeInto(want, got, restore), () => giveTaken(got)), refused),
          () => Effect.ensuring(restore(effect), giveBack({ ...got }, performance.now()))
        )
      }),
    /** Takes the permits of `allocation` until the scope closes. */
    acquire: (allocation: Allocation): Effect.Effect<Held, PoolFull, Scope.Scope> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const want = permitsOf(allocation)
          const got: Taken = { cpu: 0, memory: 0, network: 0 }
          const taken = tryTakeAll(want) === undefined
            ? Effect.succeed(want)
            : Effect.as(Effect.onError(takeInto(want, got, restore), () => giveTaken(got)), got as Held)
          return Effect.tap(Effect.map(taken, (held): Held => ({ ...held })), (held) => {
            const since = performance.now()
            return Effect.addFinalizer(() => giveBack(held, since))
          })
        })
      ),
    /** What each pool has free now, in cores, MiB and permits. */
    free: (): Omit<Allocation, "strategy"> => ({ cpu: cpu.free() / CPU_PERMITS_PER_CORE, memoryMiB: memory.free(), network: network.free() }),
    /** Each pool's size, in cores, MiB and permits. */
    capacity: (): Omit<Allocation, "strategy"> => ({ cpu: cpu.capacity() / CPU_PERMITS_PER_CORE, memoryMiB: memory.capacity(), network: network.capacity() })
  }
}

/** The CPU, memory and network pools. */
export class ResourcePools extends Context.Service<ResourcePools, ReturnType<typeof make>>()("@tenfold/resources/ResourcePools") {
  static layer = (options: ResourcePoolsOptions = {}) => Layer.sync(ResourcePools, () => make(options))
}
