/**
 * The state of one origin pool, shared by the pool, its optimise loop and its metrics.
 */
import type { ProfileName } from "./Profile.ts"

/** One origin pool's state, as the optimise loop and the metrics see it. */
export interface PoolStats {
  /** The metric attribute: `http:<origin>`. */
  readonly pool: string
  readonly origin: string
  readonly profile: ProfileName
  /** Whether the pool's connections passed an address filter. */
  readonly filtered: boolean
  /** Requests holding a permit (in flight, including bodies being read or streamed). */
  readonly active: number
  /** Requests waiting for a permit. */
  readonly queued: number
  /** Permits: requests this origin may have in flight; the optimise loop resizes it. */
  readonly capacity: number
  /** Open sockets (undici's `connected`). */
  readonly connected: number
  /** Open sockets with no request (undici's `free`). */
  readonly idle: number
}
