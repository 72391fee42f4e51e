/**
 * The ordered tiers `TieredCache` looks in after L1 and before computing, fastest first: e.g.
 * Redis (L2), a semantic tier (L3), SQLite (L4). A new tier is added here, not in `TieredCache`.
 */
import { Array as Arr, Context, Effect, Layer } from "effect"
import type { CacheTier } from "./CacheTier.ts"

/** The tiers below L1, fastest first; a hit in one is promoted into the faster ones. */
export class CacheTiers extends Context.Service<CacheTiers, ReadonlyArray<CacheTier>>()("@tenfold/cache/CacheTiers") {
  /**
   * The tiers of the services `tiers` names, in that order, skipping those not provided: e.g.
   * `CacheTiers.layer([RedisTier, PersistentTier])` uses whichever of the two is configured.
   */
  static layer = (tiers: ReadonlyArray<Context.Key<unknown, CacheTier>>) =>
    Layer.effect(
      CacheTiers,
      Effect.map(Effect.forEach(tiers, (tier) => Effect.serviceOption(tier)), Arr.getSomes)
    )
}
