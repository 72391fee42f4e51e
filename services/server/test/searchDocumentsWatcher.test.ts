/**
 * `search_documents`' directory watcher: a burst of changes runs `onQuiet` once, after
 * `debounceMs` without another change (TestClock); every change runs `onChange` at once; a
 * directory that is missing is not watched until it exists.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import * as DirectoryWatcher from "../src/tools/searchDocuments/DirectoryWatcher.ts"

describe("DirectoryWatcher", () => {
  it.effect("runs onQuiet once per burst, debounceMs after its last change", () =>
    Effect.gen(function*() {
      const counts = { changes: 0, quiet: 0 }
      const watcher = yield* DirectoryWatcher.make({
        dir: "/nonexistent",
        debounceMs: 300,
        watch: false,
        onChange: () => void counts.changes++,
        onQuiet: Effect.sync(() => void counts.quiet++)
      })
      watcher.changed()
      yield* TestClock.adjust("200 millis")
      watcher.changed()
      watcher.changed()
      yield* TestClock.adjust("200 millis")
      assert.deepStrictEqual(counts, { changes: 3, quiet: 0 }, "the burst is not over: the wait started again")
      yield* TestClock.adjust("300 millis")
      assert.deepStrictEqual(counts, { changes: 3, quiet: 1 })
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(counts.quiet, 1, "nothing changed since")
      watcher.changed()
      yield* TestClock.adjust("300 millis")
      assert.strictEqual(counts.quiet, 2)
      assert.isFalse(watcher.watching())
    }))

  it.effect("does not watch a missing directory, and watches it once it exists and start is called", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "tenfold-watch-")), "later")
      const watcher = yield* DirectoryWatcher.make({ dir, debounceMs: 10, watch: true, onChange: () => {}, onQuiet: Effect.void })
      assert.isFalse(watcher.watching())
      mkdirSync(dir)
      watcher.start()
      assert.isTrue(watcher.watching())
      rmSync(dirname(dir), { recursive: true, force: true })
    }))
})
