/**
 * The Guard's content-word check: which topic words one text has that the other lacks. A content
 * word is a word or name that is not a filler (function words, the vocabulary of asking); it is
 * read as its concept ("shares" → "stock"), its British spelling folded ("colour" → "color"). A
 * word of one text is covered by the other when that holds the same concept, a typo of it, or a
 * word derived from it ("humid" / "humidity", "depend" / "dependency").
 */
import * as C from "./contentWords.ts"

/** Folds British spellings onto American ones, the same on both sides ("colour", "centre", "optimise"). */
const fold = (word: string) =>
  word.replace(/our$/, "or").replace(/is(e|ed|es|ing|ation|ations)$/, "iz$1").replace(/([^aeiou])re$/, "$1er")

/** The concept a word stands for (`lower` as written, `stem` its stemmed form), or undefined for a filler. */
export const conceptOf = (lower: string, stem: string): string | undefined => {
  if (C.fillers.has(lower) || C.fillers.has(stem)) return undefined
  return C.concepts.get(lower) ?? C.concepts.get(stem) ?? fold(stem)
}

/** True when `a` and `b` differ by at most one substitution, insertion, deletion or swap of neighbours. */
export const withinOneEdit = (a: string, b: string): boolean => {
  if (a === b) return true
  if (Math.abs(a.length - b.length) > 1) return false
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  const tailEqual = (x: number, y: number) => {
    while (x < a.length && y < b.length && a[x] === b[y]) x++, y++
    return x === a.length && y === b.length
  }
  if (a.length === b.length) return tailEqual(i + 1, i + 1) || a[i] === b[i + 1] && a[i + 1] === b[i] && tailEqual(i + 2, i + 2)
  return a.length < b.length ? tailEqual(i, i + 1) : tailEqual(i + 1, i)
}

const lettersOnly = /^[a-z]+$/

/** A typo, not another word: one edit apart, five letters or more, the same first letter ("Seatle", not "preact" for "react"). */
export const isTypoOf = (a: string, b: string) =>
  a.length >= 5 && b.length >= 5 && Math.abs(a.length - b.length) <= 1 && a[0] === b[0] && lettersOnly.test(a) && lettersOnly.test(b) &&
  withinOneEdit(a, b)

/** A content word: its concept and its form as written (lower case), for typos of words with a concept ("forcast"). */
export interface ContentWord {
  readonly concept: string
  readonly form: string
}

/** A typo of a short word: two neighbouring letters swapped, four letters or more ("raed" / "read", "nwes" / "news"). */
export const isSwapOf = (a: string, b: string) => {
  if (a.length !== b.length || a.length < 4 || a === b || a[0] !== b[0] || !lettersOnly.test(a) || !lettersOnly.test(b)) return false
  let i = 0
  while (a[i] === b[i]) i++
  return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)
}

/** Endings that derive a word from another without changing its topic ("humid" → "humidity", "depend" → "dependency"). */
const suffixes: ReadonlySet<string> = new Set([
  "s", "es", "ed", "ing", "er", "ers", "or", "ors", "y", "ies", "ly", "al", "ally", "ic", "ics", "ical", "ity", "ities", "ness",
  "ment", "ments", "ion", "ions", "ation", "ations", "ency", "ence", "ance", "ancy", "ive", "able", "ible", "ist", "ists", "ism",
  "ize", "ized", "ise", "ised", "iness"
])

/**
 * Whether one word is the other plus a derivational ending, the shorter four letters or more ("java" / "javascript" is not);
 * a final silent "e" the stemmer dropped from one of them does not count ("handle" / "handl" from "handling").
 */
const derived = (a: string, b: string) => {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a]
  if (short.length >= 4 && long === `${short}e`) return true
  return short.length >= 4 && long.startsWith(short) && suffixes.has(long.slice(short.length))
}

/** Whether `word` is covered by `other` though their concepts differ: a typo of its form, or one derived from the other. */
const nearly = (other: ContentWord, word: ContentWord) =>
  isTypoOf(other.form, word.form) || isSwapOf(other.form, word.form) || derived(other.concept, word.concept)

/** Whether `word` is covered by one of `others`: the same concept, a typo of its form, or one derived from the other. */
export const covered = (word: ContentWord, others: ReadonlyArray<ContentWord>) =>
  others.some((other) => other.concept === word.concept || nearly(other, word))

/** The first letters a word can share with a typo or a derived form of it. */
const initials = (word: ContentWord) => word.form[0] === word.concept[0] ? [word.form[0] ?? ""] : [word.form[0] ?? "", word.concept[0] ?? ""]

/**
 * The content words of `mine` that `theirs` does not cover. Exact concepts are looked up in a set;
 * typos and derived forms are only sought among the words of `theirs` that start with the same
 * letter (both keep the first letter), so a pair of texts costs about the sum of their lengths.
 */
export const uncovered = (mine: ReadonlyArray<ContentWord>, theirs: ReadonlyArray<ContentWord>): ReadonlyArray<ContentWord> => {
  const concepts = new Set<string>()
  const byInitial = new Map<string, Array<ContentWord>>()
  for (const word of theirs) {
    concepts.add(word.concept)
    for (const initial of initials(word)) {
      const bucket = byInitial.get(initial)
      if (bucket === undefined) byInitial.set(initial, [word])
      else if (!bucket.includes(word)) bucket.push(word)
    }
  }
  return mine.filter((word) =>
    !concepts.has(word.concept) && !initials(word).some((initial) => byInitial.get(initial)?.some((other) => nearly(other, word)))
  )
}
