/**
 * The word tables of the Guard's content-word check: the words a query can gain or lose without
 * asking something else (function words and the generic vocabulary of asking — "how", "show me",
 * "example", "explained"), and groups of words that name one concept in tool queries ("stock" /
 * "shares", "docs" / "documentation", "tyre" / "tire"). Written for query vocabulary in general,
 * not for any labelled pair. Lower-case keys.
 */

const table = (groups: Record<string, ReadonlyArray<string>>): ReadonlyMap<string, string> =>
  new Map(Object.entries(groups).flatMap(([canonical, words]) => words.map((word) => [word, canonical] as const)))

/** Words that carry no topic of their own: a text may have them and the other not. */
export const fillers: ReadonlySet<string> = new Set([
  // function words
  "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "about", "into", "onto", "as", "via", "per",
  "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done", "have", "has", "had", "having",
  "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their",
  "this", "that", "these", "those", "what", "whats", "what's", "which", "who", "whom", "whose", "where", "when", "why", "how",
  "hows", "how's", "there", "here", "can", "could", "would", "should", "will", "shall", "might", "must", "please", "any", "some",
  "each", "every", "and", "or", "but", "if", "then", "so", "too", "very", "just", "also", "really", "much", "many", "more", "most",
  "again", "ever", "else", "one", "ones", "i'm", "im", "i'd", "id", "let", "lets", "let's", "there's", "it's", "thats", "that's",
  "whats", "whos", "who's", "where's", "wheres", "up", "out", "off", "between", "during", "whether", "vs", "versus", "than",
  "within", "across", "through", "among",
  // the vocabulary of asking
  "get", "got", "give", "show", "tell", "find", "list", "search", "look", "lookup", "see", "check", "fetch", "return",
  "want", "need", "like", "know", "way", "ways", "thing", "things", "going", "gonna", "go", "happen", "happened", "happening",
  "say", "said", "mean", "means", "meaning", "explain", "explained", "explanation", "example", "examples", "sample", "tutorial",
  "guide", "docs", "doc", "documentation", "reference", "help", "info", "information", "detail", "details", "overview",
  "syntax", "usage", "usages", "use", "using", "used", "uses", "step", "steps", "able",
  "possible", "convert", "conversion", "best", "good", "quick", "quickly", "simple", "easy", "easiest", "correct", "correctly", "proper", "properly",
  "right", "now", "currently", "current", "moment", "present", "presently", "actually", "exact",
  "exactly", "approximately", "roughly", "number", "amount", "value", "total", "make", "made", "making",
  "query", "question", "answer", "expected", "expect", "likely", "chance", "anything",
  "something", "someone", "anyone", "stuff", "kind", "type", "sort", "lot", "lots", "bit", "code", "command", "commands",
  "near", "me", "nearby", "available", "official", "specific", "particular", "certain", "general", "common"
])

/** Words that name one concept in tool queries; the key is the concept. Spelling variants and abbreviations included. */
export const concepts = table({
  stock: ["stock", "stocks", "share", "shares", "equity", "ticker"],
  price: ["price", "prices", "cost", "costs", "worth", "trading", "trade", "trades", "quote", "quotes", "valuation"],
  flight: ["flight", "flights", "airfare", "airfares", "fare", "fares", "fly", "flying", "plane", "planes"],
  hotel: ["hotel", "hotels", "accommodation", "accommodations", "lodging", "lodgings", "stay", "motel", "inn"],
  capitalization: ["cap", "capitalization", "capitalisation", "marketcap"],
  direct: ["direct", "nonstop", "non-stop"],
  weather: ["weather", "forecast", "forecasts", "meteo"],
  temperature: ["temperature", "temperatures", "temp", "hot", "warm", "heat"],
  technology: ["technology", "technologies", "tech"],
  news: ["news", "headline", "headlines", "stories", "story", "article", "articles", "update", "updates", "report", "reports"],
  win: ["win", "wins", "won", "winner", "winners", "winning", "victor", "champion", "champions"],
  outcome: ["outcome", "outcomes", "result", "results"],
  author: ["author", "authors", "wrote", "write", "written", "writer", "writers"],
  height: ["height", "tall", "tallness"],
  age: ["age", "old", "aged"],
  population: ["population", "people", "inhabitants", "residents"],
  distance: ["distance", "far", "away"],
  big: ["big", "large", "huge", "bigger", "larger"],
  small: ["small", "little", "tiny", "smaller"],
  fast: ["fast", "quick", "rapid", "faster", "speed", "speedy"],
  fix: ["fix", "fixes", "fixing", "solve", "resolve", "repair", "solution", "workaround"],
  create: ["create", "creates", "creating", "build", "builds", "generate"],
  change: ["change", "changes", "modify", "modifies", "edit", "edits", "alter"],
  install: ["install", "installing", "installation", "setup", "set-up"],
  define: ["define", "defines", "defined", "definition", "definitions", "declare", "declares", "declared", "declaration", "declaring"],
  call: ["call", "calls", "called", "calling", "caller", "callers", "invoke", "invokes", "invoked", "invocation"],
  import: ["import", "imports", "imported", "importing", "require", "requires", "required", "requiring"],
  function: ["function", "functions", "func", "fn", "routine"],
  dictionary: ["dictionary", "dictionaries", "dict", "dicts", "hashmap"],
  repository: ["repository", "repositories", "repo", "repos"],
  configuration: ["configuration", "config", "configs", "settings", "setting"],
  environment: ["environment", "env"],
  database: ["database", "databases", "db"],
  application: ["application", "app", "apps"],
  picture: ["picture", "pictures", "pic", "pics", "photo", "photos", "image", "images", "img"],
  library: ["library", "libraries", "lib", "libs", "package", "packages", "module", "modules"],
  variable: ["variable", "variables", "var", "vars"],
  argument: ["argument", "arguments", "arg", "args", "parameter", "parameters", "param", "params"],
  message: ["message", "messages", "msg"],
  car: ["car", "cars", "automobile", "vehicle", "vehicles", "auto"],
  tire: ["tire", "tires", "tyre", "tyres"],
  gas: ["gas", "petrol", "fuel"],
  symptom: ["symptom", "symptoms", "sign", "signs"],
  recipe: ["recipe", "recipes", "cook", "cooking", "prepare"],
  closest: ["closest", "nearest"],
  open: ["open", "opening", "opens"],
  version: ["version", "versions", "release", "releases"],
  translate: ["translate", "translation", "translated", "say"],
  pizza: ["pizza", "pizzas", "pizzeria", "pizzerias"],
  restaurant: ["restaurant", "restaurants", "eatery", "eateries", "diner", "diners"],
  doctor: ["doctor", "doctors", "physician", "physicians", "gp"],
  movie: ["movie", "movies", "film", "films"],
  phone: ["phone", "phones", "smartphone", "smartphones", "mobile", "cellphone"],
  laptop: ["laptop", "laptops", "notebook", "notebooks"],
  error: ["error", "errors", "exception", "exceptions"]
})
