import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { TestClock } from "effect/testing"
import { spawn } from "node:child_process"
import { closeSync, mkdtempSync, statSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import * as CacheMetrics from "../src/CacheMetrics.ts"
import { decode, type Entry } from "../src/Entry.ts"
import { PersistentTier, type PersistentTierOptions } from "../src/PersistentTier.ts"
import { KEY_COUNT, writerKey, writerValue } from "./support/writerEntries.ts"
import { anyPolicy, keyOf } from "./support/serve.ts"

const WRITER = join(import.meta.dirname, "support", "sqlite-writer.ts")

/** A directory removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "tenfold-persistent-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** Runs `use` with a tier on `dir`, then closes it (as a process exit would). */
const withTier = <A, E>(
  dir: string,
  use: (tier: PersistentTier["Service"]) => Effect.Effect<A, E>,
  options: Omit<PersistentTierOptions, "dir"> = {}
) => PersistentTier.use(use).pipe(Effect.provide(PersistentTier.layer({ dir, ...options })))

const entry = (value: string, staleUntil = 60_000): Entry => ({ value, freshUntil: staleUntil / 2, staleUntil })

/** Stores "short" (stale after 30 s) and "long" (stale after 10 minutes). */
const short = entry("s", 30_000)
const long = entry("l", 600_000)
const setShortAndLong = (tier: PersistentTier["Service"]) =>
  Effect.andThen(tier.set(keyOf("short"), short, anyPolicy), tier.set(keyOf("long"), long, anyPolicy))

/** The rows of `${dir}/cache.sqlite`, read through a connection of its own. */
const rows = (dir: string) => {
  const database = new DatabaseSync(join(dir, "cache.sqlite"))
  try {
    return database.prepare("SELECT key, value FROM entries ORDER BY key").all()
      .map((row) => ({ key: String(row.key), entry: decode(row.value as Uint8Array) }))
  } finally {
    database.close()
  }
}

/** Names of the files moved aside in `dir`, and of the main database files among them. */
const movedAside = (dir: string) => {
  const all = readdirSync(dir).filter((name) => name.startsWith("cache.sqlite.corrupt-"))
  return { all, databases: all.filter((name) => /^cache\.sqlite\.corrupt-\d+$/.test(name)) }
}

const errorCount = Metric.value(CacheMetrics.forTier(CacheMetrics.errors, "sqlite")).pipe(Effect.map((state) => state.count))

/** Runs the writer on `dir` and SIGKILLs it once it reports `writes` writes; fails if it ends on its own. */
const killWriterAfter = (dir: string, writes: number) =>
  Effect.callback<void, Error>((resume) => {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: ["ignore", "pipe", "pipe"] })
    let pending = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n")
      pending = lines.pop() ?? ""
      if (Number(lines.at(-1)?.split(" ")[1] ?? 0) >= writes) child.kill("SIGKILL")
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk))
    child.on("exit", (code, signal) =>
      resume(signal === "SIGKILL" ? Effect.void : Effect.fail(new Error(`writer exited with ${code}: ${stderr}`)))
    )
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

describe("PersistentTier", () => {
  it.effect("keeps its directory (when it creates it) and database files private to the user: 0700 and 0600", () =>
    Effect.gen(function*() {
      const parent = yield* tempDir
      const dir = join(parent, "created", "by", "the tier")
      yield* withTier(dir, (tier) => tier.set(keyOf("k"), entry("v"), anyPolicy))
      yield* withTier(dir, (tier) => Effect.andThen(tier.set(keyOf("k2"), entry("v"), anyPolicy), Effect.sync(() => {
        for (const name of ["cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm"]) {
          assert.strictEqual(statSync(join(dir, name)).mode & 0o777, 0o600, name)
        }
      })))
      for (const created of [join(parent, "created"), join(parent, "created", "by"), dir]) assert.strictEqual(statSync(created).mode & 0o777, 0o700, created)
    }))

  it.effect("stores keys as digests: no argument or principal is written to the database", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const key = keyOf("tool\u0000@alice\u0000{\"secret\":\"hunter2\"}")
      yield* withTier(dir, (tier) => tier.set(key, entry("v"), anyPolicy))
      assert.deepStrictEqual(rows(dir).map((row) => row.key), [key.digest])
      const bytes = readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString("latin1")).join("")
      assert.notInclude(bytes, "hunter2")
      assert.notInclude(bytes, "alice")
    }))

  it.effect("round-trips any text, deletes, and serves entries after a restart", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const text = "héllo wörld ✓ 日本語 🚀 \u0000 after NUL"
      const key = "ключ\u0000🔑"
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          assert.strictEqual(tier.name, "sqlite")
          yield* tier.set(keyOf(key), entry(text), anyPolicy)
          yield* tier.set(keyOf("dropped"), entry("bye"), anyPolicy)
          assert.deepStrictEqual(yield* tier.get(keyOf(key), anyPolicy), entry(text))
          yield* tier.set(keyOf("dropped"), entry("overwritten"), anyPolicy)
          assert.deepStrictEqual(yield* tier.get(keyOf("dropped"), anyPolicy), entry("overwritten"))
          yield* tier.delete(keyOf("dropped"))
          assert.isUndefined(yield* tier.get(keyOf("dropped"), anyPolicy))
          assert.isUndefined(yield* tier.get(keyOf("never set"), anyPolicy))
        }))
      assert.deepStrictEqual(yield* withTier(dir, (tier) => tier.get(keyOf(key), anyPolicy)), entry(text))
      assert.isUndefined(yield* withTier(dir, (tier) => tier.get(keyOf("dropped"), anyPolicy)))
    }))

  it.effect("does not serve an entry once its stale time has passed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          yield* setShortAndLong(tier)
          yield* TestClock.adjust("29 seconds")
          assert.deepStrictEqual(yield* tier.get(keyOf("short"), anyPolicy), short)
          yield* TestClock.adjust("1 second")
          assert.isUndefined(yield* tier.get(keyOf("short"), anyPolicy))
          assert.deepStrictEqual(yield* tier.get(keyOf("long"), anyPolicy), long)
          assert.strictEqual(yield* tier.sweep, 1)
        }), { sweepInterval: "1 hour" })
    }))

  it.effect("sweeps expired rows every sweepInterval", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          yield* setShortAndLong(tier)
          yield* TestClock.adjust("59 seconds")
          assert.deepStrictEqual(rows(dir).map((row) => row.key).sort(), [keyOf("long").digest, keyOf("short").digest].sort())
          yield* TestClock.adjust("1 second")
          assert.deepStrictEqual(rows(dir).map((row) => row.key), [keyOf("long").digest])
        }), { sweepInterval: "1 minute" })
    }))

  it.effect("moves a file that is not a database aside and starts empty", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const garbage = "this is not a SQLite database\n".repeat(200)
      writeFileSync(join(dir, "cache.sqlite"), garbage)
      writeFileSync(join(dir, "cache.sqlite-wal"), "not a WAL either")
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          yield* tier.set(keyOf("k"), entry("v"), anyPolicy)
          assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry("v"))
        }))
      const { all, databases: [moved] } = movedAside(dir)
      assert.isDefined(moved)
      assert.strictEqual(readFileSync(join(dir, moved!), "utf8"), garbage)
      assert.include(all, `${moved}-wal`)
    }))

  it.effect("moves a database that fails its integrity check aside", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withTier(dir, (tier) =>
        Effect.forEach(Array.from({ length: 500 }, (_, i) => i), (i) => tier.set(keyOf(`key-${i}`), entry("x".repeat(300)), anyPolicy)))
      const file = openSync(join(dir, "cache.sqlite"), "r+")
      writeSync(file, Buffer.alloc(4096, 0xab), 0, 4096, 3 * 4096)
      closeSync(file)
      const errorsBefore = yield* errorCount
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          assert.isUndefined(yield* tier.get(keyOf("key-1"), anyPolicy))
          yield* tier.set(keyOf("k"), entry("v"), anyPolicy)
          assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry("v"))
        }))
      assert.lengthOf(movedAside(dir).databases, 1)
      assert.strictEqual(yield* errorCount, errorsBefore + 1)
    }))

  it.effect("keeps only whole entries when the writer is killed with SIGKILL mid-write", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* killWriterAfter(dir, 100)
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          // rows are keyed by digest: the writer's keys, by their digests
          const writerKeys = new Map(Array.from({ length: KEY_COUNT }, (_, n) => [keyOf(writerKey(n)).digest, writerKey(n)]))
          const survivors = rows(dir)
          assert.isAtLeast(survivors.length, 1)
          for (const row of survivors) {
            const key = writerKeys.get(row.key)!
            const entry = row.entry
            assert.strictEqual(entry?.value, writerValue(key), key)
            assert.strictEqual((yield* tier.get(keyOf(key), anyPolicy))?.value, writerValue(key), key)
          }
        }))
      assert.deepStrictEqual(movedAside(dir).all, [])
    }))

  it.effect("misses every lookup when its dir cannot hold a database", () =>
    Effect.gen(function*() {
      const notADirectory = join(yield* tempDir, "file")
      writeFileSync(notADirectory, "")
      yield* withTier(notADirectory, (tier) =>
        Effect.gen(function*() {
          yield* tier.set(keyOf("k"), entry("v"), anyPolicy)
          yield* tier.delete(keyOf("k"))
          assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
          assert.strictEqual(yield* tier.sweep, 0)
        }))
    }))

  it.effect("counts a failed write and does not fail its caller", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withTier(dir, (tier) =>
        Effect.gen(function*() {
          const other = new DatabaseSync(join(dir, "cache.sqlite"))
          other.exec("BEGIN IMMEDIATE")
          const errorsBefore = yield* errorCount
          yield* tier.set(keyOf("k"), entry("v"), anyPolicy)
          assert.strictEqual(yield* errorCount, errorsBefore + 1)
          assert.isUndefined(yield* tier.get(keyOf("k"), anyPolicy))
          other.exec("ROLLBACK")
          other.close()
          yield* tier.set(keyOf("k"), entry("v"), anyPolicy)
          assert.deepStrictEqual(yield* tier.get(keyOf("k"), anyPolicy), entry("v"))
        }))
    }))
})
