/**
 * Following redirects, as browsers and fetch do: 303 (and 301/302 after a POST) become a GET
 * without a body, credentials are not carried to another origin, and the hops are bounded.
 */
import { Effect } from "effect"
import { type ConnectionError, TooManyRedirects } from "../ConnectionError.ts"
import type { Method } from "../HttpRequest.ts"
import type { Final } from "./retry.ts"

/** One request on the way: where, how, with what. */
export interface Hop {
  readonly url: URL
  readonly method: Method
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array | undefined
}

/** Whether `status` is a redirect the pool follows (when the response has a Location). */
export const isRedirect = (status: number) => status === 301 || status === 302 || status === 303 || status === 307 || status === 308

const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"]
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"]

const without = (headers: Readonly<Record<string, string>>, names: ReadonlyArray<string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)))

/** The hop after `hop` answered `status` with Location `url` (already resolved against `hop.url`). */
export const next = (hop: Hop, status: number, url: URL): Hop => {
  const toGet = (status === 303 && hop.method !== "HEAD") || ((status === 301 || status === 302) && hop.method === "POST")
  let headers = url.origin === hop.url.origin ? hop.headers : without(hop.headers, CREDENTIALS)
  if (toGet) headers = without(headers, BODY_HEADERS)
  return { url, method: toGet ? "GET" : hop.method, headers, body: toGet ? undefined : hop.body }
}

/** The final response of a request and how it got there. */
export interface Followed<A> {
  readonly value: A
  /** The hop that answered. */
  readonly hop: Hop
  /** The URLs redirected from, in order. */
  readonly redirects: ReadonlyArray<string>
}

/** Sends `first` with `send` and follows the redirects it reports, at most `maxRedirects`. */
export const following = <A>(
  first: Hop,
  maxRedirects: number,
  send: (hop: Hop) => Effect.Effect<Final<A>, ConnectionError>
): Effect.Effect<Followed<A>, ConnectionError> => {
  const redirects: Array<string> = []
  const loop = (hop: Hop): Effect.Effect<Followed<A>, ConnectionError> =>
    Effect.flatMap(send(hop), (outcome) => {
      if (outcome._tag === "Done") return Effect.succeed({ value: outcome.value, hop, redirects })
      if (redirects.length >= maxRedirects) return Effect.fail(new TooManyRedirects({ url: first.url.href, maxRedirects }))
      redirects.push(hop.url.href)
      return loop(next(hop, outcome.status, outcome.location))
    })
  return loop(first)
}
