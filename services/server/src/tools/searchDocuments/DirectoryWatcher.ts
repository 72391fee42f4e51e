/**
 * Tells `search_documents`' index when its directory changed: a recursive `fs.watch` (changes
 * under hidden paths ignored) behind a debounce, so a burst of writes — an editor's save, a
 * `git checkout` — starts one sync once the directory has been quiet for a moment.
 */
import { Effect, Queue, type Scope } from "effect"
import { type FSWatcher, statSync, watch } from "node:fs"

/** A running watcher. */
export interface DirectoryWatcher {
  /** Reports a change as the OS watcher does: `onChange` now, `onQuiet` once `debounceMs` passed without another. */
  readonly changed: () => void
  /** The OS watcher is running (false when recursive watching is unavailable, the directory is missing, or the watcher failed). */
  readonly watching: () => boolean
  /**
   * Starts the OS watcher if it is not running and the directory exists (the index calls it after
   * each sync, so a directory created later, or a watcher that failed, is watched again).
   */
  readonly start: () => void
}

export interface DirectoryWatcherOptions {
  readonly dir: string
  readonly debounceMs: number
  /** Start the OS watcher (else only `changed` calls report changes). */
  readonly watch: boolean
  /** Runs at once on every change (marks the index stale). */
  readonly onChange: () => void
  /** Runs once a burst of changes is over (a background sync); its failures are its own to handle. */
  readonly onQuiet: Effect.Effect<void>
}

/** A path the OS watcher reported that cannot change the index: a hidden file, or one inside a hidden directory. */
const ignored = (filename: string | null) => filename !== null && filename.split(/[\\/]/).some((part) => part.startsWith("."))

/** Starts watching `options.dir` in the current scope (closed with it). */
export const make = (options: DirectoryWatcherOptions): Effect.Effect<DirectoryWatcher, never, Scope.Scope> =>
  Effect.gen(function*() {
    const signals = yield* Queue.sliding<void>(1)
    let current: FSWatcher | undefined
    const changed = () => {
      options.onChange()
      Queue.offerUnsafe(signals, undefined)
    }
    const stop = () => {
      current?.close()
      current = undefined
    }
    const start = () => {
      if (!options.watch || current !== undefined) return
      try {
        // fs.watch reports a missing directory only later, as an error event
        if (!statSync(options.dir).isDirectory()) return
        const watcher = watch(options.dir, { recursive: true, persistent: false }, (_, filename) => {
          if (!ignored(filename)) changed()
        })
        watcher.on("error", () => {
          if (current === watcher) stop()
          else watcher.close()
        })
        current = watcher
      } catch {
        // no directory, or no recursive watching here: the index's periodic re-check still sees changes
      }
    }
    yield* Effect.addFinalizer(() => Effect.sync(stop))
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      yield* Queue.take(signals)
      do yield* Effect.sleep(options.debounceMs)
      while ((yield* Queue.clear(signals)).length > 0)
      yield* options.onQuiet
    })))
    start()
    return { changed, start, watching: () => current !== undefined }
  })
