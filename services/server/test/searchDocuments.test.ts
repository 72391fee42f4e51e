/**
 * `search_documents`' index over the fixture corpus with the real use-lite embedder: each query
 * finds the right file and lines; hidden files are never answered; changed, added and removed
 * files are seen by the next query with only the changed file embedded again; the watcher's
 * debounce (TestClock) and the real watcher; limits, the path filter, progress, a missing
 * directory, binary and oversized files, bad arguments and a fuzz of queries.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Embedder, UseLiteEmbedder } from "@tenfold/semantic"
import { Deferred, Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { type DocumentIndexOptions, make } from "../src/tools/searchDocuments/DocumentIndex.ts"
import { MAX_QUERY_LENGTH, SearchDocumentsInput } from "../src/tools/searchDocuments/index.ts"
import { prefixOf } from "../src/tools/searchDocuments/SearchDocuments.ts"

const fixtures = fileURLToPath(new URL("./fixtures/docs", import.meta.url))
const temps: Array<string> = []
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A copy of the fixture corpus this test may change. */
const copyOfFixtures = () => {
  const dir = mkdtempSync(join(tmpdir(), "tenfold-docs-"))
  temps.push(dir)
  cpSync(fixtures, dir, { recursive: true })
  return dir
}

const options = (dir: string, overrides: Partial<DocumentIndexOptions> = {}): DocumentIndexOptions => ({
  dir,
  limits: { extensions: [".md", ".markdown", ".txt"], maxFiles: 100, maxFileBytes: 64 * 1024, maxEntries: 10_000 },
  maxChunks: 10_000,
  maxTotalBytes: 1024 * 1024,
  recheckMs: 0,
  watchedRecheckMs: 0,
  debounceMs: 300,
  watch: false,
  ...overrides
})

/** The shared embedder, counting the texts it is asked to embed (to see which files were embedded again). */
const counting = Effect.gen(function*() {
  const embedder = yield* Embedder
  const counter = { texts: 0, firstCall: Deferred.makeUnsafe<void>() }
  const service: Embedder["Service"] = {
    ...embedder,
    embed: (texts) =>
      Effect.sync(() => {
        counter.texts += texts.length
        Deferred.doneUnsafe(counter.firstCall, Effect.void)
      }).pipe(Effect.andThen(embedder.embed(texts)))
  }
  return { embedder: service, counter }
})

const QUERIES = [
  { query: "how do I repair a punctured bicycle inner tube", file: "bicycle.markdown", line: 5 },
  { query: "keeping the sourdough starter fed and active", file: "kitchen/sourdough.md", line: 9 },
  { query: "the three-way handshake a client uses to open a connection", file: "network/tcp.md", line: 7 },
  { query: "viewing the rings of Saturn through a telescope", file: "astronomy.txt", line: 6 },
  { query: "the bottom of my tomato fruit turns black", file: "garden/tomatoes.md", line: 9 }
] as const

layer(UseLiteEmbedder.layer(), { timeout: "120 seconds" })("DocumentIndex over the fixture corpus", (it) => {
  it.effect("answers each query with the right file and a line range around the answer", () =>
    Effect.gen(function*() {
      const index = yield* make(options(fixtures), yield* Embedder)
      for (const { file, line, query } of QUERIES) {
        const { passages, status } = yield* index.search(query, { limit: 3 })
        assert.deepStrictEqual({ files: status.files, skipped: status.skipped }, { files: 5, skipped: 0 })
        const best = passages[0]!
        assert.strictEqual(best.file, file, query)
        assert.isTrue(best.startLine <= line && line <= best.endLine, `${query}: lines ${best.startLine}-${best.endLine}`)
        assert.include(best.text.split("\n")[line - best.startLine]!, " ", "the passage's text is its lines")
        for (let i = 1; i < passages.length; i++) assert.isAtMost(passages[i]!.score, passages[i - 1]!.score)
      }
    }), 120_000)

  it.effect("never answers hidden files or other extensions; limit and path filter bound the answer", () =>
    Effect.gen(function*() {
      const index = yield* make(options(fixtures), yield* Embedder)
      const all = yield* index.search("the password of the hidden vault", { limit: 50 })
      assert.strictEqual(all.passages.length, all.status.chunks)
      assert.isTrue(all.passages.every((p) => !p.file.startsWith(".") && !p.text.includes("swordfish")))
      assert.strictEqual((yield* index.search("bread", { limit: 2 })).passages.length, 2)
      const kitchen = yield* index.search("how to water plants", { limit: 50, pathPrefix: "kitchen/" })
      assert.isAbove(kitchen.passages.length, 0)
      assert.isTrue(kitchen.passages.every((p) => p.file === "kitchen/sourdough.md"))
      assert.deepStrictEqual((yield* index.search("anything", { limit: 5, pathPrefix: "nowhere/" })).passages, [])
    }), 120_000)

  it.effect("sees a changed, an added and a removed file on the next query, embedding only those files", () =>
    Effect.gen(function*() {
      const dir = copyOfFixtures()
      const { counter, embedder } = yield* counting
      const index = yield* make(options(dir), embedder)
      const first = yield* index.refresh()
      const initial = counter.texts
      assert.strictEqual(initial, first.chunks)

      writeFileSync(join(dir, "astronomy.txt"), "Keeping an aquarium\n\nChange a fifth of the aquarium water every week and rinse the filter sponge in old tank water.\n")
      const changed = yield* index.search("how often to change the fish tank water", { limit: 1 })
      assert.strictEqual(changed.passages[0]!.file, "astronomy.txt")
      assert.include(changed.passages[0]!.text, "aquarium water")
      assert.deepStrictEqual([changed.passages[0]!.startLine, changed.passages[0]!.endLine], [1, 3])
      assert.strictEqual(counter.texts - initial, 1 + 1, "one passage of the changed file, and the query")
      assert.isFalse((yield* index.search("Saturn rings telescope", { limit: 10 })).passages.some((p) => p.text.includes("Saturn")))

      writeFileSync(join(dir, "garden", "roses.md"), "# Roses\n\nPrune roses in late winter, cutting just above an outward-facing bud.\n")
      const added = yield* index.search("when should I prune my rose bushes", { limit: 1 })
      assert.strictEqual(added.passages[0]!.file, "garden/roses.md")
      assert.strictEqual(added.status.files, 6)

      unlinkSync(join(dir, "network", "tcp.md"))
      const removed = yield* index.search("TCP three-way handshake SYN ACK", { limit: 50 })
      assert.isFalse(removed.passages.some((p) => p.file === "network/tcp.md"))
      assert.strictEqual(removed.status.files, 5)
      assert.strictEqual(removed.passages.length, removed.status.chunks)
    }), 120_000)

  it.effect("reports progress while it indexes: every file, in order, to the total", () =>
    Effect.gen(function*() {
      const index = yield* make(options(fixtures), yield* Embedder)
      const seen: Array<readonly [number, number]> = []
      yield* index.refresh((done, total) => Effect.sync(() => void seen.push([done, total])))
      assert.deepStrictEqual(seen, [[0, 5], [1, 5], [2, 5], [3, 5], [4, 5], [5, 5]])
      const again: Array<number> = []
      yield* index.refresh((done) => Effect.sync(() => void again.push(done)))
      assert.deepStrictEqual(again, [], "nothing changed: nothing embedded, no progress")
      const dying = yield* make(options(fixtures), yield* Embedder)
      const status = yield* dying.refresh(() => Effect.die(new Error("client gone")))
      assert.strictEqual(status.files, 5, "a progress listener that dies does not stop the sync")
    }), 120_000)

  it.effect("runs one sync for calls arriving together; each hears its progress", () =>
    Effect.gen(function*() {
      const { counter, embedder } = yield* counting
      const index = yield* make(options(fixtures, { recheckMs: 3_600_000 }), embedder)
      const seen = [[], [], []] as Array<Array<number>>
      const answers = yield* Effect.forEach([0, 1, 2], (i) =>
        index.search("sourdough starter", { limit: 1 }, (done) => Effect.sync(() => void seen[i]!.push(done))), { concurrency: "unbounded" })
      const { chunks } = yield* index.status
      assert.strictEqual(counter.texts, chunks + 3, "every passage embedded once, plus the three queries")
      for (const answer of answers) assert.strictEqual(answer.passages[0]!.file, "kitchen/sourdough.md")
      for (const progress of seen) assert.strictEqual(progress.at(-1), 5)
    }), 120_000)

  it.effect("answers a missing directory with an error naming it, and recovers when it appears", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "tenfold-docs-")), "later")
      temps.push(dir)
      const index = yield* make(options(dir), yield* Embedder)
      const error = yield* Effect.flip(index.search("anything", { limit: 5 }))
      assert.include(error.message, `the documents directory ${dir} cannot be read (ENOENT)`)
      cpSync(fixtures, dir, { recursive: true })
      assert.strictEqual((yield* index.search("sourdough", { limit: 1 })).passages[0]!.file, "kitchen/sourdough.md")
    }), 120_000)

  it.effect("skips binary files, files over the size bound and files past the passage budget, counting them", () =>
    Effect.gen(function*() {
      const dir = copyOfFixtures()
      writeFileSync(join(dir, "binary.md"), Buffer.from([0x23, 0x20, 0x41, 0x00, 0xff, 0x10]))
      writeFileSync(join(dir, "huge.md"), "word ".repeat(20_000))
      const index = yield* make(options(dir, { limits: { ...options(dir).limits, maxFileBytes: 50_000 } }), yield* Embedder)
      const status = yield* index.refresh()
      assert.deepStrictEqual({ files: status.files, skipped: status.skipped }, { files: 5, skipped: 2 })
      const small = yield* make(options(dir, { maxChunks: 4 }), yield* Embedder)
      const bounded = yield* small.refresh()
      assert.isAtMost(bounded.chunks, 4)
      assert.isAbove(bounded.skipped, 0)
    }), 120_000)

  it.effect("after a change is signalled, syncs in the background once the debounce has passed (TestClock)", () =>
    Effect.gen(function*() {
      const dir = copyOfFixtures()
      const { counter, embedder } = yield* counting
      const index = yield* make(options(dir, { recheckMs: 3_600_000 }), embedder)
      yield* index.refresh()
      counter.firstCall = Deferred.makeUnsafe<void>()
      writeFileSync(join(dir, "bicycle.markdown"), "# Brakes\n\nReplace the brake pads when the grooves are worn away.\n")
      yield* index.changed
      yield* index.changed
      yield* TestClock.adjust("300 millis")
      yield* Deferred.await(counter.firstCall) // the background sync embeds the changed file
      const { passages } = yield* index.search("worn brake pads", { limit: 1 })
      assert.strictEqual(passages[0]!.file, "bicycle.markdown")
      assert.include(passages[0]!.text, "brake pads")
    }), 120_000)

  it.effect("answers any query text without failing, within the limit, best first (fuzz)", () =>
    Effect.gen(function*() {
      const index = yield* make(options(fixtures), yield* Embedder)
      let seed = 11
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
      const alphabet = ["a", "Z", " ", "\n", "\u0000", "é", "😀", "#", "`", "\\", "\"", "\u202e", "1", ".", "\t"]
      for (let round = 0; round < 40; round++) {
        const length = round === 0 ? MAX_QUERY_LENGTH : Math.floor(random() * 300) + 1
        const query = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]!).join("")
        const limit = 1 + Math.floor(random() * 50)
        const { passages } = yield* index.search(query, { limit })
        assert.isAtMost(passages.length, limit)
        for (let i = 0; i < passages.length; i++) {
          assert.isTrue(passages[i]!.score >= -1.0001 && passages[i]!.score <= 1.0001)
          if (i > 0) assert.isAtMost(passages[i]!.score, passages[i - 1]!.score)
        }
      }
    }), 120_000)
})

describe("DocumentIndex with the directory watcher", () => {
  it.live("notices a file written into the watched directory without any call", () =>
    Effect.gen(function*() {
      const dir = copyOfFixtures()
      const { counter, embedder } = yield* counting
      const index = yield* make(options(dir, { recheckMs: 3_600_000, watchedRecheckMs: 3_600_000, debounceMs: 50, watch: true }), embedder)
      yield* index.refresh()
      assert.isTrue((yield* index.status).watching)
      counter.firstCall = Deferred.makeUnsafe<void>()
      writeFileSync(join(dir, "kitchen", "pasta.md"), "# Pasta\n\nCook the pasta in plenty of salted boiling water until al dente.\n")
      yield* Deferred.await(counter.firstCall)
      const { passages } = yield* index.search("boiling salted water for spaghetti", { limit: 1 })
      assert.strictEqual(passages[0]!.file, "kitchen/pasta.md")
    }).pipe(Effect.provide(UseLiteEmbedder.layer())), 120_000)

})

describe("search_documents arguments", () => {
  const decode = Schema.decodeUnknownResult(SearchDocumentsInput)
  const accepted = (input: unknown) => decode(input)._tag === "Success"

  it("accepts a query with an optional limit 1-50 and path; refuses the rest", () => {
    assert.isTrue(accepted({ query: "tomatoes" }))
    assert.isTrue(accepted({ query: "x", limit: 50, path: "garden/" }))
    for (const bad of [{}, { query: "" }, { query: " \n\t" }, { query: 5 }, { query: "x".repeat(MAX_QUERY_LENGTH + 1) }, { query: "x", limit: 0 }, { query: "x", limit: 51 }, { query: "x", limit: 2.5 }, { query: "x", path: "p".repeat(1025) }]) {
      assert.isFalse(accepted(bad), JSON.stringify(bad).slice(0, 80))
    }
  })

  it("normalises the path filter", () => {
    assert.strictEqual(prefixOf("./garden/"), "garden/")
    assert.strictEqual(prefixOf("/garden"), "garden")
    assert.strictEqual(prefixOf("a\\b"), "a/b")
    assert.isUndefined(prefixOf(""))
    assert.isUndefined(prefixOf(undefined))
  })
})
