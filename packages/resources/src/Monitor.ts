/**
 * The seed's monitor-and-adjust step, as a pure function over one reading: compare what the
 * process actually uses (CPU, memory) with what the running allocations were granted, and adjust
 * — scale future CPU and memory grants towards the observed use (within [0.25, 4]), and withhold
 * from the memory pool what the process uses beyond its allocations (at most three quarters of
 * the budget), so admission slows down under memory pressure. The manager runs it on a `Schedule`.
 */
import { Effect } from "effect"

/** What the process uses: cores busy since the last reading, and resident memory. */
export interface Usage {
  readonly cpu: number
  readonly memoryMiB: number
}

/** The adjustment state the monitor keeps and the manager applies to new grants. */
export interface Adjustment {
  /** Factor on predicted CPU of new grants. */
  readonly cpuScale: number
  /** Factor on predicted memory of new grants. */
  readonly memoryScale: number
  /** MiB the memory pool holds back (used by the process beyond its allocations). */
  readonly memoryWithheldMiB: number
}

/** One monitor reading, kept for inspection. */
export interface Reading extends Adjustment {
  /** When it was taken (epoch ms, from the Clock). */
  readonly at: number
  readonly usage: Usage
  /** What running allocations hold: cores and MiB. */
  readonly allocated: { readonly cpu: number; readonly memoryMiB: number }
}

export const initialAdjustment: Adjustment = { cpuScale: 1, memoryScale: 1, memoryWithheldMiB: 0 }

const MIN_SCALE = 0.25
const MAX_SCALE = 4
/** Use within this factor of the grants (either way) leaves the scale alone. */
const TOLERANCE = 1.25

/** A scale moved halfway (geometrically) towards use/granted, when they differ by more than the tolerance. */
const rescale = (scale: number, used: number, granted: number): number => {
  if (!(granted > 0) || !Number.isFinite(used)) return scale
  const ratio = used / granted
  if (ratio <= TOLERANCE && ratio >= 1 / TOLERANCE) return scale
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * Math.sqrt(Math.max(ratio, 1e-6))))
}

/**
 * The next adjustment after a reading: `usage` of the process, `baselineMiB` its memory before
 * any run, `allocated` what running allocations hold, `budgetMiB` the memory pool's configured size.
 */
export const adjust = (
  previous: Adjustment,
  usage: Usage,
  baselineMiB: number,
  allocated: Reading["allocated"],
  budgetMiB: number
): Adjustment => {
  // a reading that is not a number keeps the previous adjustment (a NaN would poison the memory pool's size)
  if (!Number.isFinite(usage.cpu) || !Number.isFinite(usage.memoryMiB) || !Number.isFinite(baselineMiB)) return previous
  const runsMemory = Math.max(0, usage.memoryMiB - baselineMiB)
  return {
    cpuScale: rescale(previous.cpuScale, usage.cpu, allocated.cpu),
    memoryScale: rescale(previous.memoryScale, runsMemory, allocated.memoryMiB),
    memoryWithheldMiB: Math.round(Math.min(0.75 * budgetMiB, Math.max(0, runsMemory - allocated.memoryMiB)))
  }
}

/** Samples the process: cores busy since the previous sample (`process.cpuUsage`) and resident set size. */
export const processSampler = (): Effect.Effect<Usage> => {
  let last = { cpu: process.cpuUsage(), at: performance.now() }
  return Effect.sync(() => {
    const now = { cpu: process.cpuUsage(), at: performance.now() }
    const elapsedMs = now.at - last.at
    const cpuMs = (now.cpu.user - last.cpu.user + now.cpu.system - last.cpu.system) / 1000
    last = now
    return { cpu: elapsedMs > 0 ? cpuMs / elapsedMs : 0, memoryMiB: process.memoryUsage.rss() / (1024 * 1024) }
  })
}
