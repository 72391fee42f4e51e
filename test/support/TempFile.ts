/**
 * Test support: a file with given text in a fresh temporary directory, removed (directory and
 * all) when the test's scope closes.
 */
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const tempFile = (name: string, text: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(join(tmpdir(), "tenfold-test-"))
      const file = join(dir, name)
      await writeFile(file, text)
      return { dir, file }
    }),
    ({ dir }) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  ).pipe(Effect.map(({ file }) => file))
