/**
 * The semantic tier's entries on disk: `semantic.sqlite` beside L4's `cache.sqlite` (its own file,
 * so neither schema constrains the other), read back on the first semantic lookup after a restart.
 * Synchronous (node:sqlite); every method may throw, and the tier answers a failure as "no disk".
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { type Persisted, vectorBytes, vectorOf } from "./semanticEntry.ts"

export const DATABASE_FILE = "semantic.sqlite"

/** How long a statement waits for another instance's write lock (it blocks the event loop: short). */
const BUSY_TIMEOUT_MS = 100

export interface SemanticStore {
  /** The `limit` entries of `model` usable longest after `now`, those first; rows that do not decode are skipped. */
  readonly load: (model: string, dimensions: number, now: number, limit: number) => ReadonlyArray<Persisted>
  readonly upsert: (entry: Persisted) => void
  /** Sets the lifetime of an entry already there (its value was stored again). */
  readonly touch: (digest: string, freshUntil: number, staleUntil: number) => void
  readonly delete: (digest: string) => void
  /** Deletes the rows past their stale time; returns how many. */
  readonly sweep: (now: number) => number
  readonly close: () => void
}

/** SQLite's primary result codes for a file that is not a database or is damaged. */
const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26

const isDamage = (cause: unknown): boolean => {
  const code = typeof cause === "object" && cause !== null && "errcode" in cause ? cause.errcode : undefined
  return typeof code === "number" && [SQLITE_CORRUPT, SQLITE_NOTADB].includes(code & 0xff)
}

/**
 * Opens (creating it, mode 0600 in a 0700 directory) the database in `dir`. A damaged file is
 * renamed to `semantic.sqlite.corrupt-<now>` (with its -wal and -shm) and a fresh one opened: the
 * entries are a cache, rebuilt as calls come. Throws SQLite's error otherwise.
 */
export const open = (dir: string, now: number): SemanticStore => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, DATABASE_FILE)
  try {
    return openFile(file)
  } catch (cause) {
    if (!isDamage(cause)) throw cause
    for (const suffix of ["-wal", "-shm", ""]) {
      if (existsSync(file + suffix)) renameSync(file + suffix, `${file}.corrupt-${now}${suffix}`)
    }
    return openFile(file)
  }
}

const openFile = (file: string): SemanticStore => {
  closeSync(openSync(file, "a", 0o600))
  try {
    chmodSync(file, 0o600)
  } catch {
    // owned by another user: its owner chose the mode
  }
  const database = new DatabaseSync(file)
  try {
    database.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    database.exec("PRAGMA journal_mode = WAL")
    database.exec("PRAGMA synchronous = NORMAL")
    database.exec(`
      CREATE TABLE IF NOT EXISTS semantic_entries (
        digest TEXT PRIMARY KEY, partition TEXT NOT NULL, text TEXT NOT NULL, model TEXT NOT NULL,
        vector BLOB NOT NULL, fresh_until REAL NOT NULL, stale_until REAL NOT NULL
      );
      CREATE INDEX IF NOT EXISTS semantic_entries_stale_until ON semantic_entries (stale_until);
    `)
  } catch (cause) {
    database.close()
    throw cause
  }
  const select = database.prepare(
    "SELECT digest, partition, text, model, vector, fresh_until, stale_until FROM semantic_entries " +
      "WHERE model = ? AND stale_until > ? ORDER BY stale_until DESC LIMIT ?"
  )
  const upsert = database.prepare(
    "INSERT INTO semantic_entries (digest, partition, text, model, vector, fresh_until, stale_until) VALUES (?, ?, ?, ?, ?, ?, ?) " +
      "ON CONFLICT (digest) DO UPDATE SET partition = excluded.partition, text = excluded.text, model = excluded.model, vector = excluded.vector, " +
      "fresh_until = excluded.fresh_until, stale_until = excluded.stale_until"
  )
  const touch = database.prepare("UPDATE semantic_entries SET fresh_until = ?, stale_until = ? WHERE digest = ?")
  const remove = database.prepare("DELETE FROM semantic_entries WHERE digest = ?")
  const sweep = database.prepare("DELETE FROM semantic_entries WHERE stale_until <= ?")
  return {
    load: (model, dimensions, now, limit) =>
      select.all(model, now, limit).flatMap((row) => {
        const { digest, fresh_until, partition, stale_until, text, vector } = row
        if (typeof digest !== "string" || typeof partition !== "string" || typeof text !== "string") return []
        if (typeof fresh_until !== "number" || typeof stale_until !== "number" || !(vector instanceof Uint8Array)) return []
        const decoded = vectorOf(vector, dimensions)
        return decoded === undefined ? [] : [{ digest, partition, text, model, freshUntil: fresh_until, staleUntil: stale_until, vector: decoded }]
      }),
    upsert: (entry) =>
      void upsert.run(entry.digest, entry.partition, entry.text, entry.model, vectorBytes(entry.vector), entry.freshUntil, entry.staleUntil),
    touch: (digest, freshUntil, staleUntil) => void touch.run(freshUntil, staleUntil, digest),
    delete: (digest) => void remove.run(digest),
    sweep: (now) => Number(sweep.run(now).changes),
    close: () => database.close()
  }
}
