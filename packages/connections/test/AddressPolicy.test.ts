import { assert, describe, it } from "@effect/vitest"
import { AddressRefused, classify, InvalidAllowedHost, make, publicOnly, type AddressPolicy } from "../src/AddressPolicy.ts"

const compiled = (options: Parameters<typeof make>[0]): AddressPolicy => {
  const policy = make(options)
  if (policy instanceof InvalidAllowedHost) throw new Error(policy.message)
  return policy
}

describe("AddressPolicy.classify", () => {
  const cases: ReadonlyArray<readonly [string, ReturnType<typeof classify>]> = [
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.1.2.3", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["100.128.0.0", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["169.254.169.254", "link-local"],
    ["172.15.255.255", "public"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.0", "public"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "documentation"],
    ["192.168.1.1", "private"],
    ["198.18.0.1", "benchmarking"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:7f00:1::", "loopback"],
    ["2002:0808:0808::1", "public"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["2001::1", "reserved"],
    ["100::1", "reserved"],
    ["4000::1", "reserved"],
    ["2606:4700:4700::1111", "public"],
    ["2a00:1450:4001:80b::200e", "public"],
    ["example.com", undefined],
    ["", undefined],
    ["1.2.3", undefined],
    ["::ffff:1.2.3.4.5", undefined]
  ]
  for (const [address, range] of cases) {
    it(`${address || "(empty)"} is ${range ?? "not an address"}`, () => {
      assert.strictEqual(classify(address), range)
    })
  }
})

describe("AddressPolicy.make", () => {
  const at = (address: string, port = 80, hostname = address) => ({ hostname, address, port })

  it("refuses every non-public range by default and names the range", () => {
    const refused = publicOnly.check(at("127.0.0.1", 80, "localhost"))
    assert.instanceOf(refused, AddressRefused)
    assert.strictEqual(refused?.range, "loopback")
    assert.include(refused?.message, "127.0.0.1 (localhost)")
    assert.strictEqual(publicOnly.check(at("169.254.169.254"))?.range, "link-local")
    assert.strictEqual(publicOnly.check(at("::ffff:192.168.0.1"))?.range, "private")
    assert.isUndefined(publicOnly.check(at("8.8.8.8")))
  })

  it("refuses what is not an IP address (nothing to vouch for)", () => {
    assert.strictEqual(publicOnly.check(at("not-an-address"))?.range, "reserved")
  })

  it("allowPrivate allows every range", () => {
    const policy = compiled({ allowPrivate: true })
    for (const address of ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254"]) assert.isUndefined(policy.check(at(address)))
  })

  it("an address with a port allows that address and port only", () => {
    const policy = compiled({ allowedHosts: ["127.0.0.1:8080"] })
    assert.isUndefined(policy.check(at("127.0.0.1", 8080)))
    assert.strictEqual(policy.check(at("127.0.0.1", 8081))?.range, "loopback")
    assert.strictEqual(policy.check(at("127.0.0.2", 8080))?.range, "loopback")
    assert.strictEqual(policy.check(at("::1", 8080))?.range, "loopback")
  })

  it("an address matches whatever name led to it; a name matches whatever it resolved to", () => {
    const byAddress = compiled({ allowedHosts: ["127.0.0.1"] })
    assert.isUndefined(byAddress.check(at("127.0.0.1", 1, "localhost")))
    const byName = compiled({ allowedHosts: ["Intranet.Example."] })
    assert.isUndefined(byName.check(at("10.1.1.1", 443, "intranet.example")))
    assert.strictEqual(byName.check(at("10.1.1.1", 443, "other.example"))?.range, "private")
  })

  it("CIDR ranges and bracketed IPv6 entries", () => {
    const policy = compiled({ allowedHosts: ["10.0.0.0/8", "[::1]:9000", "fd00::/8"] })
    assert.isUndefined(policy.check(at("10.200.0.1")))
    assert.strictEqual(policy.check(at("11.0.0.1"))?.range, undefined) // public anyway
    assert.strictEqual(policy.check(at("172.16.0.1"))?.range, "private")
    assert.isUndefined(policy.check(at("::1", 9000)))
    assert.strictEqual(policy.check(at("::1", 9001))?.range, "loopback")
    assert.isUndefined(policy.check(at("fd00::5")))
    assert.strictEqual(policy.check(at("fc00::5"))?.range, "private")
  })

  it("rejects entries that are not hosts, addresses or ranges", () => {
    for (const entry of ["", "http://x", "10.0.0.0/33", "1.2.3.4/8/1", "host:99999", "a b", "::1/200", "[::1", "x".repeat(300)]) {
      assert.instanceOf(make({ allowedHosts: [entry] }), InvalidAllowedHost, entry)
    }
  })

  it("never throws on arbitrary text (fuzz)", () => {
    let seed = 42
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const alphabet = "0123456789abcdef:.[]/%fFxX -"
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: next() % 48 }, () => alphabet[next() % alphabet.length]).join("")
      const range = classify(text)
      assert.isTrue(range === undefined || typeof range === "string")
      const policy = make({ allowedHosts: [text] })
      assert.isTrue(policy instanceof InvalidAllowedHost || typeof policy.check === "function")
      const refused = publicOnly.check(at(text))
      assert.isTrue(refused === undefined ? classify(text) === "public" : refused.range !== undefined)
    }
  })
})
