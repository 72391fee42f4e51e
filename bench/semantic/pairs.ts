/**
 * The labelled query pairs of the semantic tier, read by `bench/semantic.ts` and the Guard's tests:
 * JSONL, one pair a line, `{"tool", "a", "b", "same": true|false, "kind"?}`.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** One labelled pair: `same` says a user asking `b` would accept the answer cached for `a`; `kind` names the change. */
export interface Pair {
  readonly tool: string
  readonly a: string
  readonly b: string
  readonly same: boolean
  readonly kind: string
}

/** The project's own set, bench/semantic/pairs.jsonl. */
export const projectPairs = fileURLToPath(new URL("pairs.jsonl", import.meta.url))

/** The pairs of a JSONL `file`; a line without string `a`, `b` and boolean `same` fails with its line number. */
export const readPairs = (file: string): ReadonlyArray<Pair> =>
  readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "").map((line, i) => {
    const pair = JSON.parse(line) as Partial<Pair>
    if (typeof pair.a !== "string" || typeof pair.b !== "string" || typeof pair.same !== "boolean") {
      throw new Error(`${file}:${i + 1}: a pair needs "a", "b" (strings) and "same" (boolean)`)
    }
    return { tool: pair.tool ?? "", a: pair.a, b: pair.b, same: pair.same, kind: pair.kind ?? (pair.same ? "same" : "different") }
  })
