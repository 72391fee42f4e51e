/**
 * The words the resources package speaks in, shared by the predictor, the pools, the allocation
 * strategies and the manager so none of them imports another for its types: what an operation
 * needs (`ResourceProfile`), what it is given (`Allocation`), and how urgent it is (`Priority`).
 */

/** What one operation uses, or is predicted to use, while it runs. */
export interface ResourceProfile {
  /** Cores busy on average while it runs (0.25 = a quarter of one core). */
  readonly cpu: number
  /** Memory it holds, in MiB. */
  readonly memoryMiB: number
  /** Network permits it holds (concurrent outbound transfers, or bandwidth units). */
  readonly network: number
  /** Wall time of one run, in milliseconds. */
  readonly durationMs: number
}

/** The quantities the predictor learns, one model each. */
export type Target = "cpu" | "memory" | "network" | "duration"
export const TARGETS: ReadonlyArray<Target> = ["cpu", "memory", "network", "duration"]

/** A request's urgency: `high` gets the performance strategy, `low` the cost strategy. */
export type Priority = "high" | "normal" | "low"

/** The seed's allocation strategies. */
export type Strategy = "performance" | "cost" | "balanced"

/** What one run is granted from the pools. */
export interface Allocation {
  readonly strategy: Strategy
  /** Cores (the CPU pool counts hundredths of a core). */
  readonly cpu: number
  /** MiB of the memory budget. */
  readonly memoryMiB: number
  /** Network permits. */
  readonly network: number
}

/** The value of `profile` for one predictor target. */
export const valueOf = (profile: ResourceProfile, target: Target): number => {
  switch (target) {
    case "cpu":
      return profile.cpu
    case "memory":
      return profile.memoryMiB
    case "network":
      return profile.network
    case "duration":
      return profile.durationMs
  }
}
