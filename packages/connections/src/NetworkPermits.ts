/**
 * The seam for network admission: when an app provides `NetworkPermits` (the resource pools of
 * `@tenfold/resources` will), every outbound request takes one for the origin of its URL and holds
 * it through its retries and redirects until its response is read (for `stream`, until the
 * caller's scope closes), so the network budget is shared with the rest of the runtime. Without
 * it, requests are bounded only by the connection pools.
 */
import { Context, type Effect, type Scope } from "effect"

/** Grants a network permit for a request to `origin`, held until the scope closes. Optional: the pool looks it up when its layer is built. */
export class NetworkPermits extends Context.Service<NetworkPermits, {
  readonly take: (origin: string) => Effect.Effect<void, never, Scope.Scope>
}>()("@tenfold/connections/NetworkPermits") {}
