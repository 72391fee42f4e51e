/**
 * @tenfold/connections — Tenfold's outbound HTTP connection pools on undici: profiles, keep-alive,
 * adaptive sizing, retries for idempotent requests, byte-bounded bodies, an SSRF address hook and
 * per-pool metrics, behind a typed Effect API.
 */
export type { AddressFilter } from "./AddressFilter.ts"
export * as AddressPolicy from "./AddressPolicy.ts"
export * from "./ConnectionError.ts"
export * as ConnectionMetrics from "./ConnectionMetrics.ts"
export { ConnectionPool } from "./ConnectionPool.ts"
export type { ConnectionPoolOptions } from "./ConnectionPool.ts"
export type { Method, RequestOptions, Response, ResponseHead, StreamedResponse } from "./HttpRequest.ts"
export { NetworkPermits } from "./NetworkPermits.ts"
export type { PoolStats } from "./PoolStats.ts"
export * as Profile from "./Profile.ts"
export * as Sizing from "./Sizing.ts"
