/**
 * @tenfold/executor — the tool executor every tool run goes through (timeout, cancellation,
 * admission, placement), with admission and placement as services of their own so resource and
 * scheduler packages can provide them without depending on the MCP protocol.
 */
export { Admission } from "./Admission.ts"
export * as ExecutorMetrics from "./ExecutorMetrics.ts"
export type { AdmissionOptions } from "./Admission.ts"
export * as Job from "./Job.ts"
export * as OwnedHistogram from "./OwnedHistogram.ts"
export { ServerBusy, ToolTimeout } from "./Job.ts"
export { Placement } from "./Placement.ts"
export { ToolExecutor } from "./ToolExecutor.ts"
export { PoolFull, WeightedPool } from "./WeightedPool.ts"
export type { WeightedPoolOptions } from "./WeightedPool.ts"
export type { ToolExecutorOptions } from "./ToolExecutor.ts"
