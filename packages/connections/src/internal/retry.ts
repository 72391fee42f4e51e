/**
 * Retries, as the pool makes them: only idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, or
 * declared so), after a connection failure, a timeout or a 5xx, a bounded number of times, with
 * exponential backoff and jitter.
 */
import { Duration, Effect, Random } from "effect"
import type { ConnectionError } from "../ConnectionError.ts"
import type { Method } from "../HttpRequest.ts"
import { isTransient } from "./failure.ts"

/** What one attempt came to: a value, a redirect to follow, or a 5xx worth another attempt. */
export type Outcome<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: URL }
  | { readonly _tag: "Retry" }

/** An attempt's outcome once retries are over. */
export type Final<A> = Exclude<Outcome<A>, { readonly _tag: "Retry" }>

export const RETRY: Outcome<never> = { _tag: "Retry" }

/** Methods retried without being declared idempotent. */
export const IDEMPOTENT: ReadonlySet<Method> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])

const DEFAULT_RETRIES = 2
const MAX_RETRIES = 10
/** First retry delay; each next one doubles, up to `MAX_BACKOFF_MS`, times a jitter in [0.5, 1.5). */
const BASE_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 5_000

/** How many retries a request gets: `retries` (default 2, at most 10) when idempotent, else none. */
export const retriesOf = (method: Method, request: { readonly retries?: number; readonly idempotent?: boolean }) =>
  IDEMPOTENT.has(method) || request.idempotent === true ? Math.max(0, Math.min(MAX_RETRIES, request.retries ?? DEFAULT_RETRIES)) : 0

/** Delay before retry `n` (0-based): exponential from 100 ms, capped at 5 s, jittered ×[0.5, 1.5). */
const backoff = (n: number) =>
  Effect.flatMap(Random.next, (jitter) => Effect.sleep(Duration.millis(Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** n) * (0.5 + jitter))))

/**
 * Runs `attempt` until it comes to something final, at most `retries + 1` times: a transient
 * failure or a `Retry` outcome of a non-last attempt waits and tries again. `attempt(true)` (the
 * last) must not answer `Retry`: it keeps whatever it got.
 */
export const retrying = <A>(
  retries: number,
  attempt: (last: boolean) => Effect.Effect<Outcome<A>, ConnectionError>
): Effect.Effect<Final<A>, ConnectionError> => {
  const loop = (n: number): Effect.Effect<Final<A>, ConnectionError> => {
    const last = n >= retries
    return attempt(last).pipe(
      Effect.catch((error) => !last && isTransient(error) ? Effect.succeed(RETRY) : Effect.fail(error)),
      Effect.flatMap((outcome) => outcome._tag === "Retry" ? Effect.andThen(backoff(n), loop(n + 1)) : Effect.succeed(outcome))
    )
  }
  return loop(0)
}
