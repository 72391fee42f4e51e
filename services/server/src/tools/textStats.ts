/**
 * The `text_stats` tool's implementation: word, sentence and character counts, the most
 * frequent terms and an estimated reading time for a piece of text. Pure and read-only.
 */
import { Effect } from "effect"
import type { TextStatsInput, TextStatsOutput } from "./index.ts"

const STOP_WORDS = new Set(
  "a an and are as at be but by for from has have he her his i in is it its of on or our she so that the their them they this to was we were what when which who will with you your".split(" ")
)

const WORDS_PER_MINUTE = 238

export const analyse = (input: TextStatsInput): TextStatsOutput => {
  const words = input.text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? []
  const sentences = input.text.split(/[.!?]+(?:\s|$)/u).filter((s) => s.trim().length > 0)
  const counts = new Map<string, number>()
  for (const word of words) {
    if (!STOP_WORDS.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1)
  }
  const topTerms = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, input.top ?? 5)
    .map(([term, count]) => ({ term, count }))
  return {
    characters: [...input.text].length,
    words: words.length,
    sentences: sentences.length,
    uniqueWords: new Set(words).size,
    averageWordLength: words.length === 0 ? 0 : Math.round((words.join("").length / words.length) * 100) / 100,
    readingTimeSeconds: Math.ceil((words.length / WORDS_PER_MINUTE) * 60),
    topTerms
  }
}

export const handler = (input: TextStatsInput) => Effect.succeed(analyse(input))
