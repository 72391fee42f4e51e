/**
 * The seed's allocation strategies: how much of a predicted profile a run is granted.
 * `performance` (for `priority: "high"`) over-provisions ×1.5 CPU, ×1.3 memory, ×1.2 network,
 * but only out of what is free (never below the prediction itself); `cost` (for
 * `priority: "low"` or cost-sensitive calls) grants ×0.8 / ×0.9 / ×1.0; `balanced` grants the
 * prediction. Every grant is at most the pool's size.
 */
import type { Allocation, Priority, ResourceProfile, Strategy } from "./Profile.ts"

/** Multipliers of CPU, memory and network per strategy. */
export const multipliers: Readonly<Record<Strategy, { readonly cpu: number; readonly memory: number; readonly network: number }>> = {
  performance: { cpu: 1.5, memory: 1.3, network: 1.2 },
  cost: { cpu: 0.8, memory: 0.9, network: 1.0 },
  balanced: { cpu: 1, memory: 1, network: 1 }
}

/** The strategy for a request: high priority → performance, low or cost-sensitive → cost, else balanced. */
export const strategyFor = (priority: Priority, costSensitive: boolean): Strategy =>
  priority === "high" ? "performance" : priority === "low" || costSensitive ? "cost" : "balanced"

type Amounts = Omit<Allocation, "strategy">

/**
 * What `strategy` grants for `predicted`, given what the pools have `free` and their `capacity`
 * (cores, MiB, permits). The performance boost comes only out of free resources.
 */
export const allocate = (strategy: Strategy, predicted: ResourceProfile, free: Amounts, capacity: Amounts): Allocation => {
  const m = multipliers[strategy]
  const grant = (want: number, scale: number, available: number, size: number) => {
    const scaled = want * scale
    const boosted = scale > 1 ? Math.max(want, Math.min(scaled, available)) : scaled
    return Math.min(size, boosted)
  }
  return {
    strategy,
    cpu: grant(predicted.cpu, m.cpu, free.cpu, capacity.cpu),
    memoryMiB: grant(predicted.memoryMiB, m.memory, free.memoryMiB, capacity.memoryMiB),
    network: grant(predicted.network, m.network, free.network, capacity.network)
  }
}
