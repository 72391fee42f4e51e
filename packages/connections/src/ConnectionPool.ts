/**
 * `ConnectionPool`: Tenfold's outbound HTTP client. One undici pool per origin (keep-alive,
 * sized by the origin's profile), a permit gate in front of each that the optimise loop resizes
 * with use, retries with backoff for idempotent requests, redirects re-checked hop by hop, byte
 * limits on every body, and per-pool metrics. The built-in tools and the gateway's HTTP upstreams
 * send their requests through it; closing the layer's scope closes every pool.
 */
import { Context, type Duration, Effect, Layer, type Scope } from "effect"
import type { ConnectionError } from "./ConnectionError.ts"
import type { RequestOptions, Response, StreamedResponse } from "./HttpRequest.ts"
import type { PoolStats } from "./PoolStats.ts"
import type { OriginSettings, ProfileName } from "./Profile.ts"

/** How a `ConnectionPool` is set up; every field has a default. */
export interface ConnectionPoolOptions {
  /** The profile of origins not listed in `origins` (default `default`). */
  readonly profile?: ProfileName
  /** Per-origin settings, keyed as `URL.origin` spells them (`https://api.example.com`, `http://localhost:8080`). */
  readonly origins?: Readonly<Record<string, OriginSettings>>
  /** Most origins with a pool at once (default 256); past it the least recently used idle one is closed, and if none is idle the request fails with `TooManyOrigins`. */
  readonly maxOrigins?: number
  /** An origin pool unused this long is closed by the optimise loop (default 5 minutes). */
  readonly idleOriginMs?: number
  /** How often the optimise loop resizes pools and closes idle ones (default 60 seconds). */
  readonly optimiseEvery?: Duration.Input
  /** The User-Agent of requests that set none (default `Tenfold/0.1 (+https://github.com/tenfold)`). */
  readonly userAgent?: string
}

/** The outbound HTTP client service. */
export class ConnectionPool extends Context.Service<ConnectionPool, {
  /** Sends a request and reads the whole body (at most `maxBytes`, default 10 MiB) into memory. */
  readonly request: (options: RequestOptions) => Effect.Effect<Response, ConnectionError>
  /**
   * Sends a request and returns once the headers are in; the body is a `Stream` read with
   * backpressure. The connection is returned to its pool when the body ends or the scope closes.
   */
  readonly stream: (options: RequestOptions) => Effect.Effect<StreamedResponse, ConnectionError, Scope.Scope>
  /** Every origin pool's current state. */
  readonly stats: Effect.Effect<ReadonlyArray<PoolStats>>
  /** One pass of the optimise loop: resize each pool by its use since the last pass, close idle ones. */
  readonly optimise: Effect.Effect<void>
}>()("@tenfold/connections/ConnectionPool") {
  /** The pool as configured, with its optimise loop running; every pool is closed with the layer's scope. */
  static layer = (options: ConnectionPoolOptions = {}) => Layer.effect(ConnectionPool, make(options))
}

const make = (_options: ConnectionPoolOptions) => Effect.die("ConnectionPool: not implemented yet")
