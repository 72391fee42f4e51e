/**
 * @tenfold/runtime — `Tenfold.layer(config)`, the composed runtime, and its configuration.
 */
export * as Config from "./Config.ts"
export * as Tenfold from "./Tenfold.ts"
