/**
 * The files of a saved `VectorIndex`: hnswlib's graph at `file`, and at `file.json` the keys, their
 * labels (in recency order) and the graph's SHA-256 — checked before hnswlib, which trusts its
 * input, reads the graph. Both are written under temporary names and renamed into place.
 */
import { Effect, Result, Schema } from "effect"
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises"

/** What a saved index holds besides its graph. */
export interface Saved {
  readonly dimensions: number
  readonly nextLabel: number
  /** [key, label], least recently added or hit first */
  readonly entries: ReadonlyArray<readonly [string, number]>
}

const FORMAT = "tenfold-vector-index/1"
/** A key file larger than this is not ours (10M keys of ~40 characters). */
const MAX_KEY_FILE_BYTES = 512 * 2 ** 20

const KeyFile = Schema.Struct({
  format: Schema.Literal(FORMAT),
  dimensions: Schema.Int,
  nextLabel: Schema.Int,
  bytes: Schema.Int,
  sha256: Schema.String,
  entries: Schema.Array(Schema.Tuple([Schema.String, Schema.Int]))
})

const attempt = <A>(what: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

const sha256 = (file: string) =>
  attempt(`reading ${file}`, () =>
    new Promise<string>((resolve, reject) => {
      const hash = createHash("sha256")
      createReadStream(file).on("error", reject).on("data", (chunk) => hash.update(chunk)).on("end", () => resolve(hash.digest("hex")))
    }))

/**
 * Writes the graph (through `snapshot`, which writes it to the file it is given and returns the
 * keys of that same moment) and the key file next to it.
 */
export const write = (file: string, snapshot: (graphFile: string) => Saved): Effect.Effect<void, string> => {
  const graphTemp = `${file}.${process.pid}.tmp`
  const keysTemp = `${file}.json.${process.pid}.tmp`
  return Effect.gen(function*() {
    const saved = yield* Effect.try({ try: () => snapshot(graphTemp), catch: (cause) => `writing ${file}: ${String(cause)}` })
    const { size } = yield* attempt(`reading ${graphTemp}`, () => stat(graphTemp))
    const digest = yield* sha256(graphTemp)
    const keys = { format: FORMAT, ...saved, bytes: size, sha256: digest }
    yield* attempt(`writing ${keysTemp}`, () => writeFile(keysTemp, JSON.stringify(keys)))
    yield* attempt(`renaming into ${file}`, () => rename(graphTemp, file))
    yield* attempt(`renaming into ${file}.json`, () => rename(keysTemp, `${file}.json`))
  }).pipe(Effect.ensuring(Effect.promise(() => Promise.all([rm(graphTemp, { force: true }), rm(keysTemp, { force: true })]))))
}

/** Reads and checks the key file and the graph's digest; fails with why the files cannot be used. */
export const read = (file: string): Effect.Effect<Saved, string> =>
  Effect.gen(function*() {
    const keyFile = `${file}.json`
    const { size } = yield* attempt(`reading ${keyFile}`, () => stat(keyFile))
    if (size > MAX_KEY_FILE_BYTES) return yield* Effect.fail(`${keyFile} is larger than ${MAX_KEY_FILE_BYTES} bytes`)
    const text = yield* attempt(`reading ${keyFile}`, () => readFile(keyFile, "utf8"))
    const parsed = Result.try(() => JSON.parse(text) as unknown)
    if (Result.isFailure(parsed)) return yield* Effect.fail(`${keyFile} is not JSON`)
    const decoded = Schema.decodeUnknownResult(KeyFile)(parsed.success)
    if (Result.isFailure(decoded)) return yield* Effect.fail(`${keyFile}: ${decoded.failure.message}`)
    const keys = decoded.success
    const problem = checkEntries(keys)
    if (problem) return yield* Effect.fail(`${keyFile}: ${problem}`)
    const graph = yield* attempt(`reading ${file}`, () => stat(file))
    if (graph.size !== keys.bytes || (yield* sha256(file)) !== keys.sha256) {
      return yield* Effect.fail(`${file} does not match the digest in ${keyFile}`)
    }
    return { dimensions: keys.dimensions, nextLabel: keys.nextLabel, entries: keys.entries }
  })

const checkEntries = (saved: Saved) => {
  if (!(saved.nextLabel >= 0 && saved.nextLabel < 2 ** 32)) return "nextLabel out of range"
  const keys = new Set<string>()
  const labels = new Set<number>()
  for (const [key, label] of saved.entries) {
    if (label < 0 || label >= saved.nextLabel) return `label ${label} out of range`
    keys.add(key)
    labels.add(label)
  }
  return keys.size === saved.entries.length && labels.size === saved.entries.length ? undefined : "duplicate keys or labels"
}
