/**
 * The seam for network admission: when an app provides `NetworkPermits` (the resource pools of
 * `@tenfold/resources` will), every outbound request attempt takes one for its origin and holds it
 * until its response is read (or its streamed body ends), so the network budget is shared with
 * the rest of the runtime. Without it, requests are bounded only by the connection pools.
 */
import { Context, type Effect, type Scope } from "effect"

/** Grants a network permit for a request to `origin`, held until the scope closes. Optional: the pool looks it up when its layer is built. */
export class NetworkPermits extends Context.Service<NetworkPermits, {
  readonly take: (origin: string) => Effect.Effect<void, never, Scope.Scope>
}>()("@tenfold/connections/NetworkPermits") {}
