/**
 * Child process of the kill -9 test: writes large entries through PersistentTier into the
 * directory `argv[2]` in a tight loop and prints `written <n>` after each, until it is killed.
 */
import { Effect } from "effect"
import { PersistentTier } from "../../src/PersistentTier.ts"
import { writerKey, writerValue } from "./writerEntries.ts"
import { anyPolicy, keyOf } from "./serve.ts"

/** A bound on the loop in case nobody kills it. */
const MAX_WRITES = 100_000

const dir = process.argv[2]
if (dir === undefined) throw new Error("usage: sqlite-writer.ts <dir>")

const writeAll = PersistentTier.use((tier) =>
  Effect.gen(function*() {
    for (let n = 0; n < MAX_WRITES; n++) {
      const key = writerKey(n)
      yield* tier.set(keyOf(key), { value: writerValue(key), freshUntil: Number.MAX_SAFE_INTEGER, staleUntil: Number.MAX_SAFE_INTEGER }, anyPolicy)
      process.stdout.write(`written ${n + 1}\n`)
    }
  })
)

Effect.runPromise(writeAll.pipe(Effect.provide(PersistentTier.layer({ dir }))))
