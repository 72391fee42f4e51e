/**
 * An undici connector that runs an `AddressFilter` on the connect path: on an IP-literal host
 * before dialling, on each address DNS returns (a custom `lookup`: refused addresses are dropped,
 * and if none is left the connection fails), and on the socket's remote address once connected.
 * What is checked is therefore what is connected to, whatever DNS answers next time.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns"
import { isIP, type LookupFunction } from "node:net"
import type { buildConnector } from "undici"
import type { AddressFilter } from "../AddressFilter.ts"
import type { Target } from "../AddressPolicy.ts"

/** The connect-path failure a refusal travels as through undici; mapped to `RefusedAddress`. */
export class Refusal extends Error {
  readonly target: Target
  constructor(target: Target, reason: string) {
    super(reason)
    this.target = target
  }
}

const refusalOf = (filter: AddressFilter, target: Target): Refusal | undefined => {
  const refused = filter.check(target)
  return refused === undefined ? undefined : new Refusal(target, refused.message)
}

/** A DNS lookup for `net.connect` that only answers the addresses `filter` allows. */
const filteredLookup = (filter: AddressFilter, port: number): LookupFunction => (hostname, options, callback) =>
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: Array<LookupAddress>) => {
    if (error !== null) return callback(error, "", 0)
    let refusal: Refusal | undefined
    const allowed = addresses.filter(({ address }) => {
      const refused = refusalOf(filter, { hostname, address, port })
      refusal ??= refused
      return refused === undefined
    })
    const first = allowed[0]
    if (first === undefined) {
      return callback(refusal ?? Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0)
    }
    if (options.all === true) callback(null, allowed)
    else callback(null, first.address, first.family)
  })

/**
 * A connector for undici's `connect` option of one origin's pool (`port` is the origin's) that
 * applies `filter`; `build` is undici's `buildConnector` (undici is loaded lazily, so it is passed
 * in) and `timeout` the connect timeout.
 */
export const filtered = (
  build: typeof buildConnector,
  filter: AddressFilter,
  timeout: number,
  port: number
): buildConnector.connector => {
  const connect = build({ timeout, lookup: filteredLookup(filter, port) })
  return (options, callback) => {
    const hostname = options.hostname
    if (isIP(hostname) !== 0) {
      const refusal = refusalOf(filter, { hostname, address: hostname, port })
      if (refusal !== undefined) return callback(refusal, null)
    }
    connect(options, (error, socket) => {
      if (error !== null) return callback(error, null)
      const address = socket.remoteAddress
      const refusal = address === undefined
        ? new Refusal({ hostname, address: "", port }, "the connection has no remote address")
        : refusalOf(filter, { hostname, address, port })
      if (refusal === undefined) return callback(null, socket)
      socket.destroy()
      callback(refusal, null)
    })
  }
}
