/**
 * `search_documents`' passages and walk: Markdown sections with their heading path and exact line
 * ranges, long paragraphs and lines cut with overlap and never past the bound, code fences kept
 * whole; the walk's skips (hidden, other extensions, symbolic links out of the directory, too
 * large) and its bounds; binary files refused when read.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { chunk } from "../src/tools/searchDocuments/Chunker.ts"
import * as Corpus from "../src/tools/searchDocuments/Corpus.ts"

const fixtures = fileURLToPath(new URL("./fixtures/docs", import.meta.url))
const limits: Corpus.CorpusLimits = { extensions: [".md", ".markdown", ".txt"], maxFiles: 100, maxFileBytes: 1024 * 1024, maxEntries: 10_000 }

describe("Chunker.chunk", () => {
  it("cuts Markdown at headings; each passage knows its heading path and exact lines", () => {
    const text = [
      "# Bicycle maintenance", //          1
      "", //                               2
      "## Fixing a flat tyre", //          3
      "", //                               4
      "Remove the wheel.", //              5
      "Patch the tube.", //                6
      "", //                               7
      "## Chain care", //                  8
      "", //                               9
      "Clean and oil the chain." //       10
    ].join("\n")
    assert.deepStrictEqual(chunk(text, true), [
      { startLine: 3, endLine: 6, heading: "Bicycle maintenance > Fixing a flat tyre", text: "## Fixing a flat tyre\n\nRemove the wheel.\nPatch the tube." },
      { startLine: 8, endLine: 10, heading: "Bicycle maintenance > Chain care", text: "## Chain care\n\nClean and oil the chain." }
    ])
  })

  it("packs short paragraphs together up to the target size", () => {
    const text = ["One.", "", "Two.", "", "Three."].join("\n")
    assert.deepStrictEqual(chunk(text, false), [{ startLine: 1, endLine: 5, heading: "", text }])
    const split = chunk(["a".repeat(60), "", "b".repeat(60), "", "c".repeat(60)].join("\n"), false, { targetChars: 100, maxChars: 150 })
    assert.deepStrictEqual(split.map((c) => [c.startLine, c.endLine]), [[1, 1], [3, 3], [5, 5]])
  })

  it("treats # as text in plain text, and keeps a fenced code block with a # line whole", () => {
    assert.strictEqual(chunk("# not a heading\nbody", false)[0]!.heading, "")
    const md = ["# Code", "", "```", "# a comment, not a heading", "x = 1", "```", "after"].join("\n")
    const chunks = chunk(md, true)
    assert.strictEqual(chunks.length, 1)
    assert.strictEqual(chunks[0]!.heading, "Code")
    assert.deepStrictEqual([chunks[0]!.startLine, chunks[0]!.endLine], [1, 7])
  })

  it("cuts a long paragraph by lines, repeating the previous passage's last line", () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${String(i + 1).padStart(2, "0")} ${"x".repeat(40)}`)
    const chunks = chunk(lines.join("\n"), false, { targetChars: 200, maxChars: 250, overlapChars: 100 })
    assert.isAbove(chunks.length, 5)
    for (const c of chunks) {
      assert.isAtMost(c.text.length, 250)
      assert.strictEqual(c.text, lines.slice(c.startLine - 1, c.endLine).join("\n"))
    }
    for (let i = 1; i < chunks.length; i++) assert.strictEqual(chunks[i]!.startLine, chunks[i - 1]!.endLine) // one line of overlap
    assert.strictEqual(chunks.at(-1)!.endLine, 30)
  })

  it("cuts one very long line into overlapping windows on that line", () => {
    const line = Array.from({ length: 400 }, (_, i) => String(i % 10)).join("")
    const chunks = chunk(`intro\n\n${line}\n\noutro`, false, { targetChars: 100, maxChars: 100, overlapChars: 20 })
    const windows = chunks.filter((c) => c.startLine === 3)
    assert.deepStrictEqual(windows.map((c) => c.text.length), [100, 100, 100, 100, 80])
    assert.strictEqual(windows[1]!.text.slice(0, 20), windows[0]!.text.slice(80))
    assert.deepStrictEqual(chunks.map((c) => c.startLine), [1, 3, 3, 3, 3, 3, 5])
  })

  it("never answers a passage past maxChars or an empty one, whatever the text (fuzz)", () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pieces = ["# Title", "## Sub", "```", "~~~", "", "   ", "word ", "\r\n", "\n", "x".repeat(1500), "- item", "#", "####### seven"]
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: Math.floor(random() * 80) }, () => pieces[Math.floor(random() * pieces.length)]!).join(random() < 0.5 ? "\n" : "")
      const lineCount = text.split(/\r\n|\r|\n/).length
      for (const c of chunk(text, random() < 0.7, { maxChars: 300, targetChars: 200, overlapChars: 50 })) {
        assert.isAtMost(c.text.length, 300)
        assert.isTrue(c.text.trim() !== "")
        assert.isTrue(c.startLine >= 1 && c.startLine <= c.endLine && c.endLine <= lineCount)
      }
    }
  })
  it("reads a heading whose title holds a long run of spaces in linear time, and strips trailing #s and blanks", () => {
    // a lazy title followed by an optional trailing run backtracked quadratically: ~12 minutes for this 1 MiB line
    const line = `# a${" ".repeat(1024 * 1024)}b`
    const [first] = chunk(`${line}\n\ntext`, true)
    assert.strictEqual(first!.heading.length, line.length - 2)
    const separated = `#${" ".repeat(1024 * 1024)}\u2028x`
    assert.strictEqual(chunk(`${separated}\n\ntext`, true)[0]!.heading, "x")
    assert.deepStrictEqual(chunk("## C# \t##  \nbody", true)[0]!.heading, "C")
    assert.deepStrictEqual(chunk("# Title #\nbody", true)[0]!.heading, "Title")
    assert.deepStrictEqual(chunk("#  \t \nbody", true)[0]!.heading, "")
  }, 60_000)
})

describe("Corpus", () => {
  const dir = mkdtempSync(join(tmpdir(), "tenfold-corpus-"))
  const outside = mkdtempSync(join(tmpdir(), "tenfold-outside-"))
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  it.effect("lists the fixture's text files: hidden directories and other extensions left out", () =>
    Effect.gen(function*() {
      const listing = yield* Corpus.list(fixtures, limits)
      assert.deepStrictEqual(listing.files.map((f) => f.path).sort(), [
        "astronomy.txt",
        "bicycle.markdown",
        "garden/tomatoes.md",
        "kitchen/sourdough.md",
        "network/tcp.md"
      ])
      assert.isFalse(listing.truncated)
      assert.deepStrictEqual(listing.directories.map((d) => relative(realpathSync(fixtures), d)), ["", "garden", "kitchen", "network"])
    }))

  it.effect("follows symbolic links inside the directory only, counts files too large, stops at maxFiles", () =>
    Effect.gen(function*() {
      writeFileSync(join(outside, "secret.md"), "outside")
      mkdirSync(join(dir, "sub"))
      writeFileSync(join(dir, "sub", "a.md"), "a")
      writeFileSync(join(dir, "b.txt"), "b")
      writeFileSync(join(dir, "big.md"), "x".repeat(2000))
      symlinkSync(join(outside, "secret.md"), join(dir, "escape.md"))
      symlinkSync(outside, join(dir, "escape-dir"))
      symlinkSync(join(dir, "sub"), join(dir, "loop")) // the same directory twice: read once
      symlinkSync(join(dir, "sub", "a.md"), join(dir, "alias.md"))
      const listing = yield* Corpus.list(dir, { ...limits, maxFileBytes: 1000 })
      assert.deepStrictEqual(listing.files.map((f) => f.path).sort(), ["alias.md", "b.txt", "sub/a.md"])
      assert.strictEqual(listing.tooLarge, 1)
      const capped = yield* Corpus.list(dir, { ...limits, maxFileBytes: 1000, maxFiles: 2 })
      assert.strictEqual(capped.files.length, 2)
      assert.isTrue(capped.truncated)
      const fewEntries = yield* Corpus.list(dir, { ...limits, maxEntries: 3 })
      assert.isTrue(fewEntries.truncated)
    }))

  it.effect("fails naming the directory when it is missing or not a directory", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Corpus.list(join(dir, "nope"), limits))
      assert.include(missing.message, "nope cannot be read (ENOENT)")
      const file = yield* Effect.flip(Corpus.list(join(dir, "b.txt"), limits))
      assert.include(file.message, "(ENOTDIR)")
    }))

  it.effect("reads text (BOM dropped), refuses binary files and files grown past the bound", () =>
    Effect.gen(function*() {
      writeFileSync(join(dir, "bom.md"), "\uFEFFhello")
      writeFileSync(join(dir, "binary.md"), Buffer.from([0x68, 0x69, 0x00, 0x01]))
      assert.strictEqual(yield* Corpus.read(join(dir, "bom.md"), 100, realpathSync(dir)), "hello")
      assert.isUndefined(yield* Corpus.read(join(dir, "binary.md"), 100, realpathSync(dir)))
      assert.isUndefined(yield* Corpus.read(join(dir, "big.md"), 1000, realpathSync(dir)))
      assert.isUndefined(yield* Corpus.read(join(dir, "gone.md"), 1000, realpathSync(dir)))
    }))

  it.effect("does not read outside the directory a file or a directory on its path swapped for a symbolic link after the walk", () =>
    Effect.gen(function*() {
      const root = join(dir, "swapped")
      mkdirSync(join(root, "docs"), { recursive: true })
      writeFileSync(join(root, "docs", "guide.md"), "inside")
      writeFileSync(join(root, "notes.md"), "inside too")
      mkdirSync(join(outside, "docs"))
      writeFileSync(join(outside, "docs", "guide.md"), "outside secret")
      writeFileSync(join(outside, "notes.md"), "outside secret")
      const listing = yield* Corpus.list(root, limits)
      const absolute = (path: string) => listing.files.find((f) => f.path === path)!.absolute
      assert.strictEqual(yield* Corpus.read(absolute("notes.md"), 1000, listing.root), "inside too")
      // what an attacker with write access to the directory does between the walk and the read
      rmSync(join(root, "docs"), { recursive: true })
      symlinkSync(join(outside, "docs"), join(root, "docs"))
      rmSync(join(root, "notes.md"))
      symlinkSync(join(outside, "notes.md"), join(root, "notes.md"))
      assert.isUndefined(yield* Corpus.read(absolute("docs/guide.md"), 1000, listing.root))
      assert.isUndefined(yield* Corpus.read(absolute("notes.md"), 1000, listing.root))
    }))
})
