/**
 * The passages of a documents directory, embedded and held in an HNSW `VectorIndex`, kept in step
 * with the directory: a sync lists the files, embeds only those added or changed (by size and
 * modification time) and drops those removed. A sync runs on the first search; when a search finds
 * the last check older than `recheckMs` (`watchedRecheckMs` while every directory is watched); and
 * in the background once the `DirectoryWatcher` has reported no change for `debounceMs`. One sync
 * runs at a time; every search waits for the one in flight and hears its progress.
 */
import { type Embedder, makeVectorIndex, MAX_K } from "@tenfold/semantic"
import { Clock, Data, Deferred, Effect, Exit, type Scope } from "effect"
import { extname } from "node:path"
import { type Chunk, chunk } from "./Chunker.ts"
import * as Corpus from "./Corpus.ts"
import * as DirectoryWatcher from "./DirectoryWatcher.ts"

/** How the index reads, bounds and refreshes the directory. */
export interface DocumentIndexOptions {
  readonly dir: string
  readonly limits: Corpus.CorpusLimits
  /** Most passages held; files past it are left out (and counted). */
  readonly maxChunks: number
  /** Most bytes of text indexed; files past it are left out (and counted). */
  readonly maxTotalBytes: number
  /** A search re-checks the directory (sizes and modification times) when the last check is older than this. */
  readonly recheckMs: number
  /** The same when every directory the walk read is watched (the watchers see changes at once; this catches lost events). */
  readonly watchedRecheckMs: number
  /** After a change the watcher reports, a background sync starts once this long has passed without another. */
  readonly debounceMs: number
  /** Watch the directory for changes (default true); without it, only `recheckMs` notices them. */
  readonly watch?: boolean
}

/** Where a sync stands: `done` of `total` files to embed. */
export type Progress = (done: number, total: number, message: string) => Effect.Effect<void>

/** One search result. */
export interface Passage {
  /** Path of the file relative to the documents directory, with `/`. */
  readonly file: string
  readonly startLine: number
  readonly endLine: number
  /** The headings the passage sits under, outermost first ("" when none). */
  readonly heading: string
  /** Cosine similarity of the passage to the query (1 = same meaning as the embedder sees it). */
  readonly score: number
  readonly text: string
}

/** What the index holds and what it left out. */
export interface IndexStatus {
  readonly files: number
  readonly chunks: number
  /** Files skipped: larger than the file size bound, binary or unreadable, or past the passage or byte budget. */
  readonly skipped: number
  /** The walk stopped at its file or entry bound. */
  readonly truncated: boolean
  /** Directories are watched for changes (else only the periodic re-check sees them). */
  readonly watching: boolean
}

/** The search options a caller chooses. */
export interface SearchOptions {
  readonly limit: number
  /** Only passages of files whose relative path starts with this. */
  readonly pathPrefix?: string
}

/** Why the index could not answer: the directory could not be read, or embedding failed. */
export class DocumentsError extends Data.TaggedError("DocumentsError")<{ readonly message: string }> {}

/** Passages embedded together: the files read are embedded once this many passages wait (and in requests of at most this many). */
const EMBED_BATCH = 64

const MARKDOWN = new Set([".md", ".markdown", ".mdx"])

interface FileEntry {
  readonly size: number
  readonly mtimeMs: number
  readonly bytes: number
  readonly ids: ReadonlyArray<string>
  /** Left out (binary, unreadable or over budget) until it changes. */
  readonly skipped: boolean
}

interface Stored {
  readonly file: string
  readonly startLine: number
  readonly endLine: number
  readonly heading: string
  readonly text: string
}

export interface DocumentIndex {
  /** Brings the index in step with the directory now (joining a sync in flight), reporting progress. */
  readonly refresh: (progress?: Progress) => Effect.Effect<IndexStatus, DocumentsError>
  /** The passages most similar to `query`, best first, after a refresh when one is due. */
  readonly search: (
    query: string,
    options: SearchOptions,
    progress?: Progress
  ) => Effect.Effect<{ readonly passages: ReadonlyArray<Passage>; readonly status: IndexStatus }, DocumentsError>
  /** Tells the index the directory changed (what the watcher calls): a background sync follows after `debounceMs` of quiet. */
  readonly changed: Effect.Effect<void>
  readonly status: Effect.Effect<IndexStatus>
}

/**
 * An index of `options.dir` embedded with `embedder`; nothing is read until the first refresh or
 * search. The watcher and background syncs live in the current scope.
 */
export const make = (options: DocumentIndexOptions, embedder: Embedder["Service"]): Effect.Effect<DocumentIndex, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const vectors = yield* makeVectorIndex({ dimensions: embedder.dimensions, maxEntries: options.maxChunks }).pipe(Effect.orDie)
    const files = new Map<string, FileEntry>()
    const stored = new Map<string, Stored>()
    let nextId = 0
    let totalBytes = 0
    let truncated = false
    let tooLarge = 0
    /** The watcher saw a change no sync has picked up yet. */
    let dirty = false
    let lastCheck: number | undefined
    /** The last walk's directories are all watched, and the walk was complete. */
    let fullyWatched = false
    let running: Deferred.Deferred<IndexStatus, DocumentsError> | undefined
    const listeners = new Set<Progress>()
    let lastReport: readonly [number, number, string] | undefined

    const status = (): IndexStatus => {
      let skipped = 0
      for (const entry of files.values()) if (entry.skipped) skipped++
      return { files: files.size - skipped, chunks: stored.size, skipped: skipped + tooLarge, truncated, watching: watcher.watched() > 0 }
    }
    const report: Progress = (done, total, message) =>
      Effect.suspend(() => {
        lastReport = [done, total, message]
        // a listener's failure (a client gone) is its own: the sync goes on for the others
        return Effect.forEach(Array.from(listeners), (listener) => Effect.exit(listener(done, total, message)), { discard: true })
      })

    const drop = (path: string) =>
      Effect.gen(function*() {
        const entry = files.get(path)
        if (entry === undefined) return
        files.delete(path)
        totalBytes -= entry.bytes
        for (const id of entry.ids) {
          stored.delete(id)
          yield* vectors.remove(id)
        }
      })

    const embed = (texts: ReadonlyArray<string>) =>
      Effect.forEach(
        Array.from({ length: Math.ceil(texts.length / EMBED_BATCH) }, (_, i) => texts.slice(i * EMBED_BATCH, (i + 1) * EMBED_BATCH)),
        // the embedder cuts each text to its maxTextLength itself (at a word, never inside a surrogate pair)
        (batch) => embedder.embed(batch),
        { concurrency: 1 }
      ).pipe(
        Effect.map((batches) => batches.flat()),
        Effect.mapError((error) => new DocumentsError({ message: error.message }))
      )

    /**
     * One sync: list, drop what vanished, then read and chunk what is new or changed and embed it
     * in groups of about `EMBED_BATCH` passages across files (one round trip to the embedder's
     * worker per group, not per file), replacing each file's passages once its group is embedded.
     */
    const sync: Effect.Effect<IndexStatus, DocumentsError> = Effect.gen(function*() {
      const listing = yield* Corpus.list(options.dir, options.limits).pipe(
        Effect.mapError((error) => new DocumentsError({ message: error.message }))
      )
      truncated = listing.truncated
      tooLarge = listing.tooLarge
      yield* watcher.watch(listing.directories)
      fullyWatched = !listing.truncated && watcher.watched() === listing.directories.length
      const present = new Set(listing.files.map((f) => f.path))
      for (const path of Array.from(files.keys())) if (!present.has(path)) yield* drop(path)
      const todo = listing.files.filter((f) => {
        const known = files.get(f.path)
        return known === undefined || known.size !== f.size || known.mtimeMs !== f.mtimeMs
      })
      if (todo.length === 0) return status()
      yield* report(0, todo.length, `indexing ${todo.length} files`)
      /** What the index will hold once the files read so far are committed, for the budgets. */
      let projectedBytes = totalBytes
      let projectedChunks = stored.size
      let done = 0
      let group: Array<{ readonly file: Corpus.FileInfo; readonly chunks: ReadonlyArray<Chunk> | undefined }> = []
      const commitGroup = Effect.gen(function*() {
        const texts = group.flatMap(({ chunks }) => (chunks ?? []).map((c) => (c.heading === "" ? c.text : `${c.heading}\n${c.text}`)))
        const embedded = yield* embed(texts)
        let next = 0
        for (const { chunks, file } of group) {
          yield* drop(file.path)
          const ids: Array<string> = []
          for (const c of chunks ?? []) {
            const id = String(nextId++)
            yield* vectors.add(id, embedded[next++]!).pipe(Effect.mapError((error) => new DocumentsError({ message: error.detail })))
            stored.set(id, { file: file.path, startLine: c.startLine, endLine: c.endLine, heading: c.heading, text: c.text })
            ids.push(id)
          }
          const bytes = chunks === undefined ? 0 : file.size
          totalBytes += bytes
          files.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, bytes, ids, skipped: chunks === undefined })
          done++
          yield* report(done, todo.length, `indexed ${done} of ${todo.length} files (${stored.size} passages)`)
        }
        group = []
      })
      let pending = 0
      for (const file of todo) {
        const text = yield* Corpus.read(file.absolute, options.limits.maxFileBytes, listing.root)
        const chunks = text === undefined ? [] : chunk(text, MARKDOWN.has(extname(file.path).toLowerCase()))
        const previous = files.get(file.path)
        projectedBytes -= previous?.bytes ?? 0
        projectedChunks -= previous?.ids.length ?? 0
        const fits = text !== undefined && projectedBytes + file.size <= options.maxTotalBytes &&
          projectedChunks + chunks.length <= options.maxChunks
        if (fits) {
          projectedBytes += file.size
          projectedChunks += chunks.length
          pending += chunks.length
        }
        group.push({ file, chunks: fits ? chunks : undefined })
        if (pending >= EMBED_BATCH) {
          yield* commitGroup
          pending = 0
        }
      }
      yield* commitGroup
      return status()
    })

    /** The sync in flight, or a new one started in the index's scope (a caller that gives up does not stop it). */
    const startSync = Effect.suspend(() => {
      if (running !== undefined) return Effect.succeed(running)
      const done = Deferred.makeUnsafe<IndexStatus, DocumentsError>()
      running = done
      dirty = false
      return Clock.currentTimeMillis.pipe(
        Effect.flatMap((startedAt) =>
          sync.pipe(Effect.onExit((exit) =>
            Effect.sync(() => {
              running = undefined
              lastReport = undefined
              if (Exit.isSuccess(exit)) lastCheck = startedAt
            }).pipe(Effect.andThen(Deferred.done(done, exit)))
          ))
        ),
        Effect.forkIn(scope),
        Effect.as(done)
      )
    })

    const refresh = (progress?: Progress): Effect.Effect<IndexStatus, DocumentsError> =>
      Effect.gen(function*() {
        const done = yield* startSync
        if (progress === undefined) return yield* Deferred.await(done)
        if (lastReport !== undefined) yield* progress(...lastReport)
        listeners.add(progress)
        return yield* Deferred.await(done).pipe(Effect.ensuring(Effect.sync(() => listeners.delete(progress))))
      })

    const refreshIfDue = (progress?: Progress) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const recheckMs = fullyWatched ? options.watchedRecheckMs : options.recheckMs
        const due = running !== undefined || dirty || lastCheck === undefined || now - lastCheck >= recheckMs
        return due ? yield* refresh(progress) : status()
      })

    const search = (query: string, searchOptions: SearchOptions, progress?: Progress) =>
      Effect.gen(function*() {
        yield* refreshIfDue(progress)
        // a change seen while that sync ran is picked up before answering
        const current = dirty ? yield* refresh(progress) : status()
        if (stored.size === 0) return { passages: [], status: current }
        const [vector] = yield* embed([query])
        const prefix = searchOptions.pathPrefix
        const k = prefix === undefined ? searchOptions.limit : MAX_K
        const hits = yield* vectors.search(vector!, k).pipe(Effect.mapError((error) => new DocumentsError({ message: error.detail })))
        const passages: Array<Passage> = []
        for (const hit of hits) {
          const passage = stored.get(hit.key)
          if (passage === undefined || (prefix !== undefined && !passage.file.startsWith(prefix))) continue
          passages.push({ ...passage, score: Math.round(hit.score * 10_000) / 10_000 })
          if (passages.length >= searchOptions.limit) break
        }
        return { passages, status: current }
      })

    const watcher = yield* DirectoryWatcher.make({
      debounceMs: options.debounceMs,
      watch: options.watch !== false,
      onChange: () => void (dirty = true),
      onQuiet: Effect.suspend(() => (dirty ? refresh().pipe(Effect.ignore) : Effect.void))
    })

    return {
      refresh,
      search,
      changed: Effect.sync(watcher.changed),
      status: Effect.sync(status)
    } satisfies DocumentIndex
  })
