/** The weighted-permit pool under each resource pool lives in @tenfold/executor (its counting admission is one). */
export { PoolFull, WeightedPool, type WeightedPoolOptions } from "@tenfold/executor"
