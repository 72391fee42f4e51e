/**
 * How the fuzz tests name what went wrong: one line per failing request, short enough to read
 * (repetitions folded, ~300 characters), grouped by category with a count.
 */

export interface Failure {
  readonly category: string
  /** The request, folded and truncated. */
  readonly request: string
  readonly problem: string
}

const LIMIT = 300

/** Folds long repetitions (`[[[[…` → `⟨[⟩×3000`) and truncates to about 300 characters. */
export const fold = (text: string, limit = LIMIT): string => {
  const folded = text.slice(0, 250_000).replace(/(.{1,8}?)\1{9,}/gs, (run, unit: string) => `⟨${unit}⟩×${run.length / unit.length}`)
  return folded.length <= limit ? folded : `${folded.slice(0, limit)}…(${text.length} chars)`
}

/** The last lines of a crashed server's stderr that name the error. */
export const crashLine = (stderr: string): string => {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "")
  const error = lines.findLast((l) => /^(\w*Error|Uncaught|FATAL|RangeError|TypeError)/.test(l) || /Error:/.test(l))
  const at = lines.find((l) => l.startsWith("at "))
  return fold([error ?? lines.at(-1) ?? "(no stderr)", at].filter((l) => l !== undefined).join(" "), 240)
}

/** Failures by category: a count and the first few examples of each. */
export const summarize = (failures: ReadonlyArray<Failure>, examples = 3): string => {
  const byCategory = new Map<string, Array<Failure>>()
  for (const f of failures) {
    const list = byCategory.get(f.category)
    if (list === undefined) byCategory.set(f.category, [f])
    else list.push(f)
  }
  const lines: Array<string> = [`${failures.length} failing requests in ${byCategory.size} categories:`]
  for (const [category, list] of [...byCategory].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`- ${category}: ${list.length}`)
    for (const f of list.slice(0, examples)) lines.push(`    ${f.problem}\n      ← ${f.request}`)
  }
  return lines.join("\n")
}
