/**
 * The next hop of a followed redirect, as browsers and fetch make it: 303 (and 301/302 after a
 * POST) become a GET without a body; credentials are not carried to another origin.
 */
import type { Method } from "../HttpRequest.ts"

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
