/**
 * `ConnectionPool`: Tenfold's outbound HTTP client. One undici pool per origin (keep-alive,
 * sized by the origin's profile), a permit gate in front of each that the optimise loop resizes
 * with use, retries with backoff for idempotent requests, redirects re-checked hop by hop, byte
 * limits on every body, and per-pool metrics. The built-in tools and the gateway's HTTP upstreams
 * send their requests through it; closing the layer's scope closes every pool.
 */
import { Clock, Context, Duration, Effect, Layer, Option, Schedule, type Scope, Stream } from "effect"
import type { AddressFilter } from "./AddressFilter.ts"
import { type ConnectionError, HttpStatus, InvalidRequest, TooLarge, TooManyOrigins } from "./ConnectionError.ts"
import type { RequestOptions, Response, ResponseHead, StreamedResponse } from "./HttpRequest.ts"
import { bodyError, declaredOver, limited } from "./internal/body.ts"
import * as Connector from "./internal/connector.ts"
import { exchange, type Exchanged, type Head, type Reading } from "./internal/exchange.ts"
import type { Attempt } from "./internal/failure.ts"
import * as Gate from "./internal/Gate.ts"
import * as OriginPool from "./internal/OriginPool.ts"
import * as Origins from "./internal/Origins.ts"
import * as Redirect from "./internal/redirect.ts"
import { type Outcome, RETRY, retriesOf, retrying } from "./internal/retry.ts"
import * as Validate from "./internal/validate.ts"
import { NetworkPermits } from "./NetworkPermits.ts"
import type { PoolStats } from "./PoolStats.ts"
import * as Profile from "./Profile.ts"
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

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024
const DEFAULT_MAX_REDIRECTS = 5

const make = (options: ConnectionPoolOptions) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const clock = yield* Clock.Clock
    const networkPermits = yield* Effect.serviceOption(NetworkPermits)
    const undici = yield* Effect.cached(Effect.promise(() => import("undici")))
    const defaultProfile = options.profile ?? "default"
    const originSettings = options.origins ?? {}
    const userAgent = options.userAgent ?? "Tenfold/0.1 (+https://github.com/tenfold)"
    const origins = Origins.make({ maxOrigins: options.maxOrigins ?? 256, idleOriginMs: options.idleOriginMs ?? 300_000, context })
    yield* Effect.addFinalizer(() => Effect.promise(() => origins.destroyAll()))

    /** Connection budgets: one per profile, and one of its own for an origin configured with `connections`. */
    const budgets = new Map<string, Gate.Gate>()
    const budgetOf = (origin: string, resolved: Profile.Resolved) => {
      const entry = originSettings[origin]
      const key = typeof entry === "object" && entry.connections !== undefined ? origin : resolved.profile
      let budget = budgets.get(key)
      if (budget === undefined) budgets.set(key, budget = Gate.make(resolved.settings.connections))
      return budget
    }
    const filterIds = new WeakMap<AddressFilter, number>()
    let filters = 0
    const filterKey = (filter: AddressFilter | undefined) => {
      if (filter === undefined) return 0
      let id = filterIds.get(filter)
      if (id === undefined) filterIds.set(filter, id = ++filters)
      return id
    }

    /** A new pool for `url`'s origin, its connections checked by `filter` when there is one. */
    const create = (lib: typeof import("undici"), url: URL, filter: AddressFilter | undefined) => {
      const origin = url.origin
      const resolved = Profile.resolve(origin, originSettings, defaultProfile)
      const { settings } = resolved
      const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80)
      return OriginPool.make({
        origin,
        resolved,
        filtered: filter !== undefined,
        budget: budgetOf(origin, resolved),
        dispatcher: new lib.Pool(origin, {
          connections: settings.maxPerHost,
          pipelining: 1,
          keepAliveTimeout: settings.keepAliveMs,
          keepAliveMaxTimeout: settings.keepAliveMs,
          connect: filter === undefined
            ? { timeout: settings.connectTimeoutMs }
            : Connector.filtered(lib.buildConnector, filter, settings.connectTimeoutMs, port)
        })
      })
    }

    /**
     * One attempt of `hop` (see `exchange`): a redirect to follow or a 5xx to retry (unless `last`)
     * comes back as such with its connection already free; otherwise the response is kept.
     */
    const attemptOf = (hop: Redirect.Hop, request: RequestOptions, reading: Reading, last: boolean) =>
      Effect.flatMap(undici, (lib): Effect.Effect<Outcome<Exchanged>, ConnectionError> => {
        const filter = request.addressFilter
        const origin = hop.url.origin
        const pool = origins.checkout(`${filterKey(filter)} ${origin}`, origin, clock.currentTimeMillisUnsafe(), () => create(lib, hop.url, filter))
        if (pool instanceof TooManyOrigins) return Effect.fail(pool)
        const { settings } = pool.resolved
        const series = origins.series(pool.label)
        const follow = request.redirect !== "manual"
        const isFollowed = (head: Head) => follow && Redirect.isRedirect(head.status) && head.headers.location !== undefined
        const attempt: Attempt = { url: hop.url.href, origin, connectTimeoutMs: settings.connectTimeoutMs, timeoutMs: request.timeoutMs ?? settings.timeoutMs }
        return exchange({
          pool,
          hop,
          attempt,
          reading,
          keep: (head) => !isFollowed(head) && !(head.status >= 500 && !last),
          onLatency: (ms) => series?.latency.modifyUnsafe(ms, context),
          onDone: () => origins.checkin(pool)
        }).pipe(
          Effect.flatMap((exchanged): Effect.Effect<Outcome<Exchanged>, ConnectionError> => {
            if (exchanged._tag !== "Dropped") return Effect.succeed({ _tag: "Done", value: exchanged })
            if (!isFollowed(exchanged.head)) return Effect.succeed(RETRY)
            const location = Validate.url(exchanged.head.headers.location!, hop.url)
            return location instanceof InvalidRequest ? Effect.fail(location) : Effect.succeed({ _tag: "Redirect", status: exchanged.head.status, location })
          }),
          Effect.tapError((error) => Effect.sync(() => series?.error(error._tag).modifyUnsafe(1, context)))
        )
      })

    /** Sends `request`, each hop with its retries, following redirects (each hop through the address filter again). */
    const send = (request: RequestOptions, reading: Reading) =>
      Effect.gen(function*() {
        const first = Validate.firstHop(request, userAgent)
        if (first instanceof InvalidRequest) return yield* first
        const maxRedirects = request.redirect === "manual" ? 0 : request.maxRedirects ?? DEFAULT_MAX_REDIRECTS
        const { value, hop, redirects } = yield* Redirect.following(first, maxRedirects, (hop) =>
          retrying(retriesOf(hop.method, request), (last) => attemptOf(hop, request, reading, last)))
        const exchanged = value as Exclude<Exchanged, { _tag: "Dropped" }>
        const head: ResponseHead = { ...exchanged.head, url: hop.url.href, redirects }
        if (request.failOnStatus === true && head.status >= 400) {
          if (exchanged._tag === "Open") exchanged.release()
          return yield* new HttpStatus({ url: head.url, status: head.status })
        }
        return { exchanged, head }
      })

    /** `effect` holding a network permit for `url`'s origin when the runtime has `NetworkPermits`. */
    const permitted = <A, E, R>(url: string | URL, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Scope.Scope> => {
      if (Option.isNone(networkPermits)) return effect
      const origin = URL.parse(String(url))?.origin ?? String(url)
      return Effect.andThen(networkPermits.value.take(origin), effect)
    }

    const request = (options: RequestOptions): Effect.Effect<Response, ConnectionError> => {
      const sent = Effect.map(send(options, { mode: "read", maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES }), ({ exchanged, head }): Response => {
        const body = exchanged._tag === "Read" ? exchanged.body : new Uint8Array(0)
        return { ...head, body, text: () => new TextDecoder().decode(body) }
      })
      return Option.isNone(networkPermits) ? sent : Effect.scoped(permitted(options.url, sent))
    }

    const stream = (options: RequestOptions): Effect.Effect<StreamedResponse, ConnectionError, Scope.Scope> =>
      Effect.gen(function*() {
        const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
        // every exchange kept open is released with the caller's scope, registered before it can exist
        const releases: Array<() => void> = []
        yield* Effect.addFinalizer(() => Effect.sync(() => releases.forEach((release) => release())))
        const { exchanged, head } = yield* permitted(options.url, send(options, { mode: "open", track: (release) => void releases.push(release) }))
        if (exchanged._tag !== "Open") return yield* Effect.die("ConnectionPool.stream: the response was not kept open")
        const declared = head.headers["content-length"]
        if (declaredOver(declared, maxBytes)) return yield* new TooLarge({ url: head.url, maxBytes })
        const body = Stream.fromAsyncIterable(limited(exchanged.body, maxBytes), (cause) => bodyError(cause, exchanged.attempt, maxBytes)).pipe(
          Stream.ensuring(Effect.sync(exchanged.release))
        )
        return { ...head, contentLength: declared === undefined ? undefined : Number(declared), body }
      })

    const optimise = Effect.sync(() => {
      for (const pool of Array.from(origins.pools())) pool.optimise()
      origins.sweep(clock.currentTimeMillisUnsafe())
    })
    yield* Effect.forkScoped(Effect.schedule(optimise, Schedule.spaced(options.optimiseEvery ?? Duration.minutes(1))))

    return ConnectionPool.of({
      request,
      stream,
      stats: Effect.sync(() => Array.from(origins.pools(), (pool) => pool.stats())),
      optimise
    })
  })
