/**
 * The SSRF hook: a policy that says which resolved addresses a request may connect to. The pool
 * runs it inside the connect path — after DNS resolution, on the addresses actually dialled (and
 * again on the socket's remote address once connected) — so DNS rebinding cannot slip past it, and
 * every redirect hop is a new request that goes through it again. The policy itself (private,
 * loopback, link-local ranges …) belongs to its caller, e.g. the `fetch_url` tool.
 */

/** A connection policy passed per request (`RequestOptions.addressFilter`). */
export interface AddressFilter {
  /**
   * Names the policy. Connections are pooled per origin *and* filter name, so a socket opened
   * without a filter (or under another policy) is never reused by a request under this one.
   */
  readonly name: string
  /**
   * Why `address` (an IP literal of `family`, resolved from `host`) may not be connected to, or
   * undefined when it may. Runs synchronously on the connect path: keep it cheap; it must not throw.
   */
  readonly check: (address: string, family: 4 | 6, host: string) => string | undefined
}
