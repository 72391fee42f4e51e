/**
 * @tenfold/resources — Tenfold's resource pools (CPU, memory, network), learned resource
 * predictor and admission control, plugged into the tool executor as its `Admission`.
 */
export * as AllocationStrategy from "./AllocationStrategy.ts"
export * as Features from "./Features.ts"
export * as Monitor from "./Monitor.ts"
export type { Allocation, Priority, ResourceProfile, Strategy, Target } from "./Profile.ts"
export { ResourceManager } from "./ResourceManager.ts"
export type { Decision, ResourceManagerOptions, Tracked } from "./ResourceManager.ts"
export { ResourcePools } from "./ResourcePools.ts"
export type { Held, PoolName, ResourcePoolsOptions } from "./ResourcePools.ts"
export { ResourcePredictor } from "./ResourcePredictor.ts"
export type { ResourcePredictorOptions, TargetError } from "./ResourcePredictor.ts"
export { PoolFull, WeightedPool } from "./WeightedPool.ts"
