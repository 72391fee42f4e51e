/**
 * `ConnectionPool`: Tenfold's outbound HTTP client. One undici pool per origin (keep-alive,
 * sized by the origin's profile), a permit gate in front of each that the optimise loop resizes
 * with use, retries with backoff for idempotent requests, redirects re-checked hop by hop, byte
 * limits on every body, and per-pool metrics. The built-in tools and the gateway's HTTP upstreams
 * send their requests through it; closing the layer's scope closes every pool.
 */
import { Clock, Context, Duration, Effect, Exit, Layer, Option, Random, Schedule, Scope, Semaphore, Stream } from "effect"
import type { Dispatcher } from "undici"
import type { AddressFilter } from "./AddressFilter.ts"
import { type ConnectionError, HttpStatus, InvalidRequest, RequestTimeout, TooLarge, TooManyOrigins, TooManyRedirects } from "./ConnectionError.ts"
import type { Method, RequestOptions, Response, ResponseHead, StreamedResponse } from "./HttpRequest.ts"
import { type Body, bodyError, declaredOver, limited, readAll } from "./internal/body.ts"
import * as Connector from "./internal/connector.ts"
import { type Attempt, fromCause, isTransient } from "./internal/failure.ts"
import * as OriginPool from "./internal/OriginPool.ts"
import * as Origins from "./internal/Origins.ts"
import * as Redirect from "./internal/redirect.ts"
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
const DEFAULT_RETRIES = 2
const MAX_RETRIES = 10
const DEFAULT_MAX_REDIRECTS = 5
/** First retry delay; each next one doubles, up to `MAX_BACKOFF_MS`, times a jitter in [0.5, 1.5). */
const BASE_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 5_000
const IDEMPOTENT: ReadonlySet<Method> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
const METHODS: ReadonlySet<string> = new Set([...IDEMPOTENT, "POST", "PATCH"])
/** RFC 9110 token: a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** A header value undici can send as is: no control characters but tab, nothing beyond Latin-1 (undici stalls on those). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/** Longest URL sent. */
const MAX_URL_LENGTH = 16 * 1024
/** Most bytes of request headers, names and values together. */
const MAX_HEADER_BYTES = 64 * 1024

/** A response whose headers are in and whose body is unread, owned by its attempt's scope. */
interface Opened {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Body & { readonly dump: () => Promise<void> }
  readonly attempt: Attempt
  /** The attempt's scope: closing it ends the exchange (socket back to the pool, or closed mid-body). */
  readonly scope: Scope.Closeable
}

/** What one attempt came to: a value, a redirect to follow, or a 5xx worth another attempt. */
type Outcome<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: URL }
  | { readonly _tag: "Retry" }

const RETRY: Outcome<never> = { _tag: "Retry" }

const flatHeaders = (raw: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = typeof value === "string" ? value : value.join(", ")
  }
  return headers
}

/** The request's headers with lower-case names and a User-Agent, or why they cannot be sent. */
const headersOf = (given: Readonly<Record<string, string>>, userAgent: string): Record<string, string> | string => {
  const headers: Record<string, string> = {}
  let bytes = 0
  for (const [name, value] of Object.entries(given)) {
    if (!TOKEN.test(name)) return `invalid header name ${JSON.stringify(name.slice(0, 40))}`
    if (typeof value !== "string" || !FIELD_VALUE.test(value)) return `invalid value of header ${name}`
    bytes += name.length + value.length
    if (bytes > MAX_HEADER_BYTES) return `headers longer than ${MAX_HEADER_BYTES} bytes`
    headers[name.toLowerCase()] = value
  }
  headers["user-agent"] ??= userAgent
  return headers
}

const parseUrl = (url: string | URL, base?: URL): URL | InvalidRequest => {
  const text = String(url)
  let parsed: URL
  try {
    parsed = new URL(text, base)
  } catch {
    return new InvalidRequest({ url: text.slice(0, 2048), reason: "not a valid URL" })
  }
  if (parsed.href.length > MAX_URL_LENGTH) return new InvalidRequest({ url: parsed.href.slice(0, 2048), reason: `URL longer than ${MAX_URL_LENGTH} characters` })
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return new InvalidRequest({ url: parsed.href.slice(0, 2048), reason: `scheme ${parsed.protocol} is not http: or https:` })
  }
  return parsed
}

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
    const budgets = new Map<string, Semaphore.Semaphore>()
    const budgetOf = (origin: string, resolved: Profile.Resolved) => {
      const entry = originSettings[origin]
      const key = typeof entry === "object" && entry.connections !== undefined ? origin : resolved.profile
      let budget = budgets.get(key)
      if (budget === undefined) budgets.set(key, budget = Semaphore.makeUnsafe(resolved.settings.connections))
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
    const networkPermit = (origin: string) => Option.isSome(networkPermits) ? networkPermits.value.take(origin) : Effect.void

    /** The pool of `url`'s origin under `filter`, checked out for the current scope. */
    const checkout = (url: URL, filter: AddressFilter | undefined) =>
      Effect.gen(function*() {
        const lib = yield* undici
        const origin = url.origin
        const create = () => {
          const resolved = Profile.resolve(origin, originSettings, defaultProfile)
          const { settings } = resolved
          const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80)
          return OriginPool.make({
            origin,
            resolved,
            filtered: filter !== undefined,
            budget: budgetOf(origin, resolved),
            networkPermit: networkPermit(origin),
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
        return yield* Effect.acquireRelease(
          Effect.suspend(() => {
            const pool = origins.checkout(`${filterKey(filter)} ${origin}`, origin, clock.currentTimeMillisUnsafe(), create)
            return pool instanceof TooManyOrigins ? Effect.fail(pool) : Effect.succeed(pool)
          }),
          (pool) => Effect.sync(() => origins.checkin(pool))
        )
      })

    /** Sends `hop` on a slot of its origin's pool; the response and the slot belong to the current scope. */
    const exchange = (hop: Redirect.Hop, filter: AddressFilter | undefined, timeoutMs: number | undefined) =>
      Effect.gen(function*() {
        const pool = yield* checkout(hop.url, filter)
        const { settings } = pool.resolved
        const attempt: Attempt = {
          url: hop.url.href,
          origin: pool.origin,
          connectTimeoutMs: settings.connectTimeoutMs,
          timeoutMs: timeoutMs ?? settings.timeoutMs
        }
        yield* pool.permit
        const series = origins.series(pool.label)
        const started = clock.currentTimeMillisUnsafe()
        const response = yield* Effect.callback<Dispatcher.ResponseData, ConnectionError>((resume, signal) => {
          const fail = (cause: unknown) => resume(Effect.fail(fromCause(cause, attempt)))
          try {
            pool.dispatcher.request({
              path: hop.url.pathname + hop.url.search,
              method: hop.method,
              headers: hop.headers,
              body: hop.body ?? null,
              headersTimeout: attempt.timeoutMs,
              bodyTimeout: attempt.timeoutMs,
              signal
            }, (error, data) => {
              if (error !== null) return fail(error)
              // a body aborted before anyone reads it must not raise an unhandled 'error'; readers see errors through iteration
              data.body.on("error", () => undefined)
              resume(Effect.succeed(data))
            })
          } catch (cause) {
            fail(cause)
          }
        })
        series?.latency.modifyUnsafe(clock.currentTimeMillisUnsafe() - started, context)
        yield* Effect.addFinalizer(() => Effect.sync(() => response.body.destroy()))
        return { status: response.statusCode, headers: flatHeaders(response.headers), body: response.body, attempt }
      })

    /**
     * One attempt of `hop` in a scope of its own, within the attempt's timeout: a redirect to
     * follow or a 5xx to retry releases its connection at once; otherwise `consume` runs on the
     * response, and the scope stays open (for a streamed body) until the caller's closes.
     */
    const attemptOf = <A>(
      hop: Redirect.Hop,
      request: RequestOptions,
      last: boolean,
      consume: (opened: Opened) => Effect.Effect<A, ConnectionError>
    ): Effect.Effect<Outcome<A>, ConnectionError, Scope.Scope> =>
      Effect.gen(function*() {
        const scope = yield* Scope.fork(yield* Effect.scope)
        const timeoutMs = request.timeoutMs
        const run = Effect.gen(function*() {
          const { status, headers, body, attempt } = yield* exchange(hop, request.addressFilter, timeoutMs)
          const location = headers.location
          if (request.redirect !== "manual" && Redirect.isRedirect(status) && location !== undefined) {
            const next = parseUrl(location, hop.url)
            if (next instanceof InvalidRequest) return yield* next
            yield* Effect.promise(() => body.dump().catch(() => undefined))
            return { _tag: "Redirect", status, location: next } as const
          }
          if (status >= 500 && !last) {
            yield* Effect.promise(() => body.dump().catch(() => undefined))
            return RETRY
          }
          return { _tag: "Done", value: yield* consume({ status, headers, body, attempt, scope }) } as const
        }).pipe(Scope.provide(scope))
        const limit = timeoutMs ?? Profile.resolve(hop.url.origin, originSettings, defaultProfile).settings.timeoutMs
        return yield* run.pipe(
          Effect.timeoutOrElse({ duration: Duration.millis(limit), orElse: () => Effect.fail(new RequestTimeout({ url: hop.url.href, timeoutMs: limit })) }),
          Effect.tapError((error) => Effect.sync(() => origins.series(OriginPool.labelOf(hop.url.origin))?.error(error._tag).modifyUnsafe(1, context))),
          Effect.onExit((exit) => Exit.isSuccess(exit) && exit.value._tag === "Done" ? Effect.void : Scope.close(scope, exit))
        )
      })

    /** Delay before retry `n` (0-based): exponential from 100 ms, capped at 5 s, jittered ×[0.5, 1.5). */
    const backoff = (n: number) =>
      Effect.flatMap(Random.next, (jitter) => Effect.sleep(Duration.millis(Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** n) * (0.5 + jitter))))

    /** `hop` with its retries: only idempotent requests retry, after a transient failure or a 5xx. */
    const withRetries = <A>(
      hop: Redirect.Hop,
      request: RequestOptions,
      consume: (opened: Opened) => Effect.Effect<A, ConnectionError>
    ): Effect.Effect<Outcome<A>, ConnectionError, Scope.Scope> => {
      const retryable = IDEMPOTENT.has(hop.method) || request.idempotent === true
      const retries = retryable ? Math.max(0, Math.min(MAX_RETRIES, request.retries ?? DEFAULT_RETRIES)) : 0
      const loop = (n: number): Effect.Effect<Outcome<A>, ConnectionError, Scope.Scope> => {
        const last = n >= retries
        return attemptOf(hop, request, last, consume).pipe(
          Effect.catch((error) => !last && isTransient(error) ? Effect.succeed(RETRY) : Effect.fail(error)),
          Effect.flatMap((outcome) => outcome._tag === "Retry" ? Effect.andThen(backoff(n), loop(n + 1)) : Effect.succeed(outcome))
        )
      }
      return loop(0)
    }

    /** Sends `request`, following redirects (each hop through the address filter again), and consumes the final response. */
    const send = <A>(
      request: RequestOptions,
      consume: (opened: Opened, head: ResponseHead) => Effect.Effect<A, ConnectionError>
    ): Effect.Effect<A, ConnectionError, Scope.Scope> =>
      Effect.gen(function*() {
        const url = parseUrl(request.url)
        if (url instanceof InvalidRequest) return yield* url
        const method = request.method ?? "GET"
        if (!METHODS.has(method)) return yield* new InvalidRequest({ url: url.href, reason: `method ${String(method).slice(0, 20)} is not supported` })
        const headers = headersOf(request.headers ?? {}, userAgent)
        if (typeof headers === "string") return yield* new InvalidRequest({ url: url.href, reason: headers })
        const maxRedirects = request.redirect === "manual" ? 0 : request.maxRedirects ?? DEFAULT_MAX_REDIRECTS
        let hop: Redirect.Hop = { url, method, headers, body: request.body }
        const redirects: Array<string> = []
        while (true) {
          const current = hop
          const outcome = yield* withRetries(current, request, (opened) => {
            if (request.failOnStatus === true && opened.status >= 400) {
              return Effect.fail(new HttpStatus({ url: current.url.href, status: opened.status }))
            }
            return consume(opened, { status: opened.status, headers: opened.headers, url: current.url.href, redirects: [...redirects] })
          })
          if (outcome._tag === "Done") return outcome.value
          if (outcome._tag === "Retry") continue
          if (redirects.length >= maxRedirects) return yield* new TooManyRedirects({ url: url.href, maxRedirects })
          redirects.push(current.url.href)
          hop = Redirect.next(current, outcome.status, outcome.location)
        }
      })

    const request = (options: RequestOptions): Effect.Effect<Response, ConnectionError> => {
      const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
      return Effect.scoped(send(options, (opened, head) => {
        const declared = opened.headers["content-length"]
        if (declaredOver(declared, maxBytes)) return Effect.fail(new TooLarge({ url: head.url, maxBytes }))
        return Effect.map(readAll(opened.body, declared, maxBytes, opened.attempt), (body): Response => ({
          ...head,
          body,
          text: () => new TextDecoder().decode(body)
        }))
      }))
    }

    const stream = (options: RequestOptions): Effect.Effect<StreamedResponse, ConnectionError, Scope.Scope> => {
      const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
      return send(options, (opened, head) => {
        const declared = opened.headers["content-length"]
        if (declaredOver(declared, maxBytes)) return Effect.fail(new TooLarge({ url: head.url, maxBytes }))
        const body = Stream.fromAsyncIterable(limited(opened.body, maxBytes), (cause) => bodyError(cause, opened.attempt, maxBytes)).pipe(
          Stream.ensuring(Scope.close(opened.scope, Exit.void))
        )
        return Effect.succeed({ ...head, contentLength: declared === undefined ? undefined : Number(declared), body })
      })
    }

    const optimise = Effect.gen(function*() {
      for (const pool of Array.from(origins.pools())) yield* pool.optimise
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
