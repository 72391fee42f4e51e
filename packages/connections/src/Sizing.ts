/**
 * The optimise loop's rule, as the seed states it: a pool used above 80 % of its capacity grows,
 * one used below 30 % shrinks, within the origin's bounds. Use is the highest number of requests
 * in flight since the last pass over the capacity (a pool with requests queued is fully used), so a
 * burst between two passes counts, not just the instant of the pass.
 */

/** What one pass sees of a pool since the previous pass. */
export interface Use {
  readonly capacity: number
  /** Most requests in flight at once since the previous pass. */
  readonly peak: number
  /** Requests waiting for a permit now. */
  readonly queued: number
}

/** Above this share of its capacity a pool grows. */
export const GROW_ABOVE = 0.8
/** Below this share of its capacity a pool shrinks. */
export const SHRINK_BELOW = 0.3

/** The capacity for the next period: × 1.5 (rounded up) when busy, halved when idle, clamped to `[min, max]`. */
export const nextCapacity = (use: Use, bounds: { readonly min: number; readonly max: number }): number => {
  const share = use.queued > 0 ? 1 : use.peak / use.capacity
  const next = share > GROW_ABOVE
    ? Math.ceil(use.capacity * 1.5)
    : share < SHRINK_BELOW
    ? Math.floor(use.capacity / 2)
    : use.capacity
  return Math.min(bounds.max, Math.max(bounds.min, next))
}
