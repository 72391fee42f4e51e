/**
 * The Guard: decides whether two texts whose embeddings are close may share a cached answer.
 * Embeddings score "flights from Paris to London" and "flights from London to Paris" as near
 * twins; the Guard reads what embeddings blur — numbers (with their units, written or in digits),
 * dates and times, quoted strings, names and identifiers (capitalised words, acronyms, code
 * identifiers, e-mails, URLs, paths, versions), negations, words of direction ("above"/"below",
 * "buy"/"sell"), what a number counts, the role each word plays after a preposition ("from X" /
 * "to X"), subject/object order around a verb, who does what around a verb both share (relative
 * clauses and the passive: "issues that block #4521" / "issues blocked by #4521"), names that took each other's place, what each
 * negation applies to and which question word asks ("who" / "when") — and refuses the hit when
 * any of them disagree (`agree`). Identifiers with digits ("WH-1000XM4", "SUP-4412") match exactly,
 * never as typos. `accept` is the semantic tier's whole rule: the facts agree, no text is the
 * other with a content word inserted ("water temperature in Montreal") or one short span swapped
 * ("issues assigned to me" / "issues created by me"), and the cosine reaches a threshold raised
 * for each content word the texts do not share ("Barcelona beach volleyball tournament" is not
 * "hotels in Barcelona near the beach"). Pure and bounded: `facts` once per
 * text (the tier keeps the facts of each stored query), `accept` per candidate. A text longer
 * than `maxTextLength` never agrees with anything.
 */
import { conceptOf, type ContentWord, covered, isSwapOf, isTypoOf, uncovered, withinOneEdit } from "./internal/coverage.ts"
import * as W from "./internal/guardWords.ts"

/** Texts longer than this many characters are refused (the tier treats them as a miss), so every call is bounded. */
export const maxTextLength = 1000

/**
 * The base cosine threshold of `accept` (the lowest cosine at which the semantic tier considers a
 * stored query; asked as is only of texts that share every content word), unless a tool sets its
 * own: chosen by `npm run bench:semantic` — the most paraphrase hits with ≤ 1 % of hard negatives
 * hit on every labelled set, each part and pooled (see bench/results/semantic.json and the
 * README's evaluation table).
 */
export const defaultThreshold = 0.5

/** At most this many tokens of a text are read; `maxTextLength` already keeps real texts below it. */
const maxTokens = 300

/** At most this many content words of a text are compared (each with each of the other text's), so `accept` stays bounded. */
const maxContentWords = 32

/**
 * How much stricter `accept` gets for the first content word the two texts do not share: the
 * cosine distance a hit may have (1 − threshold) is multiplied by this factor (at the default
 * threshold 0.5, one unshared word asks a cosine of 0.625). One word the tables miss is often a
 * synonym ("conditions" / "weather") or a generic word added ("capital city"), so it costs little.
 */
export const firstWordFactor = 0.75

/**
 * How much stricter `accept` gets for each further content word the two texts do not share (and
 * for each added word that modifies a shared one, "water temperature"): the allowed cosine
 * distance is multiplied by this factor again, so two unshared words ask a very high cosine (0.94
 * at the default threshold) — two texts that each say something the other does not, or one that
 * adds a restriction, ask something else unless the embedding sees them as near twins.
 */
export const unsharedWordFactor = 0.15

/**
 * Which kind of fact two texts disagreed on; from `accept` also "topic" (content words one text has
 * and the other lacks, for their cosine) and "similarity" (cosine below the threshold).
 */
export type Mismatch =
  | "length" | "quotes" | "numbers" | "dates" | "negation" | "question" | "polarity" | "names" | "roles" | "slot" | "topic" | "similarity"

/** The Guard's answer: `agree` (the texts may share an answer) or the first fact they disagree on. */
export type Verdict = { readonly agree: true } | { readonly agree: false; readonly reason: Mismatch }

/** What the Guard reads from one text; compute it once with `facts` and compare it with `agree`. */
export interface Facts {
  /** Longer than `maxTextLength`: nothing else was read, and it agrees with nothing. */
  readonly tooLong: boolean
  /** Quoted strings, sorted. */
  readonly quotes: ReadonlyArray<string>
  /** Numbers with the unit bound to them ("5 km", "12", "#3" for an ordinal), sorted. */
  readonly numbers: ReadonlyArray<string>
  /** Dates and times in canonical form ("tuesday", "15:00", "next:week"), sorted. */
  readonly dates: ReadonlyArray<string>
  /** How many negations ("not", "no", "without", "-n't", …) it holds. */
  readonly negations: number
  /** Direction classes ("gt", "before", "buy", …), sorted, without repeats. */
  readonly polarity: ReadonlyArray<string>
  /** The canonical forms this text marks as names or identifiers. */
  readonly names: ReadonlySet<string>
  /** Every token's canonical form, in order. */
  readonly words: ReadonlyArray<string>
  /** Every token as written (lower case), in the order of `words`: typos are read on these ("dictionaires"). */
  readonly forms: ReadonlyArray<string>
  /** The canonical forms of its words and names (not its numbers, dates or quotes). */
  readonly plain: ReadonlySet<string>
  /** Preposition → the canonical forms of its objects, in order. */
  readonly roles: ReadonlyMap<string, ReadonlyArray<string>>
  /** Bare numbers with the concept of the word each counts ("2 children" → ["2", "child"]): "1 adult and 2 children" ≠ "2 adults and 1 child". */
  readonly counted: ReadonlyArray<readonly [string, ContentWord]>
  /** Its acronyms ("NYC", "PRs"), as canonical forms. */
  readonly acronyms: ReadonlyArray<string>
  /** Its content words, each with its concept ("shares" → "stock"), without fillers ("how", "show", "example"), once each. */
  readonly content: ReadonlyArray<ContentWord>
  /** The question words it asks with, by what they ask for ("who", "when", "where", "why"), sorted. */
  readonly asks: ReadonlyArray<string>
  /** The canonical forms of the words and names a negation applies to ("bought A but not B" → "b"; "non-direct" → "direct"). */
  readonly negated: ReadonlyArray<string>
}

type Kind = "word" | "name" | "number" | "date" | "quote"

interface Token {
  readonly lower: string
  readonly key: string
  readonly kind: Kind
  /** Its concept, for a word or name that is not a filler. */
  readonly content?: ContentWord | undefined
  /** Written in capitals as an acronym ("NYC", "PRs"). */
  readonly acronym?: boolean
}

const agreed: Verdict = { agree: true }
const refuse = (reason: Mismatch): Verdict => ({ agree: false, reason })

const QUOTE_MARK = "\u0001"
const quotePattern = /["“”`]([^"“”`\u0001]{1,200})["“”`]|(?<=^|\s)['‘]([^'‘’\n\u0001]{1,200})['’](?=$|[\s?.!,;:])/g
const separators = /[\s,;!?()[\]{}<>|"“”]+/
const edgePunctuation = /^[.:'‘’*]+|[.:'‘’*]+$/g
const timePattern = /^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)$/
const clockPattern = /^(\d{1,2}):(\d{2})$/
const numericDatePattern = /^\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?$/
const versionPattern = /^v?(\d+(?:\.\d+)+)$/
const numberPattern = /^([$€£¥]?)(\d[\d,]*(?:\.\d+)?)-?([a-z%°/]*)$/
const ordinalPattern = /^(\d+)(st|nd|rd|th)$/
const urlPattern = /^(?:https?:\/\/|www\.)/
const emailPattern = /^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$/
const acronymPattern = /^[A-Z][A-Z0-9&]{1,7}s?$/
const capitalisedPattern = /^[A-Z][a-z'’-]/

/** True when `raw` looks like code or a path: camelCase, snake_case, dotted, `::`, `()`, `#`, `++`, slashes, letters+digits. */
const isIdentifier = (raw: string) =>
  /[a-z][A-Z]/.test(raw) || raw.includes("_") || /[A-Za-z]\.[A-Za-z]/.test(raw) || /::|\(\)|#|\+\+|[/\\]/.test(raw) ||
  /^[A-Za-z]+\d[A-Za-z\d]*$/.test(raw) || /^\d+[A-Za-z]+\d/.test(raw)

/** A light stemmer, the same on both sides: plurals, "-ing", "-ed" and possessives fold ("flights" = "flight"). */
const stem = (word: string) => {
  const s = word.replace(/['’]s$/, "")
  if (s.length > 5 && s.endsWith("ing")) return s.slice(0, -3)
  if (s.length > 4 && s.endsWith("ies")) return `${s.slice(0, -3)}y`
  if (s.length > 4 && /(?:ss|x|ch|sh)es$/.test(s)) return s.slice(0, -2)
  if (s.length > 3 && s.endsWith("s") && !/(?:ss|us|is)$/.test(s)) return s.slice(0, -1)
  if (s.length > 4 && s.endsWith("ed")) return s.slice(0, -2)
  return s
}

const lettersOnly = /^[a-z]+$/

/** Date words, tolerating one typo in the longer ones ("tomorow", "wendesday"). */
const dateLongWords = [...W.dateWords.keys()].filter((w) => w.length >= 7)
const dateWord = (lower: string): string | undefined =>
  W.dateWords.get(lower) ??
    (lower.length >= 6 ? W.dateWords.get(dateLongWords.find((w) => isTypoOf(w, lower)) ?? "") : undefined)

/** Whether a chunk opens a number ("30", "$5", "ten"), for "above 30" (a comparison) vs "above the fold" (a place). */
const startsNumber = (lower: string) => /^[$€£¥]?\d/.test(lower) || W.writtenNumbers.has(lower)

const canonicalNumber = (digits: string) => {
  const n = Number(digits.replace(/,/g, ""))
  return Number.isFinite(n) ? String(n) : digits
}

const to24h = (hour: number, minutes: string | undefined, meridiem: string) => {
  const h = (hour % 12) + (meridiem.startsWith("p") ? 12 : 0)
  return `${String(h).padStart(2, "0")}:${minutes ?? "00"}`
}

/** Splits a text into chunks, each quoted string replaced by a marker that points at it. */
const chunk = (text: string, quotes: Array<string>) =>
  text
    .replaceAll(QUOTE_MARK, " ")
    .replace(quotePattern, (_, double: string | undefined, single: string | undefined) => {
      quotes.push((double ?? single ?? "").trim().toLowerCase())
      return ` ${QUOTE_MARK}${quotes.length - 1}${QUOTE_MARK} `
    })
    .split(separators)
    .slice(0, maxTokens)

interface Reading {
  readonly tokens: Array<Token>
  readonly numbers: Array<string>
  readonly dates: Array<string>
  readonly polarity: Set<string>
  /** Each bare number with the concept of the word it counts ("2 children" → ["2", "child"]). */
  readonly counted: Array<readonly [string, ContentWord]>
  negations: number
}

/** At most this many counted numbers are kept, so comparing them (each with each) stays bounded. */
const maxCounted = 16

/** The concept of the word a bare number counts ("2 adults" → "adult"), or undefined when `next` is no such word. */
const countedConcept = (next: string) =>
  /^[a-z]{2,}$/.test(next) && !W.roles.has(next) && !W.determiners.has(next) && !W.negations.has(next) &&
    !W.polarity.has(next) && dateWord(next) === undefined && !W.writtenNumbers.has(next)
    ? conceptOf(next, stem(next))
    : undefined

/** The word a bare number counts, as a content word, or undefined. */
const countedWord = (next: string): ContentWord | undefined => {
  const concept = countedConcept(next)
  return concept === undefined ? undefined : { concept, form: next }
}

/** Reads a number (digits or written) at `raws[i]` with the unit that follows; returns how many chunks it used. */
const readNumber = (raws: ReadonlyArray<string>, i: number, value: string, glued: string, into: Reading): number => {
  const next = (raws[i + 1] ?? "").replace(edgePunctuation, "").toLowerCase()
  const afterDegrees = next === "degrees" || next === "degree" || next === "°"
    ? (raws[i + 2] ?? "").replace(edgePunctuation, "").toLowerCase()
    : next
  const meridiem = next === "am" || next === "pm" || next === "a.m." || next === "p.m." ? next : undefined
  if (meridiem !== undefined && /^\d{1,2}$/.test(value)) {
    into.dates.push(to24h(Number(value), undefined, meridiem))
    into.tokens.push({ lower: value, key: `@${value}`, kind: "date" })
    return 2
  }
  const gluedUnit = glued === "" ? undefined : (W.units.get(glued) ?? glued)
  const unit = gluedUnit ?? W.units.get(afterDegrees)
  const used = gluedUnit !== undefined || unit === undefined ? 1 : afterDegrees === next ? 2 : 3
  if (unit !== undefined && value === "1") {
    // "1 pound" says what "a pound" says: the unit stays as a word, the number is not a fact
    into.tokens.push({ lower: unit, key: unit, kind: "word" })
    return used
  }
  const counted = unit === undefined && glued === "" ? countedWord(next) : undefined
  if (counted !== undefined) {
    if (into.counted.length < maxCounted) into.counted.push([value, counted])
    // "1 cup" says what "a cup" says: the counted word follows as a word of its own
    if (value === "1") return used
  }
  const key = unit === undefined ? value : `${value} ${unit}`
  into.numbers.push(key)
  into.tokens.push({ lower: value, key, kind: "number" })
  return used
}

/** Reads consecutive written numbers ("twenty five", "two hundred"); "one" counts only before a unit ("one mile"). */
const readWrittenNumber = (raws: ReadonlyArray<string>, i: number, into: Reading): number => {
  let value = 0
  let j = i
  for (; j < raws.length; j++) {
    const n = W.writtenNumbers.get((raws[j] ?? "").toLowerCase())
    if (n === undefined) break
    value = n >= 100 ? Math.max(value, 1) * n : value + n
  }
  const only = (raws[i] ?? "").toLowerCase()
  const next = (raws[j] ?? "").replace(edgePunctuation, "").toLowerCase()
  if (j === i + 1 && only === "one" && !W.units.has(next)) return 0
  return j - i - 1 + readNumber(raws, j - 1, String(value), "", into)
}

/** Reads one chunk (and the chunks it binds, such as a unit after a number); returns how many chunks it used. */
const readChunk = (raws: ReadonlyArray<string>, i: number, quotes: ReadonlyArray<string>, into: Reading, sentenceStart: boolean): number => {
  const raw = (raws[i] ?? "").replace(edgePunctuation, "")
  if (raw === "") return 1
  const lower = raw.toLowerCase()
  const push = (key: string, kind: Kind) => void into.tokens.push({ lower, key, kind })

  if (raw.startsWith(QUOTE_MARK)) {
    push(`"${quotes[Number(raw.slice(1, -1))] ?? ""}`, "quote")
    return 1
  }
  if (urlPattern.test(lower) || emailPattern.test(raw)) return (push(lower, "name"), 1)
  const time = timePattern.exec(lower) ?? undefined
  if (time !== undefined) {
    const key = to24h(Number(time[1]), time[2], time[3] ?? "am")
    into.dates.push(key)
    return (push(key, "date"), 1)
  }
  const clock = clockPattern.exec(lower) ?? undefined
  if (clock !== undefined || numericDatePattern.test(lower) && !versionPattern.test(lower)) {
    const key = clock === undefined ? lower : `${clock[1]!.padStart(2, "0")}:${clock[2]}`
    into.dates.push(key)
    return (push(key, "date"), 1)
  }
  const version = versionPattern.exec(lower) ?? undefined
  if (version !== undefined) return readNumber(raws, i, version[1]!, "", into)
  // "#4521" is "number 4521" ("issue #4521" = "issue 4521")
  const numbered = /^#(\d{1,12})$/.exec(lower) ?? undefined
  if (numbered !== undefined) return readNumber(raws, i, canonicalNumber(numbered[1]!), "", into)
  const ordinal = ordinalPattern.exec(lower) ?? undefined
  if (ordinal !== undefined) {
    into.numbers.push(`#${Number(ordinal[1])}`)
    return (push(`#${Number(ordinal[1])}`, "number"), 1)
  }
  const number = numberPattern.exec(lower) ?? undefined
  if (number !== undefined) {
    const currency = number[1] === "" ? "" : (W.units.get(number[1]!) ?? "")
    return readNumber(raws, i, canonicalNumber(number[2]!), currency || number[3]!, into)
  }
  if (W.writtenNumbers.has(lower)) {
    const used = readWrittenNumber(raws, i, into)
    if (used > 0) return used
  }
  const ordinalWord = W.ordinals.get(lower)
  if (ordinalWord !== undefined) {
    into.numbers.push(`#${ordinalWord}`)
    return (push(`#${ordinalWord}`, "number"), 1)
  }
  const shift = W.periodShifts.get(lower)
  const nextLower = (raws[i + 1] ?? "").replace(edgePunctuation, "").toLowerCase()
  const period = nextLower.replace(/['’]s$/, "")
  if (shift !== undefined && W.periods.has(period)) {
    // "next week's meetings" = "meetings next week"
    const key = `${shift}:${stem(period)}`
    into.dates.push(key)
    return (push(key, "date"), 2)
  }
  const month = raw === "May" && !sentenceStart || /^\d/.test(nextLower)
  const date = lower === "may" ? (month ? "may" : undefined) : dateWord(lower.replace(/['’]s$/, ""))
  if (date !== undefined) {
    into.dates.push(date)
    return (push(date, "date"), 1)
  }
  if (W.negations.has(lower) || lower.endsWith("n't") || lower.endsWith("n’t")) into.negations++
  if (lower.startsWith("non-")) {
    into.negations++
    return (push(stem(lower.slice(4)), "word"), 1)
  }
  const side = W.polarity.get(lower)
  if (side !== undefined && (!W.comparisons.has(lower) || startsNumber(nextLower))) into.polarity.add(side)
  // code is case-sensitive, and a one-letter change in it is another identifier, not a typo
  if (isIdentifier(raw)) return (into.tokens.push({ lower, key: raw, kind: "name", content: { concept: raw, form: lower } }), 1)
  // a model, ticket or part number ("WH-1000XM4", "SUP-4412", "covid-19"): a name matched exactly, never as a typo
  if (/\d/.test(raw) && /[a-z]/i.test(raw)) return (into.tokens.push({ lower, key: lower, kind: "name", content: { concept: lower, form: lower } }), 1)
  // a one-letter label inside a sentence ("product A", "plan B"): a name, kept apart from the article "a"
  if (/^[A-HJ-Z]$/.test(raw) && !sentenceStart) {
    return (into.tokens.push({ lower, key: raw, kind: "name", content: { concept: raw, form: raw } }), 1)
  }
  const acronym = acronymPattern.test(raw) && !W.units.has(lower)
  const isName = acronym ||
    capitalisedPattern.test(raw) && lower !== "i" && !(sentenceStart && W.commonStarts.has(lower))
  const key = W.units.get(lower) ?? stem(lower)
  const concept = side !== undefined || W.negations.has(lower) || W.roles.has(lower) || W.determiners.has(lower)
    ? undefined
    : W.units.has(lower) ? key : conceptOf(lower, key)
  const content = concept === undefined ? undefined : { concept, form: lower }
  return (into.tokens.push({ lower, key, kind: isName ? "name" : "word", content, acronym }), 1)
}

/** What the Guard reads from `text`: compute it once per stored query and compare it with `agree`. */
export const facts = (text: string): Facts => {
  if (text.length > maxTextLength) {
    return {
      tooLong: true, quotes: [], numbers: [], dates: [], negations: 0, polarity: [], names: new Set(), words: [], forms: [], plain: new Set(),
      roles: new Map(), counted: [], acronyms: [], content: [], asks: [], negated: []
    }
  }
  const quotes: Array<string> = []
  const raws = chunk(text, quotes)
  const reading: Reading = { tokens: [], numbers: [], dates: [], polarity: new Set(), counted: [], negations: 0 }
  let sentenceStart = true
  for (let i = 0; i < raws.length;) {
    const raw = raws[i] ?? ""
    const used = readChunk(raws, i, quotes, reading, sentenceStart)
    sentenceStart = raw === "" ? sentenceStart : /[.:]$/.test(raws[i + used - 1] ?? "")
    i += used
  }
  const { tokens } = reading
  return {
    tooLong: false,
    quotes: quotes.toSorted(),
    numbers: reading.numbers.toSorted(),
    dates: reading.dates.toSorted(),
    negations: reading.negations,
    polarity: [...reading.polarity].toSorted(),
    names: new Set(tokens.filter((t) => t.kind === "name" || t.kind === "quote").map((t) => t.key)),
    words: tokens.map((t) => t.key),
    forms: tokens.map((t) => t.lower),
    plain: new Set(tokens.filter((t) => t.kind === "word" || t.kind === "name").map((t) => t.key)),
    roles: rolesOf(tokens),
    counted: reading.counted,
    acronyms: [...new Set(tokens.flatMap((t) => t.acronym === true ? [t.key] : []))].slice(0, maxAcronyms),
    content: contentOf(tokens),
    asks: [...new Set(tokens.flatMap((t) => questionWords.get(t.lower) ?? []))].toSorted(),
    negated: negatedOf(tokens)
  }
}

/** Question words by what they ask for: "who painted the Mona Lisa" and "when was the Mona Lisa painted" share every other word. */
const questionWords: ReadonlyMap<string, string> = new Map([
  ["who", "who"], ["whom", "who"], ["whose", "who"], ["who's", "who"], ["whos", "who"], ["when", "when"], ["where", "where"],
  ["where's", "where"], ["wheres", "where"], ["why", "why"]
])

/** Whether a token is a negation ("not", "without", "isn't"). */
const negates = (token: Token) => token.kind === "word" && (W.negations.has(token.lower) || /n['’]t$/.test(token.lower))

/** At most this many tokens after a negation are skipped to find what it applies to, and at most this many words are taken. */
const negationReach = 3

/**
 * What each negation applies to: the run of content words and names that follows it (after at
 * most `negationReach` fillers, determiners or prepositions), up to the next word that is none of
 * them ("not product B" → "product", "B"; "without a car" → "car"), or the word a "non-" prefix
 * sits on. Sorted, without repeats.
 */
const negatedOf = (tokens: ReadonlyArray<Token>) => {
  const negated = new Set<string>()
  tokens.forEach((token, i) => {
    if (token.lower.startsWith("non-")) return void negated.add(token.key)
    if (!negates(token)) return
    let j = i + 1
    while (j < tokens.length && j - i <= negationReach && tokens[j]!.content === undefined && !negates(tokens[j]!)) j++
    for (let taken = 0; j < tokens.length && taken < negationReach && tokens[j]!.content !== undefined; j++, taken++) {
      negated.add(tokens[j]!.key)
    }
  })
  return [...negated].toSorted()
}

/** At most this many acronyms of a text are expanded against the other's initials. */
const maxAcronyms = 4

/** Whether the token at `i` can stand in an acronym's expansion: a word, not a number, date, quote, preposition or determiner. */
const spellsOut = (facts: Facts, i: number) => {
  const form = facts.forms[i] ?? ""
  return /^[a-z]/.test(form) && /^[a-z]/i.test(facts.words[i] ?? "") && !W.roles.has(form) && !W.determiners.has(form) &&
    !facts.dates.includes(facts.words[i] ?? "")
}

/**
 * The canonical and written forms of the first run of two to five words in `facts` whose initials
 * are `letters` ("nyc" → "new", "york", "city"), or undefined. Computed on demand: only a text
 * facing an acronym it lacks pays for it (linear in its words).
 */
const spelledOut = (facts: Facts, letters: string): ReadonlyArray<string> | undefined => {
  for (let i = 0; i + letters.length <= facts.words.length; i++) {
    let j = 0
    while (j < letters.length && facts.forms[i + j]![0] === letters[j] && spellsOut(facts, i + j)) j++
    if (j === letters.length) return [...facts.words.slice(i, i + j), ...facts.forms.slice(i, i + j)]
  }
  return undefined
}

/**
 * The forms of each text that an acronym of one and its words spelled out in the other explain
 * ("NYC" / "New York City", "PRs" / "pull requests", "CEO" / "chief executive"): an acronym the
 * other text lacks, whose letters — or all but its last, from three letters — are the initials of
 * a run of words there.
 */
const expansions = (a: Facts, b: Facts): readonly [ReadonlySet<string>, ReadonlySet<string>] => {
  const [inA, inB] = [new Set<string>(), new Set<string>()]
  const expand = (x: Facts, y: Facts, inX: Set<string>, inY: Set<string>) => {
    for (const acronym of x.acronyms) {
      if (y.words.includes(acronym)) continue
      const letters = acronym.toLowerCase()
      if (letters.length > 5) continue
      const words = spelledOut(y, letters) ?? (letters.length >= 3 ? spelledOut(y, letters.slice(0, -1)) : undefined)
      if (words === undefined) continue
      inX.add(acronym)
      for (const word of words) inY.add(word)
    }
  }
  expand(a, b, inA, inB)
  expand(b, a, inB, inA)
  return [inA, inB]
}

/** The content words of `tokens`, each concept once. */
const contentOf = (tokens: ReadonlyArray<Token>) => {
  const seen = new Set<string>()
  const content: Array<ContentWord> = []
  for (const { content: word } of tokens) {
    if (content.length >= maxContentWords) break
    // punctuation standing alone ("Middlemarch - who is the author") names no topic
    if (word === undefined || seen.has(word.concept) || !/[\p{L}\p{N}]/u.test(word.form)) continue
    seen.add(word.concept)
    content.push(word)
  }
  return content
}

/**
 * Preposition → the objects it governs (the next token after determiners, every word of a name),
 * skipping the infinitive "to" ("how to").
 */
const rolesOf = (tokens: ReadonlyArray<Token>) => {
  const roles = new Map<string, Array<string>>()
  tokens.forEach((token, i) => {
    if (token.kind !== "word" || !W.roles.has(token.lower)) return
    if (token.lower === "to" && W.infinitiveMarkers.has(tokens[i - 1]?.lower ?? "")) return
    let j = i + 1
    while (j < tokens.length && W.determiners.has(tokens[j]!.lower)) j++
    const object = tokens[j]
    if (object === undefined || object.kind === "word" && (W.roles.has(object.lower) || W.negations.has(object.lower))) return
    const objects = roles.get(token.lower) ?? []
    roles.set(token.lower, objects)
    objects.push(object.key)
    // a name of several words is the object as a whole: "from San Jose" is not "from San Francisco"
    for (let k = j + 1; object.kind === "name" && tokens[k]?.kind === "name" && objects.length < maxTokens; k++) objects.push(tokens[k]!.key)
  })
  return roles
}

const sameList = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.length === b.length && a.every((x, i) => x === b[i])

/** The tokens of `words` that either text marks as a name, sorted: both texts must name the same things. */
const namedIn = (words: ReadonlyArray<string>, names: ReadonlySet<string>) => words.filter((w) => names.has(w)).toSorted()

/** Whether `word` occurs in `words`, tolerating a typo. */
const occurs = (word: string, words: ReadonlyArray<string>) =>
  words.includes(word) || word.length >= 5 && lettersOnly.test(word) && words.some((w) => isTypoOf(w, word))

/** Whether a role's object (a canonical form) is a filler, or a concept `content` covers. */
const coveredConcept = (object: string, content: ReadonlyArray<ContentWord>) => {
  const concept = conceptOf(object, object)
  return concept === undefined || covered({ concept, form: object }, content)
}

/**
 * Every object of a role in `a` must hold in `b`: under the same role, or elsewhere in `b` ("in
 * Paris" / "in Lyon" do not) — but never under the opposite role ("from Paris" / "to Paris"), and
 * not when `b` gives that role a word `a` uses elsewhere ("convert liters to gallons" / "convert
 * gallons to liters").
 */
const rolesHold = (a: Facts, b: Facts, explained: ReadonlySet<string>) => {
  for (const [role, objects] of a.roles) {
    const theirs = b.roles.get(role) ?? []
    const ours = objects
    const opposed = W.opposedRoles.get(role)
    for (const object of objects) {
      if (occurs(object, theirs) || explained.has(object)) continue
      if (opposed !== undefined && [...opposed].some((o) => (b.roles.get(o) ?? []).includes(object))) return false
      // an object `b` lacks altogether: refused unless it is a filler ("at the moment") or `b` covers its concept ("beachside")
      if (!occurs(object, b.words) && !coveredConcept(object, b.content)) return false
      if (b.plain.has(object) && theirs.some((other) => !ours.includes(other) && a.plain.has(other))) return false
    }
  }
  return true
}

/**
 * Whether `a` ends on a preposition whose object it fronted ("packages that react depends on",
 * "who is this mail from") while `b` gives that preposition an object that `a` holds elsewhere
 * ("packages that depend on react"): the word plays another part in each text.
 */
const strandedMoved = (a: Facts, b: Facts) => {
  const last = a.words.at(-1) ?? ""
  if (!W.roles.has(last) || a.words.length < 3) return false
  return (b.roles.get(last) ?? []).some((object) => a.words.includes(object) && conceptOf(object, object) !== undefined)
}

/** Whether two sorted lists of names match one to one, tolerating a typo in a name ("Seatle" / "Seattle"). */
const sameNames = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => {
  if (a.length !== b.length) return false
  const unmatched = b.filter((name) => !a.includes(name))
  const left = a.filter((name) => !b.includes(name))
  return left.length === unmatched.length && left.every((name, i) => isTypoOf(name, unmatched[i]!) || isSwapOf(name, unmatched[i]!))
}

/**
 * Whether the texts are one template with one word filled differently ("apple stock price" /
 * "google stock price"): the same words in the same order but one, and that one neither a typo
 * ("raed" / "read") nor a synonym the Guard knows ("cheap" / "budget").
 */
const oneSlotDiffers = (a: Facts, b: Facts) => {
  if (a.words.length !== b.words.length || a.words.length < 2) return false
  let differing = -1
  for (let i = 0; i < a.words.length; i++) {
    if (a.words[i] === b.words[i]) continue
    if (differing >= 0) return false
    differing = i
  }
  const [x, y] = [a.words[differing] ?? "", b.words[differing] ?? ""]
  const [fx, fy] = [a.forms[differing] ?? "", b.forms[differing] ?? ""]
  if (isTypoOf(fx, fy) || isSwapOf(fx, fy)) return false
  const [cx, cy] = [conceptOf(fx, x), conceptOf(fy, y)]
  const synonyms = W.polarity.has(x) && W.polarity.get(x) === W.polarity.get(y) ||
    cx !== undefined && cy !== undefined && covered({ concept: cx, form: fx }, [{ concept: cy, form: fy }])
  return differing >= 0 && !synonyms && !(x[0] === y[0] && x.length >= 3 && withinOneEdit(x, y))
}

/** At most this many names and words are compared for their order, so `orderFlipped` stays bounded. */
const maxOrderTerms = 16

/** The first index of each word of `words` that occurs once; -1 for a word that repeats. */
const singlePositions = (words: ReadonlyArray<string>) => {
  const positions = new Map<string, number>()
  words.forEach((w, i) => positions.set(w, positions.has(w) ? -1 : i))
  return positions
}

/** How many role prepositions stand before each index of `words` (one more entry than `words`). */
const prepositionsBefore = (words: ReadonlyArray<string>) => {
  const counts = [0]
  for (const w of words) counts.push(counts.at(-1)! + (W.roles.has(w) ? 1 : 0))
  return counts
}

/**
 * Whether a name and a topic word or another name, each once in both texts, stand in the opposite
 * order with no preposition between them in either text, when one text is a clause: subject and
 * object swapped around a verb ("modules that import utils.ts" / "modules that utils.ts imports",
 * "does React use Redux" / "does Redux use React"). A preposition between them is a legitimate
 * reordering ("price of Google" / "Google price"), and so is any order of keywords ("Paris
 * weather" / "weather Paris").
 */
const orderFlipped = (a: Facts, b: Facts) => {
  if (!a.forms.some((w) => W.clauseWords.has(w)) && !b.forms.some((w) => W.clauseWords.has(w))) return false
  const [pa, pb] = [singlePositions(a.words), singlePositions(b.words)]
  const shared = [...pa].filter(([w, i]) => i >= 0 && (pb.get(w) ?? -1) >= 0)
  const names = shared.filter(([w]) => a.names.has(w) || b.names.has(w)).slice(0, maxOrderTerms)
  const topics = shared.filter(([w]) => a.names.has(w) || b.names.has(w) || conceptOf(w, w) !== undefined || W.polarity.has(w))
    .slice(0, maxOrderTerms)
  if (names.length === 0 || topics.length === 0) return false
  const [ca, cb] = [prepositionsBefore(a.words), prepositionsBefore(b.words)]
  const between = (counts: ReadonlyArray<number>, i: number, j: number) => counts[Math.max(i, j)]! - counts[Math.min(i, j) + 1]! > 0
  for (const [name, ia] of names) {
    const ib = pb.get(name)!
    for (const [topic, ja] of topics) {
      const jb = pb.get(topic)!
      if ((ia < ja) !== (ib < jb) && !between(ca, ia, ja) && !between(cb, ib, jb)) return true
    }
  }
  return false
}

/** Words that join two names without ordering them ("Ford and Tesla", "React vs Vue"). */
const connectors: ReadonlySet<string> = new Set(["and", "or", "vs", "v", "versus", "&", "/", "+", "plus", "with", "between", "-"])

/** Whether the words of `words` between indices `i` and `j` only join names: connectors and other names. */
const joinedOnly = (words: ReadonlyArray<string>, names: ReadonlySet<string>, i: number, j: number) =>
  words.slice(Math.min(i, j) + 1, Math.max(i, j)).every((w) => connectors.has(w) || names.has(w))

/** The words around index `i` of `words`, names and determiners skipped ("price of one Tesla share" → "one", "share"). */
const neighbours = (words: ReadonlyArray<string>, names: ReadonlySet<string>, i: number) => {
  const skipped = (w: string) => names.has(w) || W.determiners.has(w)
  let [before, after] = [i - 1, i + 1]
  while (before >= 0 && skipped(words[before]!)) before--
  while (after < words.length && skipped(words[after]!)) after++
  return [words[before] ?? "^", words[after] ?? "$"] as const
}

/** Whether the name at `i` in `a` and the one at `j` in `b` stand in the same place: the same word before, or after. */
const samePlace = (a: ReadonlyArray<string>, i: number, b: ReadonlyArray<string>, j: number, names: ReadonlySet<string>) => {
  const [[beforeA, afterA], [beforeB, afterB]] = [neighbours(a, names, i), neighbours(b, names, j)]
  return beforeA === beforeB || afterA === afterB
}

/**
 * Whether two names, each once in both texts, changed places: each stands where the other stood
 * (the same word before or after it), with other words than connectors between them in both —
 * a relation read the other way ("how many Ford shares for the price of one Tesla share" /
 * "… Tesla shares for the price of one Ford share"). "Ford vs Tesla" / "Tesla and Ford" join the
 * names without ordering them; a phrase moved whole ("in src find Foo tests" / "find Foo tests in
 * src") puts no name in the other's place.
 */
const namesReordered = (a: Facts, b: Facts) => {
  const names = new Set([...a.names, ...b.names])
  const [pa, pb] = [singlePositions(a.words), singlePositions(b.words)]
  const shared = [...pa].filter(([w, i]) => i >= 0 && names.has(w) && (pb.get(w) ?? -1) >= 0).slice(0, maxOrderTerms)
  for (const [x, ia] of shared) {
    for (const [y, ja] of shared) {
      const [ib, jb] = [pb.get(x)!, pb.get(y)!]
      if (ia >= ja || ib < jb) continue
      if (joinedOnly(a.words, names, ia, ja) || joinedOnly(b.words, names, ib, jb)) continue
      if (samePlace(a.words, ia, b.words, jb, names) && samePlace(a.words, ja, b.words, ib, names)) return true
    }
  }
  return false
}

/** At most this many verbs both texts share are compared, so `rolesReversed` stays bounded. */
const maxVerbs = 4

/** Whether the token at `v` is a passive verb followed by its agent ("blocked by", "written by"). */
const passiveAt = (t: Facts, v: number) => /(?:ed|en)$/.test(t.forms[v] ?? "") && t.forms[v + 1] === "by"

/** The index of the nearest relative word ("that", "who") before index `v`, or -1. */
const relativeBefore = (t: Facts, v: number) => {
  let r = v - 1
  while (r >= 0 && !W.relatives.has(t.forms[r]!)) r--
  return r
}

/** Whether only auxiliaries ("are", "does") stand between indices `r` and `v`. */
const onlyAuxiliaries = (t: Facts, r: number, v: number) => t.forms.slice(r + 1, v).every((w) => W.auxiliaries.has(w))

/** Whether the word at `i` is a noun where it stands: a name, the object of a preposition, or after a determiner ("point of water", "the water"). */
const nounAt = (t: Facts, i: number) => {
  const word = t.words[i] ?? ""
  const before = t.forms[i - 1] ?? ""
  return t.names.has(word) || W.determiners.has(before) && !W.relatives.has(before) ||
    [...t.roles.values()].some((objects) => objects.includes(word))
}

/**
 * Whether the token at `v` reads as a verb: a plain word right after a relative word, auxiliaries
 * aside ("accounts that follow", "who is following"), or passive before its agent ("blocked by").
 * After a form of "be", a word that is neither "-ing" nor passive describes ("issues that are
 * open"). A word the texts share that one of them marks so is read as a verb in both.
 */
const verbAt = (t: Facts, v: number) => {
  const form = t.forms[v] ?? ""
  if (!lettersOnly.test(form) || W.relatives.has(form) || W.auxiliaries.has(form) || W.roles.has(form) || W.determiners.has(form)) return false
  if (passiveAt(t, v)) return true
  const r = relativeBefore(t, v)
  if (r < 0 || !onlyAuxiliaries(t, r, v)) return false
  return form.endsWith("ing") || !t.forms.slice(r + 1, v).some((w) => W.copulas.has(w))
}

/**
 * The part the token at `i` plays for the verb at `v`: "agent" (who does it) or "patient" (to whom
 * it is done), or undefined when a preposition governs it ("in Berlin"), which the roles of
 * prepositions already compare. Active: what follows the verb is its object, what stands between a
 * relative word and the verb its subject, and the head before the relative word its subject when
 * the verb follows the relative word directly ("accounts that follow user 42"), its object
 * otherwise ("accounts that user 42 follows"). Passive: the object of "by" is the agent, what stands
 * before the verb the patient ("issues blocked by #4521").
 */
const roleAt = (t: Facts, v: number, i: number): "agent" | "patient" | undefined => {
  let j = i - 1
  while (j >= 0 && j !== v && !W.roles.has(t.forms[j]!) && !W.relatives.has(t.forms[j]!)) j--
  const governor = j >= 0 && j !== v && W.roles.has(t.forms[j]!) ? j : -1
  if (passiveAt(t, v)) {
    if (i > v) return governor === v + 1 ? "agent" : undefined
    return governor < 0 ? "patient" : undefined
  }
  if (governor >= 0) return undefined
  if (i > v) return "patient"
  const r = relativeBefore(t, v)
  if (r < 0 || i > r) return "agent"
  return onlyAuxiliaries(t, r, v) ? "agent" : "patient"
}

/**
 * Whether the texts share a verb (the same stem, "follows" / "follow", "blocked" / "block") and a
 * word — a name, number or content word — that does it in one text and undergoes it in the other:
 * the entity moved to the other side of the verb ("accounts that user 42 follows" / "accounts
 * that follow user 42"), or the voice changed around it ("issues that block #4521" / "issues
 * blocked by #4521"). Active and passive that keep the roles agree ("issues that #4521 blocks" /
 * "issues blocked by #4521"). Without a relative word or a passive agent no word is read as a
 * verb: keywords in any order ("Paris weather today" / "today's weather in Paris") are no clause.
 */
const rolesReversed = (a: Facts, b: Facts) => {
  const [pa, pb] = [singlePositions(a.words), singlePositions(b.words)]
  const shared = [...pa].filter(([w, i]) => i >= 0 && (pb.get(w) ?? -1) >= 0)
  // a word followed by the same word in both texts heads a phrase that did not move ("that user 42 follows"): not the verb
  const verbs = shared.filter(([w, i]) =>
    (verbAt(a, i) || verbAt(b, pb.get(w)!)) && (a.words[i + 1] === undefined || a.words[i + 1] !== b.words[pb.get(w)! + 1]) &&
    !nounAt(a, i) && !nounAt(b, pb.get(w)!)
  ).slice(0, maxVerbs)
  if (verbs.length === 0) return false
  const entities = shared.filter(([w]) =>
    a.names.has(w) || b.names.has(w) || a.numbers.includes(w) || conceptOf(w, w) !== undefined
  ).slice(0, maxOrderTerms)
  for (const [verb, va] of verbs) {
    const vb = pb.get(verb)!
    for (const [entity, ia] of entities) {
      if (entity === verb) continue
      const [ra, rb] = [roleAt(a, va, ia), roleAt(b, vb, pb.get(entity)!)]
      if (ra !== undefined && rb !== undefined && ra !== rb) return true
    }
  }
  return false
}

/** Whether every number both texts count something with counts the same thing in both ("2 adults" / "2 children" do not). */
const sameCounts = (a: Facts, b: Facts) =>
  a.counted.every(([value, word]) => b.counted.every(([other, theirs]) => other !== value || covered(word, [theirs])))

/**
 * Whether what `a` negates is negated in `b` too, wherever `b` has it: "customers who bought A but
 * not B" / "customers who bought B but not A" hold one negation each, applied to different things.
 */
const sameScope = (a: Facts, b: Facts) => a.negated.every((word) => b.negated.includes(word) || !b.plain.has(word))

/** Whether two texts' facts agree (symmetric); the first disagreement found is the reason. */
export const agree = (a: Facts, b: Facts): Verdict => {
  if (a.tooLong || b.tooLong) return refuse("length")
  if (!sameList(a.quotes, b.quotes)) return refuse("quotes")
  if (!sameList(a.numbers, b.numbers) || !sameCounts(a, b)) return refuse("numbers")
  if (!sameList(a.dates, b.dates)) return refuse("dates")
  if (a.negations !== b.negations || !sameScope(a, b) || !sameScope(b, a)) return refuse("negation")
  if (a.asks.length > 0 && b.asks.length > 0 && !sameList(a.asks, b.asks)) return refuse("question")
  if (!sameList(a.polarity, b.polarity)) return refuse("polarity")
  const names = new Set([...a.names, ...b.names])
  const [explainedA, explainedB] = expansions(a, b)
  const unexplained = (words: ReadonlyArray<string>, explained: ReadonlySet<string>) =>
    explained.size === 0 ? words : words.filter((w) => !explained.has(w))
  if (!sameNames(namedIn(unexplained(a.words, explainedA), names), namedIn(unexplained(b.words, explainedB), names))) return refuse("names")
  if (!rolesHold(a, b, explainedA) || !rolesHold(b, a, explainedB) || orderFlipped(a, b) || namesReordered(a, b) ||
    strandedMoved(a, b) || strandedMoved(b, a) || rolesReversed(a, b)) return refuse("roles")
  if (oneSlotDiffers(a, b)) return refuse("slot")
  return agreed
}

/** The content words each text has that the other does not cover, acronyms spelled out in the other text aside. */
export const unsharedWords = (a: Facts, b: Facts): readonly [ReadonlyArray<ContentWord>, ReadonlyArray<ContentWord>] => {
  const [explainedA, explainedB] = expansions(a, b)
  const unexplained = (words: ReadonlyArray<ContentWord>, explained: ReadonlySet<string>) =>
    explained.size === 0 ? words : words.filter((w) => !explained.has(w.form) && !explained.has(w.concept))
  const [contentA, contentB] = [unexplained(a.content, explainedA), unexplained(b.content, explainedB)]
  return [uncovered(contentA, contentB), uncovered(contentB, contentA)]
}

/**
 * How many of `unshared` (content words of `x` that `y` lacks) stand right before a word both texts
 * share: a modifier that narrows what both ask about ("water temperature in Montreal" /
 * "temperature in Montreal", "graphics card price" / "stock price").
 */
export const modifiers = (x: Facts, y: Facts, unshared: ReadonlyArray<ContentWord>): number => {
  let count = 0
  for (const word of unshared) {
    const i = x.forms.indexOf(word.form)
    const [form, key] = [x.forms[i + 1], x.words[i + 1]]
    if (i < 0 || form === undefined || key === undefined) continue
    const concept = conceptOf(form, key)
    const next = concept === undefined ? undefined : { concept, form }
    if (next !== undefined && !unshared.some((w) => w.concept === next.concept) && covered(next, y.content)) count++
  }
  return count
}

/** At most this many tokens on each side make the one span `swappedSpan` looks at. */
const maxSpan = 2

/**
 * Whether the texts are one template with one short span filled differently, each span holding a
 * content word the other text lacks ("issues assigned to me in vitejs/vite" / "issues created by
 * me in vitejs/vite"): the same words before and after, at most `maxSpan` tokens between. A
 * paraphrase rewords more than one slot; a query that swaps one word of a template for another
 * asks about something else, however close the embeddings.
 */
const swappedSpan = (a: Facts, b: Facts, onlyA: ReadonlyArray<ContentWord>, onlyB: ReadonlyArray<ContentWord>) => {
  if (onlyA.length === 0 || onlyB.length === 0) return false
  const [spanA, spanB] = differingSpans(a, b)
  return spanA.length <= maxSpan && spanB.length <= maxSpan && onlyA.every((w) => spanA.includes(w.form)) &&
    onlyB.every((w) => spanB.includes(w.form))
}

/** The written forms of each text between the longest prefix and suffix of words both share. */
const differingSpans = (a: Facts, b: Facts) => {
  let start = 0
  while (start < a.words.length && start < b.words.length && a.words[start] === b.words[start]) start++
  let end = 0
  while (end < a.words.length - start && end < b.words.length - start && a.words.at(-1 - end) === b.words.at(-1 - end)) end++
  return [a.forms.slice(start, a.forms.length - end), b.forms.slice(start, b.forms.length - end)] as const
}

/**
 * Whether one text is the other with words inserted, among them a content word the other lacks
 * ("directions to downtown Denver" / "directions to downtown Denver avoiding tolls", "temperature
 * in Montreal" / "water temperature in Montreal"): the longer asks something narrower.
 */
const inserted = (a: Facts, b: Facts, onlyA: ReadonlyArray<ContentWord>, onlyB: ReadonlyArray<ContentWord>) => {
  if ((onlyA.length === 0) === (onlyB.length === 0)) return false
  const [spanA, spanB] = differingSpans(a, b)
  return spanA.length === 0 || spanB.length === 0
}

/** The cosine `accept` asks of two texts that do not share `unshared` content words, at base `threshold`. */
export const requiredCosine = (threshold: number, unshared: number): number =>
  unshared <= 0 ? threshold : 1 - (1 - threshold) * firstWordFactor * unsharedWordFactor ** (unshared - 1)

/**
 * The semantic tier's rule: whether a stored query (facts `a`) may answer a new one (facts `b`)
 * whose embeddings have `cosine` similarity. The facts must `agree`, and the cosine must reach
 * `threshold` — raised for each content word beyond the first that one text has and the other
 * lacks (`requiredCosine`): "hotels in Barcelona near the beach" / "Barcelona beach volleyball
 * tournament" share names but not their topic. Symmetric; a NaN cosine never hits.
 */
export const accept = (a: Facts, b: Facts, cosine: number, threshold: number = defaultThreshold): Verdict => {
  const verdict = agree(a, b)
  if (!verdict.agree) return verdict
  const [onlyA, onlyB] = unsharedWords(a, b)
  if (swappedSpan(a, b, onlyA, onlyB)) return refuse("slot")
  if (inserted(a, b, onlyA, onlyB)) return refuse("topic")
  const unshared = onlyA.length + onlyB.length + modifiers(a, b, onlyA) + modifiers(b, a, onlyB)
  if (cosine >= requiredCosine(threshold, unshared)) return agreed
  return refuse(unshared > 0 && cosine >= threshold ? "topic" : "similarity")
}

/** `agree(facts(a), facts(b))`: whether two texts may share an answer, beyond their embeddings' similarity. */
export const check = (a: string, b: string): Verdict => agree(facts(a), facts(b))
