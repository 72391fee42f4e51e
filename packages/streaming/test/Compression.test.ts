import { assert, describe, it } from "@effect/vitest"
import * as Zlib from "node:zlib"
import { Compression } from "../src/index.ts"

const both = ["gzip", "br"] as const
const settings = Compression.resolve()

describe("Compression.negotiate", () => {
  const cases: ReadonlyArray<readonly [string | undefined, Compression.Encoding | undefined]> = [
    [undefined, undefined],
    ["", undefined],
    ["gzip", "gzip"],
    ["br", "br"],
    ["br, gzip", "gzip"], // equal weights: the server's order
    ["gzip;q=1, br;q=0.5", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["GZIP ; Q=0.8 , identity", "gzip"],
    ["x-gzip", "gzip"],
    ["identity", undefined],
    ["identity;q=0", undefined], // nothing offered is acceptable: identity anyway (never 406 a JSON-RPC answer)
    ["*", "gzip"],
    ["*;q=0", undefined],
    ["*;q=0.2, gzip;q=0", "br"],
    ["deflate, compress", undefined],
    ["gzip;q=2", undefined], // a weight above 1 is malformed: the entry is ignored
    ["gzip;q=0.1234", undefined],
    ["gzip;q=abc, br", "br"],
    ["gzip;level=9", "gzip"],
    [",,,gzip,,", "gzip"],
    ["gzip;q=0.5, gzip;q=0", "gzip"] // first mention wins
  ]
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected ?? "identity"}`, () => {
      assert.strictEqual(Compression.negotiate(header, both), expected)
    })
  }

  it("offers only what the server offers", () => {
    assert.strictEqual(Compression.negotiate("br, gzip;q=0.1", ["gzip"]), "gzip")
    assert.strictEqual(Compression.negotiate("br", ["gzip"]), undefined)
  })

  it("reads no header longer than the bound, nor one with too many entries", () => {
    assert.strictEqual(Compression.negotiate(`${" ".repeat(Compression.MAX_ACCEPT_ENCODING_LENGTH)}gzip`, both), undefined)
    assert.strictEqual(Compression.negotiate(`${"a,".repeat(Compression.MAX_ACCEPT_ENCODING_ENTRIES)}gzip`, both), undefined)
  })

  it("fuzz: any header answers an offered coding or identity, never throws", () => {
    const alphabet = ["gzip", "br", "*", "identity", ";", ",", "q=", "0", "1", ".", " ", "\t", "=", "\u0000", "é", "q=0.5", "Q=1.000", "\"", "x-gzip"]
    let seed = 42
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(random() * 40)
      let header = ""
      for (let j = 0; j < length; j++) header += alphabet[Math.floor(random() * alphabet.length)]
      if (random() < 0.01) header = header.repeat(200)
      const chosen = Compression.negotiate(header, both)
      assert.isTrue(chosen === undefined || chosen === "br" || chosen === "gzip", `${JSON.stringify(header)} → ${chosen}`)
    }
  })
})

describe("Compression.compress", () => {
  const body = JSON.stringify({ content: Array.from({ length: 200 }, (_, i) => ({ type: "text", text: `line ${i} ✓` })) })

  it("gzip and brotli round-trip and shrink a JSON body", async () => {
    const gz = await Compression.compress(body, "gzip", settings)
    const br = await Compression.compress(Buffer.from(body), "br", settings)
    assert.strictEqual(Zlib.gunzipSync(gz).toString("utf8"), body)
    assert.strictEqual(Zlib.brotliDecompressSync(br).toString("utf8"), body)
    assert.isBelow(gz.byteLength, Buffer.byteLength(body) / 2)
    assert.isBelow(br.byteLength, Buffer.byteLength(body) / 2)
  })

  it("a streamed compressor decodes to what was written", async () => {
    for (const encoding of both) {
      const stream = Compression.compressor(encoding, settings)
      const out: Array<Buffer> = []
      stream.on("data", (c: Buffer) => out.push(c))
      const ended = new Promise((resolve) => stream.on("end", resolve))
      stream.write(body.slice(0, 100))
      stream.end(body.slice(100))
      await ended
      const decoded = encoding === "gzip" ? Zlib.gunzipSync(Buffer.concat(out)) : Zlib.brotliDecompressSync(Buffer.concat(out))
      assert.strictEqual(decoded.toString("utf8"), body)
    }
  })
})
