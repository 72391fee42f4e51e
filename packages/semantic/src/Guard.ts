/**
 * The Guard: decides whether two texts whose embeddings are close may share a cached answer.
 * Embeddings score "flights from Paris to London" and "flights from London to Paris" as near
 * twins; the Guard reads what embeddings blur — numbers (with their units, written or in digits),
 * dates and times, quoted strings, names and identifiers (capitalised words, acronyms, code
 * identifiers, e-mails, URLs, paths, versions), negations, words of direction ("above"/"below",
 * "buy"/"sell"), what a number counts, the role each word plays after a preposition ("from X" /
 * "to X") and subject/object order around a verb — and refuses the hit when any of them disagree
 * (`agree`). `accept` is the semantic tier's whole rule: the facts agree, and the cosine reaches
 * a threshold raised for each content word the texts do not share ("Barcelona beach volleyball
 * tournament" is not "hotels in Barcelona near the beach"). Pure and bounded: `facts` once per
 * text (the tier keeps the facts of each stored query), `accept` per candidate. A text longer
 * than `maxTextLength` never agrees with anything.
 */
import { conceptOf, type ContentWord, covered, isSwapOf, isTypoOf, uncovered, withinOneEdit } from "./internal/coverage.ts"
import * as W from "./internal/guardWords.ts"

/** Texts longer than this many characters are refused (the tier treats them as a miss), so every call is bounded. */
export const maxTextLength = 1000

/**
 * The base cosine threshold of `accept` (the lowest cosine at which the semantic tier considers a
 * stored query), unless a tool sets its own: chosen by `npm run bench:semantic` — the most
 * paraphrase hits with ≤ 1 % of hard negatives hit over the project's labelled pairs pooled (see
 * bench/results/semantic.json and the README's evaluation table).
 */
export const defaultThreshold = 0.6

/** At most this many tokens of a text are read; `maxTextLength` already keeps real texts below it. */
const maxTokens = 300

/** At most this many content words of a text are compared (each with each of the other text's), so `accept` stays bounded. */
const maxContentWords = 32

/**
 * How much stricter `accept` gets per content word the two texts do not share: the first is free
 * (one synonym the tables miss, one added generic word), and each further one multiplies the
 * cosine distance a hit may have (1 − threshold) by this factor. Chosen on the tuning part of the
 * project's labelled pairs (`npm run bench:semantic`; see the README's evaluation).
 */
export const unsharedWordFactor = 0.3

/**
 * Which kind of fact two texts disagreed on; from `accept` also "topic" (content words one text has
 * and the other lacks, for their cosine) and "similarity" (cosine below the threshold).
 */
export type Mismatch =
  | "length" | "quotes" | "numbers" | "dates" | "negation" | "polarity" | "names" | "roles" | "slot" | "topic" | "similarity"

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
  if (shift !== undefined && W.periods.has(nextLower)) {
    const key = `${shift}:${stem(nextLower)}`
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
      roles: new Map(), counted: [], acronyms: [], content: []
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
    content: contentOf(tokens)
  }
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
    if (word === undefined || seen.has(word.concept)) continue
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

/** Whether every number both texts count something with counts the same thing in both ("2 adults" / "2 children" do not). */
const sameCounts = (a: Facts, b: Facts) =>
  a.counted.every(([value, word]) => b.counted.every(([other, theirs]) => other !== value || covered(word, [theirs])))

/** Whether two texts' facts agree (symmetric); the first disagreement found is the reason. */
export const agree = (a: Facts, b: Facts): Verdict => {
  if (a.tooLong || b.tooLong) return refuse("length")
  if (!sameList(a.quotes, b.quotes)) return refuse("quotes")
  if (!sameList(a.numbers, b.numbers) || !sameCounts(a, b)) return refuse("numbers")
  if (!sameList(a.dates, b.dates)) return refuse("dates")
  if (a.negations !== b.negations) return refuse("negation")
  if (!sameList(a.polarity, b.polarity)) return refuse("polarity")
  const names = new Set([...a.names, ...b.names])
  const [explainedA, explainedB] = expansions(a, b)
  const unexplained = (words: ReadonlyArray<string>, explained: ReadonlySet<string>) =>
    explained.size === 0 ? words : words.filter((w) => !explained.has(w))
  if (!sameNames(namedIn(unexplained(a.words, explainedA), names), namedIn(unexplained(b.words, explainedB), names))) return refuse("names")
  if (!rolesHold(a, b, explainedA) || !rolesHold(b, a, explainedB) || orderFlipped(a, b)) return refuse("roles")
  if (oneSlotDiffers(a, b)) return refuse("slot")
  return agreed
}

/** The cosine `accept` asks of two texts that do not share `unshared` content words, at base `threshold`. */
export const requiredCosine = (threshold: number, unshared: number): number =>
  unshared <= 1 ? threshold : 1 - (1 - threshold) * unsharedWordFactor ** (unshared - 1)

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
  const [explainedA, explainedB] = expansions(a, b)
  const unexplained = (words: ReadonlyArray<ContentWord>, explained: ReadonlySet<string>) =>
    explained.size === 0 ? words : words.filter((w) => !explained.has(w.form) && !explained.has(w.concept))
  const [contentA, contentB] = [unexplained(a.content, explainedA), unexplained(b.content, explainedB)]
  const unshared = uncovered(contentA, contentB).length + uncovered(contentB, contentA).length
  if (cosine >= requiredCosine(threshold, unshared)) return agreed
  return refuse(unshared > 1 && cosine >= threshold ? "topic" : "similarity")
}

/** `agree(facts(a), facts(b))`: whether two texts may share an answer, beyond their embeddings' similarity. */
export const check = (a: string, b: string): Verdict => agree(facts(a), facts(b))
