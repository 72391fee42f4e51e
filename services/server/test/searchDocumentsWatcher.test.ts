/**
 * `search_documents`' directory watcher: a burst of changes runs `onQuiet` once, after
 * `debounceMs` without another change (TestClock); every change runs `onChange` at once; it
 * watches exactly the directories it is given that exist, a file written into one of them is
 * reported, and a directory no longer listed is no longer watched.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { TestClock } from "effect/testing"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import * as DirectoryWatcher from "../src/tools/searchDocuments/DirectoryWatcher.ts"

const root = mkdtempSync(join(tmpdir(), "tenfold-watch-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("DirectoryWatcher", () => {
  it.effect("runs onQuiet once per burst, debounceMs after its last change", () =>
    Effect.gen(function*() {
      const counts = { changes: 0, quiet: 0 }
      const watcher = yield* DirectoryWatcher.make({
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
      yield* watcher.watch([root])
      assert.strictEqual(watcher.watched(), 0, "watching is off")
    }))

  it.live("reports a file written into a watched directory, and follows the listed set", () =>
    Effect.gen(function*() {
      const a = join(root, "a")
      const b = join(root, "b")
      mkdirSync(a)
      mkdirSync(b)
      let seen = Deferred.makeUnsafe<void>()
      let changes = 0
      const watcher = yield* DirectoryWatcher.make({
        debounceMs: 10,
        watch: true,
        onChange: () => {
          changes++
          Deferred.doneUnsafe(seen, Effect.void)
        },
        onQuiet: Effect.void
      })
      yield* watcher.watch([root, a, b, join(root, "missing")])
      assert.strictEqual(watcher.watched(), 3, "a missing directory is not watched")
      writeFileSync(join(a, "note.md"), "x")
      yield* Deferred.await(seen)
      assert.isAbove(changes, 0)
      yield* watcher.watch([root, a])
      assert.strictEqual(watcher.watched(), 2)
      seen = Deferred.makeUnsafe<void>()
      changes = 0
      writeFileSync(join(b, "unwatched.md"), "x")
      writeFileSync(join(a, "second.md"), "x")
      yield* Deferred.await(seen)
      assert.isAbove(changes, 0)
    }))
})
