/**
 * Which network addresses an outbound request may connect to (SSRF defence). Every address is
 * classified into a named range (loopback, private, link-local, CGNAT, multicast, …, or public);
 * by default only public addresses are allowed, unless the policy allows private ranges or names
 * the host. The check runs on the address actually connected to — after DNS resolution and on
 * every redirect hop — so a public name that resolves to 127.0.0.1 is refused like the literal.
 */
import { Data } from "effect"
import { isIPv4, isIPv6 } from "node:net"

/** The kind of address range an IP address belongs to; only `public` is allowed by default. */
export type Range =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "shared"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"

/** An address range: a network address and its prefix length. */
interface Cidr {
  readonly family: 4 | 6
  /** The address as a 32-bit (IPv4) or 128-bit (IPv6) number. */
  readonly value: bigint
  readonly prefix: number
}

/** An outbound connection about to be made (or just made): the URL's host name and the address it resolved to. */
export interface Target {
  readonly hostname: string
  readonly address: string
  readonly port: number
}

/** A refused connection: the address, the range that made it refused, and the name that led to it. */
export class AddressRefused extends Data.TaggedError("AddressRefused")<{
  readonly hostname: string
  readonly address: string
  readonly port: number
  readonly range: Exclude<Range, "public">
}> {
  override get message() {
    const via = this.hostname === this.address || this.hostname === `[${this.address}]` ? "" : ` (${this.hostname})`
    return `refused to connect to ${this.address}${via}: a ${this.range} address (only public addresses are allowed unless configured)`
  }
}

/** An `allowedHosts` entry that is neither a host name, an IP address, a `host:port` nor a CIDR range. */
export class InvalidAllowedHost extends Data.TaggedError("InvalidAllowedHost")<{ readonly entry: string }> {
  override get message() {
    return `invalid allowed host "${this.entry.slice(0, 100)}": expected a host name, an IP address, host:port, [IPv6]:port or a CIDR range such as 10.0.0.0/8`
  }
}

/** What a policy allows besides public addresses. */
export interface AddressPolicyOptions {
  /** Allow every address, private and loopback ranges included (default false). */
  readonly allowPrivate?: boolean
  /**
   * Hosts allowed whatever they resolve to: a host name (`intranet.example`), an IP address
   * (`127.0.0.1`, `::1`), either with a port (`127.0.0.1:8080`, `[::1]:8080`), or a CIDR range
   * (`10.0.0.0/8`, `fd00::/8`). Names match the URL's host; addresses and ranges the connected address.
   */
  readonly allowedHosts?: ReadonlyArray<string>
}

/** A compiled policy: `check` is synchronous so it can run inside a DNS lookup or a connect callback. */
export interface AddressPolicy {
  /** The refusal for `target`, or undefined when it may be connected to. */
  readonly check: (target: Target) => AddressRefused | undefined
}

const v4 = (text: string): bigint => text.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n)

/** An IPv6 address (zone removed, embedded dotted quad allowed) as a 128-bit number. */
const v6 = (text: string): bigint => {
  const [head, tail] = text.split("::") as [string, string | undefined]
  const groups = (part: string | undefined): Array<bigint> => {
    if (part === undefined || part === "") return []
    return part.split(":").flatMap((g) => {
      if (!g.includes(".")) return [BigInt(parseInt(g, 16))]
      const quad = v4(g)
      return [quad >> 16n, quad & 0xffffn]
    })
  }
  const left = groups(head)
  const right = groups(tail)
  const all = tail === undefined ? left : [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right]
  return all.reduce((n, g) => (n << 16n) | g, 0n)
}

/** Parses an IP address (IPv6 possibly bracketed or with a `%zone`); undefined for anything else. */
const parseAddress = (address: string): { readonly family: 4 | 6; readonly value: bigint } | undefined => {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address
  const unzoned = bare.split("%")[0]!
  if (isIPv4(unzoned)) return { family: 4, value: v4(unzoned) }
  if (isIPv6(unzoned)) return { family: 6, value: v6(unzoned) }
  return undefined
}

const cidr = (text: string): Cidr | undefined => {
  const [address, bits, extra] = text.split("/")
  const parsed = address === undefined ? undefined : parseAddress(address)
  if (parsed === undefined || extra !== undefined) return undefined
  const max = parsed.family === 4 ? 32 : 128
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN
  return Number.isInteger(prefix) && prefix >= 0 && prefix <= max ? { ...parsed, prefix } : undefined
}

const contains = (range: Cidr, family: 4 | 6, value: bigint) => {
  if (range.family !== family) return false
  const shift = BigInt((family === 4 ? 32 : 128) - range.prefix)
  return value >> shift === range.value >> shift
}

const table = (entries: ReadonlyArray<readonly [string, Exclude<Range, "public">]>) =>
  entries.map(([text, range]) => ({ cidr: cidr(text)!, range }))

/** IANA's IPv4 special-purpose registry, most specific first. */
const IPV4_RANGES = table([
  ["255.255.255.255/32", "broadcast"],
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"]
])

/** IPv6 ranges that are not public; anything outside 2000::/3 (global unicast) is reserved. */
const IPV6_RANGES = table([
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "private"],
  ["100::/64", "reserved"],
  ["2001::/23", "reserved"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["5f00::/16", "reserved"],
  ["fc00::/7", "private"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"],
  ["ff00::/8", "multicast"]
])

const GLOBAL_UNICAST = cidr("2000::/3")!

/** IPv6 prefixes whose addresses carry an IPv4 address that decides their range: [prefix, bit offset of the IPv4 address]. */
const EMBEDDING_V4 = [
  [cidr("::ffff:0:0/96")!, 0n], // IPv4-mapped
  [cidr("::/96")!, 0n], // IPv4-compatible (deprecated), e.g. ::127.0.0.1
  [cidr("64:ff9b::/96")!, 0n], // NAT64 well-known prefix
  [cidr("2002::/16")!, 80n] // 6to4: 2002:AABB:CCDD::/48
] as const

const classifyV4 = (value: bigint): Range => IPV4_RANGES.find(({ cidr }) => contains(cidr, 4, value))?.range ?? "public"

const classifyV6 = (value: bigint): Range => {
  for (const [prefix, offset] of EMBEDDING_V4) {
    if (contains(prefix, 6, value) && !(prefix.prefix === 96 && prefix.value === 0n && value <= 1n)) {
      return classifyV4((value >> offset) & 0xffffffffn)
    }
  }
  const special = IPV6_RANGES.find(({ cidr }) => contains(cidr, 6, value))?.range
  if (special !== undefined) return special
  return contains(GLOBAL_UNICAST, 6, value) ? "public" : "reserved"
}

/** The range of an IP address (IPv4, IPv6, bracketed, zoned, IPv4-mapped); undefined when `address` is not an IP address. */
export const classify = (address: string): Range | undefined => {
  const parsed = parseAddress(address)
  if (parsed === undefined) return undefined
  return parsed.family === 4 ? classifyV4(parsed.value) : classifyV6(parsed.value)
}

/** An `allowedHosts` entry, compiled. */
type Allowance =
  | { readonly _tag: "Name"; readonly name: string; readonly port: number | undefined }
  | { readonly _tag: "Range"; readonly cidr: Cidr; readonly port: number | undefined }

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i

const splitPort = (entry: string): { readonly host: string; readonly port: number | undefined } | undefined => {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry)
  const plain = bracketed === null ? /^([^:]+)(?::(\d{1,5}))?$/.exec(entry) : null
  const match = bracketed ?? plain
  if (match === null) return isIPv6(entry) ? { host: entry, port: undefined } : undefined
  const port = match[2] === undefined ? undefined : Number(match[2])
  return port !== undefined && port > 65535 ? undefined : { host: match[1]!, port }
}

const compileAllowance = (entry: string): Allowance | InvalidAllowedHost => {
  const trimmed = entry.trim()
  if (trimmed.includes("/")) {
    const range = cidr(trimmed)
    return range === undefined ? new InvalidAllowedHost({ entry }) : { _tag: "Range", cidr: range, port: undefined }
  }
  const split = splitPort(trimmed)
  if (split === undefined) return new InvalidAllowedHost({ entry })
  const address = cidr(split.host)
  if (address !== undefined) return { _tag: "Range", cidr: address, port: split.port }
  return HOST_NAME.test(split.host)
    ? { _tag: "Name", name: split.host.toLowerCase().replace(/\.$/, ""), port: split.port }
    : new InvalidAllowedHost({ entry })
}

const allows = (allowance: Allowance, target: Target, parsed: { readonly family: 4 | 6; readonly value: bigint }) => {
  if (allowance.port !== undefined && allowance.port !== target.port) return false
  return allowance._tag === "Name"
    ? allowance.name === target.hostname.toLowerCase().replace(/\.$/, "")
    : contains(allowance.cidr, parsed.family, parsed.value)
}

/** Compiles a policy; fails with the first invalid `allowedHosts` entry. */
export const make = (options: AddressPolicyOptions = {}): AddressPolicy | InvalidAllowedHost => {
  const allowances: Array<Allowance> = []
  for (const entry of options.allowedHosts ?? []) {
    const allowance = compileAllowance(entry)
    if (allowance instanceof InvalidAllowedHost) return allowance
    allowances.push(allowance)
  }
  const allowPrivate = options.allowPrivate === true
  return {
    check: (target) => {
      const parsed = parseAddress(target.address)
      // not an IP address: nothing to connect to, so nothing can be vouched for
      const range = parsed === undefined ? "reserved" : parsed.family === 4 ? classifyV4(parsed.value) : classifyV6(parsed.value)
      if (range === "public" || allowPrivate) return undefined
      if (parsed !== undefined && allowances.some((a) => allows(a, target, parsed))) return undefined
      return new AddressRefused({ hostname: target.hostname, address: target.address, port: target.port, range })
    }
  }
}

/** The default policy: public addresses only. */
export const publicOnly: AddressPolicy = make() as AddressPolicy
