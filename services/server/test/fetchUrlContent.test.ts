import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decode, kindOf, parseContentType, prettyJson, sniff } from "../src/tools/fetchUrl/Content.ts"
import { baseOf, isChrome, mainContent, pieces, titleOf, toMarkdown, withoutNoise } from "../src/tools/fetchUrl/Html.ts"

const bytes = (...values: ReadonlyArray<number>) => new Uint8Array(values)
const utf8 = (text: string) => new TextEncoder().encode(text)

describe("fetch_url content types", () => {
  it("parses Content-Type and its charset", () => {
    assert.deepStrictEqual(parseContentType("Text/HTML; Charset=\"ISO-8859-1\""), { type: "text/html", charset: "iso-8859-1" })
    assert.deepStrictEqual(parseContentType("application/json"), { type: "application/json", charset: undefined })
    assert.deepStrictEqual(parseContentType(undefined), { type: undefined, charset: undefined })
    assert.deepStrictEqual(parseContentType(";charset=utf-8"), { type: undefined, charset: "utf-8" })
  })

  it("maps media types to kinds", () => {
    assert.strictEqual(kindOf("text/html"), "html")
    assert.strictEqual(kindOf("application/xhtml+xml"), "html")
    assert.strictEqual(kindOf("application/problem+json"), "json")
    assert.strictEqual(kindOf("text/plain"), "text")
    assert.strictEqual(kindOf("image/svg+xml"), "text")
    assert.strictEqual(kindOf("application/javascript"), "text")
    assert.strictEqual(kindOf("image/png"), "binary")
    assert.strictEqual(kindOf("application/octet-stream"), "binary")
    assert.strictEqual(kindOf(undefined), undefined)
  })

  it("sniffs undeclared bodies", () => {
    assert.strictEqual(sniff(utf8("  <!DOCTYPE html><html>")), "html")
    assert.strictEqual(sniff(utf8("\uFEFF<html lang=en>")), "html")
    assert.strictEqual(sniff(utf8("plain words\nand lines\t")), "text")
    assert.strictEqual(sniff(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0)), "binary")
  })
})

describe("fetch_url charsets", () => {
  it("decodes by the declared charset", () => {
    assert.deepStrictEqual(decode(bytes(0x63, 0x61, 0x66, 0xe9), "iso-8859-1", "text"), { text: "café", charset: "windows-1252" })
    assert.strictEqual(decode(bytes(0x82, 0xa0), "shift_jis", "text").text, "あ")
  })

  it("a byte-order mark wins over the header", () => {
    assert.deepStrictEqual(decode(bytes(0xff, 0xfe, 0x41, 0x00, 0xe9, 0x00), "iso-8859-1", "text"), { text: "Aé", charset: "utf-16le" })
    assert.strictEqual(decode(bytes(0xef, 0xbb, 0xbf, 0xc3, 0xa9), "windows-1252", "text").text, "é")
  })

  it("an HTML page's <meta charset> is read when the header names none", () => {
    const page = new Uint8Array([...utf8("<html><head><meta charset=\"windows-1251\"></head><body>"), 0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2])
    assert.include(decode(page, undefined, "html").text, "Привет")
    const equiv = new Uint8Array([...utf8("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"), 0xe9])
    assert.include(decode(equiv, undefined, "html").text, "é")
  })

  it("an unknown charset falls back to UTF-8; invalid bytes become U+FFFD", () => {
    assert.deepStrictEqual(decode(utf8("né"), "x-made-up", "text"), { text: "né", charset: "utf-8" })
    assert.strictEqual(decode(bytes(0x61, 0xff, 0x62), undefined, "text").text, "a\uFFFDb")
  })
})

describe("fetch_url JSON", () => {
  it("pretty-prints valid JSON", () => {
    const json = prettyJson("{\"a\":[1,2,{\"b\":\"x,y:{}\"}],\"e\":{},\"f\":[ ],\"s\":\"q\\\"}\"}", 10_000)
    assert.isTrue(json.pretty)
    assert.isFalse(json.partial)
    assert.strictEqual(json.text, JSON.stringify({ a: [1, 2, { b: "x,y:{}" }], e: {}, f: [], s: "q\"}" }, null, 2))
  })

  it("shows invalid JSON as sent, with a note", () => {
    assert.deepStrictEqual(prettyJson("{oops", 100), { text: "{oops", pretty: false, partial: false, note: "not valid JSON; shown as sent" })
  })

  it("deeply nested JSON is shown as sent (indentation would multiply it; no recursion)", () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000)
    const result = prettyJson(deep, 10_000_000)
    assert.isFalse(result.pretty)
    assert.strictEqual(result.text.length, deep.length)
    assert.include(result.note, "nested too deeply")
    const nested = "[".repeat(40) + Array.from({ length: 50_000 }, () => "0").join(",") + "]".repeat(40)
    assert.isFalse(prettyJson(nested, 10_000_000).pretty)
  })

  it("never throws and stays bounded on garbage declared as JSON (fuzz)", () => {
    let seed = 5
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const alphabet = "{}[]\",:\\ \n0123456789abctrue"
    const deep = "[".repeat(1024 * 1024) // past the size that is validated
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: next() % 200 }, () => alphabet[next() % alphabet.length]).join("")
      for (const json of i % 100 === 0 ? [prettyJson(text, 50), prettyJson(`${deep}${text}`, 50)] : [prettyJson(text, 50)]) {
        assert.isString(json.text)
        assert.isTrue(json.text.length <= Math.max(text.length + 1024 * 1024, 50 + 4096))
      }
    }
  })

  it("large JSON is pretty-printed only as far as asked, without parsing it", () => {
    const big = JSON.stringify(Array.from({ length: 300_000 }, (_, i) => ({ id: i, name: `n${i}` })))
    assert.isAbove(big.length, 1024 * 1024)
    const first = prettyJson(big, 1000)
    assert.isTrue(first.pretty)
    assert.isTrue(first.partial)
    assert.isBelow(first.text.length, 1100)
    assert.isTrue(JSON.stringify(JSON.parse(big), null, 2).startsWith(first.text))
    const broken = prettyJson(`${big.slice(0, -1)},,`, 200)
    assert.isTrue(broken.pretty, "past 1 MiB JSON is not validated, only re-indented")
  })

  it("matches JSON.stringify on arbitrary values (fuzz)", () => {
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const value = (depth: number): unknown => {
      const pick = next() % (depth > 4 ? 4 : 7)
      if (pick === 0) return next() % 1000 - 500
      if (pick === 1) return ["", "a", "\"q\"", "x\\y", "{[,:]}", "é\n\t"][next() % 6]
      if (pick === 2) return [true, false, null][next() % 3]
      if (pick === 3) return next() / 7
      if (pick === 4) return Array.from({ length: next() % 4 }, () => value(depth + 1))
      return Object.fromEntries(Array.from({ length: next() % 4 }, (_, i) => [`k${i}${"\"{"[next() % 2]}`, value(depth + 1)]))
    }
    for (let i = 0; i < 500; i++) {
      const v = value(0)
      const compact = JSON.stringify(v)
      assert.strictEqual(prettyJson(compact, 1_000_000).text, JSON.stringify(v, null, 2))
    }
  })
})

describe("fetch_url HTML", () => {
  const page = `<!doctype html><html><head><title>The  Title &amp; more</title><style>p{color:red}</style>
    <script>alert("x")</script></head><body><nav><a href="/home">Home</a></nav>
    <main><h1>Heading</h1><p>Some <b>bold</b> text with <a href="/rel/link?q=1">a link</a> and <a href="#top">an anchor</a>.</p>
    <ul><li>one</li><li>two</li></ul><pre>code  block</pre><!-- a comment --><noscript>enable js</noscript>
    <form><input name=q><button>Go</button></form></main><footer>© someone</footer></body></html>`

  it.effect("converts a page to Markdown without its noise, title first, links absolute", () =>
    Effect.gen(function*() {
      const converted = yield* toMarkdown(page, new URL("https://example.com/dir/page"), 100_000)
      assert.strictEqual(converted.title, "The Title & more")
      assert.isFalse(converted.partial)
      const md = converted.markdown
      assert.include(md, "# Heading")
      assert.include(md, "**bold**")
      assert.include(md, "[a link](https://example.com/rel/link?q=1)")
      assert.include(md, "[an anchor](#top)")
      assert.match(md, /\* one\n\* two/)
      assert.include(md, "code  block")
      for (const noise of ["alert", "color:red", "Home", "a comment", "enable js", "someone", "Go", "The  Title"]) {
        assert.notInclude(md, noise)
      }
    }))

  it("resolves links against the page's <base href> when it has one (http(s) only)", () => {
    const url = new URL("https://example.com/a/b")
    assert.strictEqual(baseOf("<head><base href=\"/docs/\"></head>", url).href, "https://example.com/docs/")
    assert.strictEqual(baseOf("<BASE target=_blank href='https://cdn.example/x/'>", url).href, "https://cdn.example/x/")
    assert.strictEqual(baseOf("<base href=javascript:alert(1)>", url), url)
    assert.strictEqual(baseOf("<base href=\"http://[bad\">", url), url)
    assert.strictEqual(baseOf("<p>no base</p>", url), url)
  })

  it("recognises chrome by role, hidden and class or id words, not content that merely mentions them", () => {
    for (const tag of ["<div class=\"site-menu\">", "<div id='cookie-banner'>", "<div class=\"a sidebar\">", "<section role=\"navigation\">", "<div hidden>", "<span aria-hidden=\"true\">", "<ul class=main_nav>", "<div class=\"share-buttons\">"]) {
      assert.isTrue(isChrome(tag), tag)
    }
    for (const tag of ["<div class=\"main-content\">", "<div class=\"share-buttons-enabled\">", "<div class=\"menu-item-content\">", "<div class=\"header\">", "<div data-hidden=\"x\">", "<p class=\"hiddenness\">", "<div class=\"navigation-guide-article\">"]) {
      assert.isFalse(isChrome(tag), tag)
    }
  })

  it("drops chrome with what it nests; keeps chrome that never ends", () => {
    assert.strictEqual(withoutNoise("<div class=\"sidebar\"><div>a</div><div>b</div></div>after"), "after")
    assert.strictEqual(withoutNoise("<p>x</p><div class=\"menu\">never closed"), "<p>x</p><div class=\"menu\">never closed")
    assert.strictEqual(withoutNoise("<img class=\"ad\" src=x>text"), "<img class=\"ad\" src=x>text")
  })

  it("keeps the page's main content when it marks one", () => {
    const article = `<p>${"words ".repeat(100)}</p>`
    assert.strictEqual(mainContent(`<div>header</div><main id=m>${article}</main><div>footer</div>`), `<main id=m>${article}</main>`)
    assert.strictEqual(mainContent(`<div>x</div><article>${article}</article>`), `<article>${article}</article>`)
    const list = `<article>${article}</article><article>${article}</article>`
    assert.strictEqual(mainContent(list), list)
    const shell = "<div>real content</div><main></main>"
    assert.strictEqual(mainContent(shell), shell)
  })

  it("removes noise elements linearly, also when they are never closed", () => {
    assert.strictEqual(withoutNoise("a<script>x</script>b<STYLE>y</style >c"), "abc")
    assert.strictEqual(withoutNoise("a<script>never closed"), "a")
    assert.strictEqual(withoutNoise("a<!-- never closed"), "a")
    assert.strictEqual(withoutNoise("x < y <scripts> z"), "x < y <scripts> z")
    assert.strictEqual(withoutNoise("İ<script>s</script>İ"), "İİ")
  })

  it("cuts large pages at block boundaries, never inside a list", () => {
    const list = `<ul>${"<li>item</li>".repeat(3000)}</ul>`
    const html = "<p>x</p>".repeat(4000) + list + "<p>after</p>"
    const cut = pieces(html)
    assert.isAbove(cut.length, 2)
    assert.strictEqual(cut.join(""), html)
    const withList = cut.filter((piece) => piece.includes("<li>"))
    assert.strictEqual(withList.length, 1)
    assert.include(withList[0], list)
    for (const piece of cut) assert.isBelow(piece.length, 100 * 1024)
  })

  it.effect("stops converting once enough Markdown exists", () =>
    Effect.gen(function*() {
      const html = `<title>Big</title>${"<p>Some paragraph text here.</p>".repeat(50_000)}`
      const converted = yield* toMarkdown(html, new URL("http://x/"), 1000)
      assert.isTrue(converted.partial)
      assert.isAtLeast(converted.markdown.length, 1000)
      assert.isBelow(converted.markdown.length, 40_000)
    }))

  it.effect("survives hostile markup: deep nesting, unclosed tags, stray brackets (fuzz)", () =>
    Effect.gen(function*() {
      const hostile = [
        "<div>".repeat(50_000) + "deep" + "</div>".repeat(50_000),
        "<a".repeat(100_000),
        "<".repeat(100_000) + ">".repeat(100_000),
        "<title>" + "t".repeat(10_000),
        "<ul><li>".repeat(20_000),
        "<table><tr><td>".repeat(10_000),
        "<div class=\"menu\">".repeat(100_000),
        "<main>".repeat(50_000) + "<article>".repeat(50_000)
      ]
      let seed = 3
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
      const parts = ["<p>", "</p>", "<div>", "<ul>", "<li>", "</ul>", "<script>", "</script>", "<!--", "-->", "<a href='x'>", "</a>", "text ", "&amp;", "<", ">", "<title>", "<pre>"]
      for (let i = 0; i < 200; i++) hostile.push(Array.from({ length: 1 + next() % 300 }, () => parts[next() % parts.length]).join(""))
      for (const html of hostile) {
        const converted = yield* toMarkdown(html, new URL("http://x/"), 100_000)
        assert.isString(converted.markdown)
      }
      assert.isUndefined(titleOf("<title></title>"))
    }))
})
