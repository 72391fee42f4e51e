/**
 * The Guard's word tables: written numbers, units, date words, negations, words of opposite
 * direction and the role prepositions. Lower-case keys; values are canonical forms, so synonyms
 * ("km", "kilometres") compare equal and opposites ("above", "below") do not.
 */

const table = (groups: Record<string, ReadonlyArray<string>>): ReadonlyMap<string, string> =>
  new Map(Object.entries(groups).flatMap(([canonical, words]) => words.map((word) => [word, canonical] as const)))

/** Written numbers worth reading ("two" = "2"); compounds ("twenty five") are added up by the Guard. */
export const writtenNumbers: ReadonlyMap<string, number> = new Map([
  ...["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"].map((w, i) => [w, i] as const),
  ["thirty", 30], ["forty", 40], ["fifty", 50], ["sixty", 60], ["seventy", 70], ["eighty", 80], ["ninety", 90],
  ["hundred", 100], ["thousand", 1000], ["million", 1_000_000], ["billion", 1_000_000_000], ["dozen", 12]
])

/** Ordinals as numbers of their own kind ("3rd" = "third" ≠ "3"). "second" is left out: it is also a unit. */
export const ordinals: ReadonlyMap<string, number> = new Map([
  ["first", 1], ["third", 3], ["fourth", 4], ["fifth", 5], ["sixth", 6], ["seventh", 7], ["eighth", 8], ["ninth", 9], ["tenth", 10]
])

/** Units that bind to a number before them ("5 km" ≠ "5 miles"); currency symbols are read as their code. */
export const units = table({
  km: ["km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"],
  mi: ["mi", "mile", "miles"],
  m: ["m", "meter", "meters", "metre", "metres"],
  cm: ["cm", "centimeter", "centimeters", "centimetre", "centimetres"],
  mm: ["mm", "millimeter", "millimeters", "millimetre", "millimetres"],
  ft: ["ft", "foot", "feet"],
  in: ["inch", "inches"],
  yd: ["yd", "yard", "yards"],
  kg: ["kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"],
  g: ["g", "gram", "grams"],
  lb: ["lb", "lbs", "pound", "pounds"],
  oz: ["oz", "ounce", "ounces"],
  l: ["l", "liter", "liters", "litre", "litres"],
  ml: ["ml", "milliliter", "milliliters", "millilitre", "millilitres"],
  gal: ["gal", "gallon", "gallons"],
  c: ["c", "°c", "celsius", "centigrade"],
  f: ["f", "°f", "fahrenheit"],
  kelvin: ["kelvin"],
  mph: ["mph"],
  kmh: ["kmh", "kph", "km/h"],
  usd: ["usd", "$", "dollar", "dollars", "bucks"],
  eur: ["eur", "€", "euro", "euros"],
  gbp: ["gbp", "£", "sterling"],
  jpy: ["jpy", "¥", "yen"],
  chf: ["chf", "franc", "francs"],
  h: ["h", "hr", "hrs", "hour", "hours"],
  min: ["min", "mins", "minute", "minutes"],
  s: ["s", "sec", "secs", "second", "seconds"],
  ms: ["ms", "millisecond", "milliseconds"],
  day: ["day", "days"],
  week: ["week", "weeks"],
  month: ["month", "months"],
  year: ["year", "years", "yr", "yrs"],
  kb: ["kb", "kilobyte", "kilobytes"],
  mb: ["mb", "megabyte", "megabytes"],
  gb: ["gb", "gigabyte", "gigabytes"],
  tb: ["tb", "terabyte", "terabytes"],
  "%": ["%", "percent", "pct"],
  px: ["px", "pixel", "pixels"],
  k: ["k"],
  am: ["am", "a.m."],
  pm: ["pm", "p.m."]
})

/** Date and time words, read wherever they stand ("today" ≠ "tomorrow", "Tue" = "Tuesday"). */
export const dateWords = table({
  january: ["january", "jan"], february: ["february", "feb"], march: ["march"], april: ["april", "apr"],
  june: ["june", "jun"], july: ["july", "jul"], august: ["august", "aug"], september: ["september", "sep", "sept"],
  october: ["october", "oct"], november: ["november", "nov"], december: ["december", "dec"],
  monday: ["monday", "mon"], tuesday: ["tuesday", "tue", "tues"], wednesday: ["wednesday", "wed"],
  thursday: ["thursday", "thu", "thurs"], friday: ["friday", "fri"], saturday: ["saturday", "sat"], sunday: ["sunday", "sun"],
  today: ["today", "todays"], tonight: ["tonight"], tomorrow: ["tomorrow", "tmrw", "tomorrows"], yesterday: ["yesterday"],
  weekend: ["weekend"], morning: ["morning"], afternoon: ["afternoon"], evening: ["evening"], night: ["night", "overnight"],
  "12:00": ["noon", "midday"], "00:00": ["midnight"],
  q1: ["q1"], q2: ["q2"], q3: ["q3"], q4: ["q4"],
  spring: ["spring"], summer: ["summer"], autumn: ["autumn", "fall"], winter: ["winter"]
})

/** Words that move a period: "next week" ≠ "last week"; "this week" is just "week". */
export const periodShifts = table({ next: ["next", "coming", "upcoming"], last: ["last", "past", "previous", "prior"] })

/** Periods a shift applies to. */
export const periods: ReadonlySet<string> = new Set([
  "day", "days", "week", "weeks", "weekend", "month", "months", "year", "years", "quarter", "hour", "hours",
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "night", "season", "release", "version"
])

/** Negations; each counts once ("isn't", "without", "no" and "never" are one each). */
export const negations: ReadonlySet<string> = new Set([
  "not", "no", "never", "none", "nothing", "without", "nor", "cannot", "neither", "except", "excluding", "exclude",
  "excludes", "non", "lacking", "w/o"
])

/** Words of direction: each maps to its side; a text saying "above" and one saying "below" never agree. */
export const polarity = table({
  gt: ["above", "over", "exceeding", "exceeds", "greater", "higher", "max", "maximum", "largest", "biggest", "highest"],
  lt: ["below", "under", "less", "fewer", "lower", "min", "minimum", "least", "smallest", "lowest"],
  before: ["before", "earlier"], after: ["after", "later", "since"],
  asc: ["ascending", "asc", "increasing"], desc: ["descending", "desc", "decreasing"],
  cheap: ["cheapest", "cheap", "cheaper", "budget", "inexpensive", "affordable"], dear: ["expensive", "priciest", "pricier", "luxury"],
  new: ["newest", "newer", "latest", "recent"], old: ["oldest", "older", "earliest", "legacy"],
  best: ["best", "top"], worst: ["worst"],
  buy: ["buy", "buying", "purchase"], sell: ["sell", "selling"],
  encode: ["encode", "encoding", "serialize", "serialise"], decode: ["decode", "decoding", "deserialize", "deserialise"],
  upload: ["upload", "uploading"], download: ["download", "downloading"],
  import: ["import", "imports", "importing"], export: ["export", "exports", "exporting"],
  enable: ["enable", "enabling", "turn on", "activate"], disable: ["disable", "disabling", "turn off", "deactivate"],
  add: ["add", "adding", "insert", "append"], remove: ["remove", "removing", "delete", "deleting"],
  start: ["start", "begin", "launch"], stop: ["stop", "kill"],
  increase: ["increase", "raise", "gainers"], decrease: ["decrease", "reduce", "shrink", "losers"],
  north: ["north", "northern"], south: ["south", "southern"], east: ["east", "eastern"], west: ["west", "western"],
  arrive: ["arrival", "arrivals", "arriving", "arrive"], depart: ["departure", "departures", "departing", "depart", "leaving"],
  push: ["push"], pull: ["pull"],
  in: ["inbound", "incoming"], out: ["outbound", "outgoing"],
  synchronous: ["sync", "synchronous", "synchronously"], asynchronous: ["async", "asynchronous", "asynchronously"],
  male: ["male", "men", "mens"], female: ["female", "women", "womens"],
  max_: ["maximize"], min_: ["minimize"]
})

/** Direction words that are comparisons only before a number ("above 30"); elsewhere they are places ("under src/"). */
export const comparisons: ReadonlySet<string> = new Set(["above", "over", "below", "under", "exceeding", "exceeds"])

/** Prepositions whose object is the role a word plays ("from Paris" vs "to Paris"). */
export const roles: ReadonlySet<string> = new Set([
  "from", "to", "into", "in", "at", "for", "of", "near", "on", "by", "via", "before", "after", "than", "since", "until",
  "till", "with", "without", "about", "against", "over", "under", "above", "below", "around", "inside", "within", "onto", "towards", "toward"
])

/** Pairs of roles that say opposite things: a word that is the object of one in a text and of the other in the second text was moved. */
export const opposedRoles: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const pairs: ReadonlyArray<readonly [string, string]> = [
    ["from", "to"], ["from", "into"], ["from", "onto"], ["from", "towards"], ["from", "toward"], ["before", "after"],
    ["before", "since"], ["above", "below"], ["above", "under"], ["over", "under"], ["over", "below"], ["since", "until"], ["since", "till"]
  ]
  const opposed = new Map<string, Set<string>>()
  for (const [x, y] of pairs) {
    opposed.set(x, (opposed.get(x) ?? new Set()).add(y))
    opposed.set(y, (opposed.get(y) ?? new Set()).add(x))
  }
  return opposed
})()

/** Words that make a text a clause, where word order carries who does what ("modules that import X", "who does X follow"). */
export const clauseWords: ReadonlySet<string> = new Set([
  "that", "which", "who", "whom", "whose", "does", "do", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could",
  "will", "would", "should"
])

/** Words that open a relative clause or a question about one: the verb right after one has the head before it as subject ("accounts that follow …"). */
export const relatives: ReadonlySet<string> = new Set(["that", "which", "who", "whom"])

/** Forms of "be": after one, a word is a verb only as "-ing" ("that are following") or passive with its agent ("that are blocked by"); otherwise it describes ("that are open"). */
export const copulas: ReadonlySet<string> = new Set(["is", "are", "was", "were", "be", "been", "being"])

/** Auxiliary verbs, skipped between a relative word and its verb ("issues that are blocked by", "who does user 42 follow"). */
export const auxiliaries: ReadonlySet<string> = new Set([
  "is", "are", "was", "were", "be", "been", "being", "does", "do", "did", "has", "have", "had", "can", "could", "will", "would", "should",
  "may", "might", "must"
])

/** Words skipped between a preposition and its object ("to the city", "for my account"). */
export const determiners: ReadonlySet<string> = new Set([
  "the", "a", "an", "my", "our", "your", "their", "his", "her", "its", "this", "that", "these", "those", "some", "any", "all"
])

/** Words after which "to" is not a role ("how to", "want to"). */
export const infinitiveMarkers: ReadonlySet<string> = new Set([
  "how", "want", "wants", "need", "needs", "way", "ways", "trying", "try", "able", "going", "have", "has", "used", "like", "best", "easiest", "fastest", "quickest"
])

/**
 * Common words that start a query capitalised without naming anything ("What", "Show", "Weather"):
 * a capitalised first word outside this list is read as a name.
 */
export const commonStarts: ReadonlySet<string> = new Set([
  "what", "whats", "what's", "how", "hows", "where", "when", "who", "which", "why", "is", "are", "was", "were", "do", "does",
  "did", "can", "could", "would", "should", "will", "show", "find", "get", "give", "tell", "list", "search", "look", "lookup",
  "check", "convert", "fetch", "please", "i", "i'm", "im", "we", "my", "the", "a", "an", "any", "current", "latest", "today",
  "todays", "weather", "forecast", "temperature", "flights", "flight", "cheap", "cheapest", "stock", "stocks", "price", "prices",
  "quote", "docs", "documentation", "reference", "example", "examples", "code", "usage", "open", "read", "in", "on", "at", "for",
  "from", "to", "with", "without", "not", "no", "news", "hotels", "hotel", "restaurants", "best", "top", "need", "want",
  "help", "explain", "compare", "calculate", "translate", "define", "definition", "meaning", "error", "errors", "exchange",
  "rate", "rates", "buy", "sell", "book", "display", "return", "returns", "fix", "use", "using", "set", "make", "create",
  "delete", "remove", "add", "install", "run", "start", "stop", "upcoming", "next", "last", "rain", "snow", "will", "it",
  "there", "and", "or", "all", "some", "one", "two", "hey", "hi", "ok", "so", "also", "then", "now", "quick", "simple",
  "distance", "time", "times", "date", "population", "capital", "train", "trains", "bus", "route", "directions"
])
