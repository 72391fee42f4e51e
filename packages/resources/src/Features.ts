/**
 * The seed's feature vector of an operation: its type one-hot (search, embedding, analysis,
 * workflow), complexity, limit, reranking, parallel processing, accuracy level and timeout, plus a
 * constant bias term. Read from a tool's configured hints and from a bounded, fixed set of
 * top-level argument names: extraction never walks the (untrusted) arguments, so its cost does not
 * depend on what a client sends.
 */
import type { Priority } from "./Profile.ts"

/** The operation types of the seed's one-hot encoding. */
export const OPERATIONS = ["search", "embedding", "analysis", "workflow"] as const
export type Operation = (typeof OPERATIONS)[number]

/** What a deployment (or a tool's author) says about a tool, fixed per tool. */
export interface OperationHints {
  /** The kind of work (default: none of the four, all-zero one-hot). */
  readonly operation?: Operation | undefined
  /** Estimated complexity, 0..10 (default 0.5); a call's own `complexity` argument wins. */
  readonly complexity?: number | undefined
  /** Default priority of the tool's calls (default `normal`); a call's `priority` argument wins. */
  readonly priority?: Priority | undefined
  /** The tool's calls prefer the cost strategy unless a call says `priority: "high"` (default false). */
  readonly costSensitive?: boolean | undefined
}

/** Length of a feature vector: 4 one-hot, complexity, limit, reranking, parallel, accuracy, timeout, bias. */
export const DIMENSION = 11

/** One call, as the predictor and the strategies see it. */
export interface Request {
  readonly features: Float64Array
  readonly priority: Priority
  readonly costSensitive: boolean
}

/** The argument names read (the seed's requirement names); nothing else of the arguments is touched. */
export const ARGUMENT_NAMES = [
  "complexity",
  "limit",
  "enable_reranking",
  "parallel_processing",
  "accuracy_level",
  "timeout_ms",
  "priority",
  "cost_sensitive"
] as const

type Arguments = Partial<Record<(typeof ARGUMENT_NAMES)[number], unknown>>

/**
 * The own data properties of `args` with the names in {@link ARGUMENT_NAMES}: a fixed number of
 * lookups, no getters run, and a hostile object (a throwing Proxy) reads as no arguments.
 */
const readArguments = (args: unknown): Arguments => {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return {}
  const read: Record<string, unknown> = {}
  try {
    for (const name of ARGUMENT_NAMES) {
      if (!Object.hasOwn(args, name)) continue
      const descriptor = Object.getOwnPropertyDescriptor(args, name)
      if (descriptor !== undefined && "value" in descriptor) read[name] = descriptor.value
    }
  } catch {
    return {}
  }
  return read
}

/** `value` if it is a finite number, clamped to [min, max]; else `fallback`. */
const bounded = (value: unknown, min: number, max: number, fallback: number): number =>
  typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback

const priorityOf = (value: unknown, fallback: Priority): Priority =>
  value === "high" || value === "normal" || value === "low" ? value : fallback

/** The feature vector, priority and cost sensitivity of one call of a tool with `hints`. */
export const extract = (hints: OperationHints, args: unknown): Request => {
  const a = readArguments(args)
  const features = new Float64Array(DIMENSION)
  const index = hints.operation === undefined ? -1 : OPERATIONS.indexOf(hints.operation)
  if (index >= 0) features[index] = 1
  features[4] = bounded(a.complexity, 0, 10, bounded(hints.complexity, 0, 10, 0.5))
  features[5] = bounded(a.limit, 0, 1000, 10) / 100
  features[6] = a.enable_reranking === true ? 1 : 0
  features[7] = a.parallel_processing === true ? 1 : 0
  features[8] = bounded(a.accuracy_level, 0, 1, 0.5)
  features[9] = bounded(a.timeout_ms, 0, 600_000, 30_000) / 60_000
  features[10] = 1
  return {
    features,
    priority: priorityOf(a.priority, hints.priority ?? "normal"),
    costSensitive: typeof a.cost_sensitive === "boolean" ? a.cost_sensitive : hints.costSensitive === true
  }
}
