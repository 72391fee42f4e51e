/**
 * Tells `search_documents`' index when its directory changed: one `fs.watch` per directory the
 * index's walk listed (hidden names ignored), behind a debounce, so a burst of writes — an
 * editor's save, a `git checkout` — starts one sync once the directory has been quiet for a
 * moment. Not Node's `recursive` option: on Linux it walks the whole tree synchronously when it
 * starts (7.4 s for 11,600 directories here) and watches hidden ones too, where a watcher per
 * listed directory costs about 0.03 ms each and follows the walk's own bounds.
 */
import { Effect, Queue, type Scope } from "effect"
import { type FSWatcher, watch } from "node:fs"

/** Most directories watched; past it, changes deeper in the tree are seen by the index's periodic re-check. */
const MAX_WATCHED_DIRECTORIES = 2000

/** Watchers started before yielding to other fibers. */
const START_SLICE = 256

/** A running watcher. */
export interface DirectoryWatcher {
  /** Reports a change as an OS watcher does: `onChange` now, `onQuiet` once `debounceMs` passed without another. */
  readonly changed: () => void
  /**
   * Watches exactly `directories` (absolute; the first `MAX_WATCHED_DIRECTORIES` of them): starts
   * the missing watchers, closes those of directories no longer listed. The index calls it after
   * each walk, so new directories are watched and a watcher that failed is started again.
   */
  readonly watch: (directories: ReadonlyArray<string>) => Effect.Effect<void>
  /** How many directories are watched (0 when watching is off, or nothing was listed yet). */
  readonly watched: () => number
}

export interface DirectoryWatcherOptions {
  readonly debounceMs: number
  /** Start OS watchers (else only `changed` calls report changes). */
  readonly watch: boolean
  /** Runs at once on every change (marks the index stale). */
  readonly onChange: () => void
  /** Runs once a burst of changes is over (a background sync); its failures are its own to handle. */
  readonly onQuiet: Effect.Effect<void>
}

/** Starts the debounce in the current scope; the watchers are closed with it. */
export const make = (options: DirectoryWatcherOptions): Effect.Effect<DirectoryWatcher, never, Scope.Scope> =>
  Effect.gen(function*() {
    const signals = yield* Queue.sliding<void>(1)
    const watchers = new Map<string, FSWatcher>()
    const changed = () => {
      options.onChange()
      Queue.offerUnsafe(signals, undefined)
    }
    const close = (dir: string) => {
      watchers.get(dir)?.close()
      watchers.delete(dir)
    }
    const start = (dir: string) => {
      try {
        const watcher = watch(dir, { persistent: false }, (_, filename) => {
          if (filename === null || !filename.startsWith(".")) changed()
        })
        watcher.on("error", () => {
          if (watchers.get(dir) === watcher) close(dir)
          else watcher.close()
        })
        watchers.set(dir, watcher)
      } catch {
        // gone since the walk, or not watchable: the index's periodic re-check still sees its changes
      }
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => Array.from(watchers.keys()).forEach(close)))
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      yield* Queue.take(signals)
      do yield* Effect.sleep(options.debounceMs)
      while ((yield* Queue.clear(signals)).length > 0)
      yield* options.onQuiet
    })))
    return {
      changed,
      watched: () => watchers.size,
      watch: (directories) =>
        Effect.gen(function*() {
          if (!options.watch) return
          const wanted = new Set(directories.slice(0, MAX_WATCHED_DIRECTORIES))
          for (const dir of Array.from(watchers.keys())) if (!wanted.has(dir)) close(dir)
          let started = 0
          for (const dir of wanted) {
            if (watchers.has(dir)) continue
            start(dir)
            if (++started % START_SLICE === 0) yield* Effect.yieldNow
          }
        })
    }
  })
