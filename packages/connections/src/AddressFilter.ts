/**
 * The SSRF hook: a policy that says which resolved addresses a request may connect to. The pool
 * runs it inside the connect path — after DNS resolution, on the addresses actually dialled, and
 * again on the socket's remote address once connected — so DNS rebinding cannot slip past it, and
 * every redirect hop is a new request that goes through it again. The policy itself is its
 * caller's: `AddressPolicy` (private, loopback, link-local ranges …) is one.
 */
import type { Target } from "./AddressPolicy.ts"

/**
 * A connection policy passed per request (`RequestOptions.addressFilter`); an `AddressPolicy` is
 * one. Connections are pooled per origin *and* filter (by identity), so a socket opened without a
 * filter, or under another one, is never reused by a request under this one: reuse one filter
 * object for many requests.
 */
export interface AddressFilter {
  /**
   * The refusal of `target` (its `message` says why), or undefined when it may be connected to.
   * Runs synchronously on the connect path: keep it cheap; it must not throw.
   */
  readonly check: (target: Target) => { readonly message: string } | undefined
}
