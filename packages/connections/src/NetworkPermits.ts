/**
 * The seam for network admission: when an app provides `NetworkPermits` (the resource pools of
 * `@tenfold/resources` will), every outbound request attempt runs inside `withPermit`, so the
 * network budget is shared with the rest of the runtime. Without it, requests are bounded only by
 * the connection pools themselves.
 */
import { Context, type Effect } from "effect"

/** Grants network permits around one request attempt to `origin`. Optional: the pool looks it up when its layer is built. */
export class NetworkPermits extends Context.Service<NetworkPermits, {
  readonly withPermit: <A, E, R>(origin: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>()("@tenfold/connections/NetworkPermits") {}
