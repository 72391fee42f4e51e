import { assert, describe, it } from "@effect/vitest"
import { Catalog } from "../src/internal/Catalog.ts"
import { ErrorCode, ProtocolError } from "../src/JsonRpc.ts"

const catalogOf = (count: number, pageSize: number) => {
  const catalog = new Catalog<number>("items", pageSize)
  for (let i = 1; i <= count; i++) catalog.set(`item${i}`, i, { name: `item${i}` })
  return catalog
}

/** Parses a page, failing the test when the catalog answered an error. */
const page = (catalog: Catalog<number>, cursor?: string): { items: Array<{ name: string }>; nextCursor?: string } => {
  const json = catalog.pageJson(cursor, "}")
  if (typeof json !== "string") assert.fail(`expected a page, got ${json.message}`)
  return JSON.parse(json)
}

describe("Catalog", () => {
  describe("pagination", () => {
    it("splits items into pages of pageSize and walks them with nextCursor", () => {
      const catalog = catalogOf(5, 2)
      const first = page(catalog)
      assert.deepStrictEqual(first.items.map((i) => i.name), ["item1", "item2"])
      assert.isString(first.nextCursor)
      const second = page(catalog, first.nextCursor)
      assert.deepStrictEqual(second.items.map((i) => i.name), ["item3", "item4"])
      const last = page(catalog, second.nextCursor)
      assert.deepStrictEqual(last.items.map((i) => i.name), ["item5"])
      assert.isFalse("nextCursor" in last)
    })

    it("omits nextCursor when everything fits on one page (including exactly pageSize items)", () => {
      assert.isFalse("nextCursor" in page(catalogOf(3, 3)))
      assert.isFalse("nextCursor" in page(catalogOf(0, 3)))
      assert.deepStrictEqual(page(catalogOf(0, 3)).items, [])
    })

    it("appends the tail verbatim after the page", () => {
      const catalog = catalogOf(1, 10)
      assert.strictEqual(catalog.pageJson(undefined, `,"extra":1}`), `{"items":[{"name":"item1"}],"extra":1}`)
    })

    it("answers an invalid cursor with -32602", () => {
      const catalog = catalogOf(3, 2)
      for (const cursor of ["not-a-cursor", Buffer.from("o:-1").toString("base64url"), Buffer.from("o:99").toString("base64url")]) {
        const answer = catalog.pageJson(cursor, "}")
        assert.instanceOf(answer, ProtocolError, `cursor ${cursor}`)
        assert.strictEqual((answer as ProtocolError).code, ErrorCode.InvalidParams)
        assert.include((answer as ProtocolError).message, "Invalid cursor")
      }
    })
  })

  describe("cursors a client made up", () => {
    const encode = (text: string, encoding: BufferEncoding = "base64url") => Buffer.from(text).toString(encoding)

    it("refuses every spelling of an offset but the one the catalog issues, and memoizes none of them", () => {
      const catalog = catalogOf(25, 10)
      const issued = page(catalog).nextCursor!
      assert.strictEqual(issued, encode("o:10"))
      const before = catalog.memoizedPages
      const variants = [
        ...["o:00", "o:0.0", "o:+0", "o:0e0", "o: 0", "o:0x0", "o:010", "o:10.0", "o:1e1", "o:10 "].map((t) => encode(t)),
        encode("o:10", "base64"),
        `${issued}=`,
        `${issued}==`,
        "x".repeat(10_000)
      ]
      for (const cursor of variants) {
        const answer = catalog.pageJson(cursor, "}")
        assert.instanceOf(answer, ProtocolError, `cursor ${cursor.slice(0, 20)}`)
        assert.strictEqual((answer as ProtocolError).code, ErrorCode.InvalidParams)
        assert.isBelow((answer as ProtocolError).message.length, 200)
      }
      assert.strictEqual(catalog.memoizedPages, before)
      assert.deepStrictEqual(page(catalog, issued).items.map((i) => i.name)[0], "item11")
    })

    it("memoizes at most one page per offset and tail, however many requests name it", () => {
      const catalog = catalogOf(25, 10)
      let cursor: string | undefined
      for (let i = 0; i < 3; i++) {
        for (let repeat = 0; repeat < 5; repeat++) catalog.pageBytes(cursor, "}")
        cursor = page(catalog, cursor).nextCursor
      }
      assert.strictEqual(catalog.memoizedPages, 3)
    })
  })

  describe("memoized pages", () => {
    it("serves the memoized page until a change, then recomputes it", () => {
      const catalog = catalogOf(3, 10)
      const before = catalog.pageJson(undefined, "}")
      assert.strictEqual(catalog.pageJson(undefined, "}"), before)
      catalog.set("item4", 4, { name: "item4" })
      const after = page(catalog)
      assert.deepStrictEqual(after.items.map((i) => i.name), ["item1", "item2", "item3", "item4"])
    })

    it("memoizes per tail, so two tails give two different pages", () => {
      const catalog = catalogOf(1, 10)
      assert.strictEqual(catalog.pageJson(undefined, "}"), `{"items":[{"name":"item1"}]}`)
      assert.strictEqual(catalog.pageJson(undefined, `,"x":true}`), `{"items":[{"name":"item1"}],"x":true}`)
    })

    it("drops a deleted item from the next page and replaces an item in place", () => {
      const catalog = catalogOf(3, 10)
      page(catalog)
      assert.isTrue(catalog.delete("item2"))
      assert.deepStrictEqual(page(catalog).items.map((i) => i.name), ["item1", "item3"])
      catalog.set("item1", 10, { name: "item1", replaced: true })
      assert.deepStrictEqual(page(catalog).items, [{ name: "item1", replaced: true } as { name: string }, { name: "item3" }])
      assert.strictEqual(catalog.get("item1"), 10)
      assert.strictEqual(catalog.size, 2)
    })
  })

  describe("onChange", () => {
    it("calls listeners on set and on deleting an existing item, not on deleting a missing one", () => {
      const catalog = catalogOf(1, 10)
      let calls = 0
      catalog.onChange(() => calls++)
      const version = catalog.version
      catalog.set("a", 1, {})
      assert.isTrue(catalog.delete("a"))
      assert.isFalse(catalog.delete("missing"))
      assert.strictEqual(calls, 2)
      assert.strictEqual(catalog.version, version + 2)
    })

    it("stops calling a listener once it is unsubscribed", () => {
      const catalog = catalogOf(0, 10)
      let calls = 0
      const stop = catalog.onChange(() => calls++)
      catalog.set("a", 1, {})
      stop()
      catalog.set("b", 2, {})
      assert.strictEqual(calls, 1)
    })
  })
})
