/**
 * L4: entries on disk in a SQLite database (`node:sqlite`), shared by every instance that points
 * at the same directory. It survives restarts and `kill -9` (WAL; every write is one statement),
 * moves a damaged file aside instead of crashing, and never fails its caller: an error is logged,
 * counted in `tenfold_cache_errors_total` and answered as a miss.
 */
import { Clock, Context, Data, Duration, Effect, Layer, Metric, Schedule } from "effect"
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync, type StatementSync } from "node:sqlite"
import * as CacheMetrics from "./CacheMetrics.ts"
import type { CacheTier } from "./CacheTier.ts"
import { decode, encode, type Entry } from "./Entry.ts"

/** Where the persistent tier keeps its database and how often it drops expired rows. */
export interface PersistentTierOptions {
  /** Directory of the database file `cache.sqlite`; created (mode 0700) if missing, may be shared by instances. */
  readonly dir: string
  /** How often rows past their stale time are deleted; default 1 minute. */
  readonly sweepInterval?: Duration.Input
}

/** L4 of the tiered cache: entries that outlive the process, shared by instances on one disk. */
export class PersistentTier extends Context.Service<PersistentTier, CacheTier & {
  /** Deletes rows whose stale time has passed; returns how many. */
  readonly sweep: Effect.Effect<number>
}>()("@tenfold/cache/PersistentTier") {
  /** The tier on `${dir}/cache.sqlite`, swept every `sweepInterval`, closed with the layer's scope. */
  static layer = (options: PersistentTierOptions) => Layer.effect(PersistentTier, make(options))
}

const DATABASE_FILE = "cache.sqlite"
/** How long a statement waits for another instance's write lock before it gives up (a miss): node:sqlite is synchronous, so this blocks the event loop and must stay short. */
const BUSY_TIMEOUT_MS = 100
/** SQLite's primary result codes for a file that is not a database or is damaged. */
const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26
const errors = CacheMetrics.forTier(CacheMetrics.errors, "sqlite")

/** `PRAGMA quick_check` found damage that SQLite itself did not report on open. */
class QuickCheckFailed extends Data.TaggedError("QuickCheckFailed")<{ readonly message: string }> {}

/** The database file was damaged (`reason`) and now lives at `movedTo`, with its -wal and -shm. */
class MovedAside extends Data.TaggedError("MovedAside")<{ readonly reason: string; readonly movedTo: string }> {}

/** An open database and the statements every operation reuses. */
interface Store {
  readonly database: DatabaseSync
  readonly get: StatementSync
  readonly set: StatementSync
  readonly delete: StatementSync
  readonly sweep: StatementSync
}

/** The tier on `options.dir`; an always-miss tier when no database can be opened there. */
export const make = (options: PersistentTierOptions) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const store = yield* Effect.acquireRelease(
      openOrReplace(options.dir, clock),
      (opened) => Effect.sync(() => opened?.database.close())
    )
    if (store === undefined) return unavailable

    const failing = new Set<string>()
    /** Runs one statement; a failure is counted, logged once per run of failures, and answered with `orElse`. */
    const guarded = <A>(operation: string, orElse: A, run: () => A): Effect.Effect<A> =>
      Effect.suspend(() => {
        try {
          const result = run()
          failing.delete(operation)
          return Effect.succeed(result)
        } catch (cause) {
          const log = failing.has(operation) ? Effect.void : Effect.logWarning(
            `PersistentTier: ${operation} failed (${messageOf(cause)}); answering a miss, ` +
              "further failures are only counted until one succeeds"
          )
          failing.add(operation)
          return log.pipe(Effect.andThen(Metric.update(errors, 1)), Effect.as(orElse))
        }
      })

    const sweep = guarded("sweep", 0, () => Number(store.sweep.run(clock.currentTimeMillisUnsafe()).changes))
    yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(options.sweepInterval ?? "1 minute")))

    return PersistentTier.of({
      name: "sqlite",
      get: (key) =>
        guarded<Entry | undefined>("get", undefined, () => {
          const row = store.get.get(key.digest, clock.currentTimeMillisUnsafe())
          return row?.value instanceof Uint8Array ? decode(row.value) : undefined
        }),
      set: (key, entry) => guarded("set", undefined, () => void store.set.run(key.digest, encode(entry), entry.staleUntil)),
      delete: (key) => guarded("delete", undefined, () => void store.delete.run(key.digest)),
      sweep
    })
  })

/** Answers every lookup with a miss: the tier when its directory cannot hold a database. */
const unavailable = PersistentTier.of({
  name: "sqlite",
  get: () => Effect.undefined,
  set: () => Effect.void,
  delete: () => Effect.void,
  sweep: Effect.succeed(0)
})

/**
 * Opens the database in `dir`. A damaged file is moved aside and a fresh one opened in its place;
 * when that is impossible too, it logs why and answers undefined.
 */
const openOrReplace = (dir: string, clock: Clock.Clock) =>
  Effect.suspend(() => {
    const file = join(dir, DATABASE_FILE)
    const attempt = Effect.try({ try: () => open(dir, file, clock.currentTimeMillisUnsafe()), catch: (cause) => cause })
    return attempt.pipe(
      Effect.catchIf((cause) => cause instanceof MovedAside, (moved) =>
        Effect.logWarning(
          `PersistentTier: ${file} is damaged (${moved.reason}); moved it aside to ${moved.movedTo} and started empty`
        ).pipe(Effect.andThen(Metric.update(errors, 1)), Effect.andThen(attempt))),
      Effect.catch((cause) =>
        Effect.logWarning(
          `PersistentTier: cannot open ${file} (${messageOf(cause)}); the sqlite tier misses every lookup`
        ).pipe(Effect.andThen(Metric.update(errors, 1)), Effect.as(undefined))
      )
    )
  })

/**
 * Opens, checks and prepares the database in `file`. Throws SQLite's error, or MovedAside when
 * the file was damaged and has been renamed out of the way.
 */
const open = (dir: string, file: string, now: number): Store => {
  // only this user reads cached results: a directory we create is 0700, the database 0600 (SQLite gives its -wal and -shm the database's mode)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  closeSync(openSync(file, "a", 0o600))
  tighten(file)
  const database = new DatabaseSync(file)
  try {
    database.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    database.exec("PRAGMA journal_mode = WAL")
    database.exec("PRAGMA synchronous = NORMAL")
    const check = database.prepare("PRAGMA quick_check(1)").get()?.quick_check
    if (check !== "ok") throw new QuickCheckFailed({ message: `quick_check: ${String(check)}` })
    database.exec(`
      CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, stale_until REAL NOT NULL);
      CREATE INDEX IF NOT EXISTS entries_stale_until ON entries (stale_until);
    `)
    return {
      database,
      get: database.prepare("SELECT value FROM entries WHERE key = ? AND stale_until > ?"),
      set: database.prepare(
        "INSERT INTO entries (key, value, stale_until) VALUES (?, ?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value, stale_until = excluded.stale_until"
      ),
      delete: database.prepare("DELETE FROM entries WHERE key = ?"),
      sweep: database.prepare("DELETE FROM entries WHERE stale_until <= ?")
    }
  } catch (cause) {
    // Moved before closing: closing the last connection deletes the -wal file we want to keep.
    try {
      throw isDamage(cause) ? new MovedAside({ reason: messageOf(cause), movedTo: moveAside(file, now) }) : cause
    } finally {
      database.close()
    }
  }
}

/** Makes a database an earlier version created with the default mode 0600; one owned by another user stays as it is (it is still usable). */
const tighten = (file: string) => {
  try {
    chmodSync(file, 0o600)
  } catch {
    // not ours to change: the owner chose its mode
  }
}

/** True when `cause` says the file is not a database or is damaged (not merely locked or unwritable). */
const isDamage = (cause: unknown): boolean => {
  if (cause instanceof QuickCheckFailed) return true
  const code = typeof cause === "object" && cause !== null && "errcode" in cause ? cause.errcode : undefined
  // Extended result codes keep the primary code in their low byte.
  return typeof code === "number" && [SQLITE_CORRUPT, SQLITE_NOTADB].includes(code & 0xff)
}

/**
 * Renames `file` to `${file}.corrupt-<epoch ms>`, its -wal and -shm files alongside (first, so a
 * stray WAL is never replayed into the fresh database); returns the new name.
 */
const moveAside = (file: string, now: number): string => {
  const target = `${file}.corrupt-${now}`
  for (const suffix of ["-wal", "-shm", ""]) {
    if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix)
  }
  return target
}

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
