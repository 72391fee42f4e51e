/**
 * HTML to readable Markdown for `fetch_url`: the title, then the page's main content (its `<main>`,
 * or its one `<article>`) without its noise (scripts, styles, navigation, forms, embedded media,
 * and chrome named by role, `hidden` or class: menus, sidebars, cookie banners, share buttons …).
 * node-html-markdown does the conversion, but its cost
 * grows with the square of a document's size (it re-reads its whole output after every append),
 * so the page is cut at top-level block boundaries into pieces of bounded size, converted piece
 * by piece, and conversion stops once enough Markdown has been produced.
 */
import { Effect } from "effect"
import { NodeHtmlMarkdown } from "node-html-markdown"

/** Elements whose content is never readable text: dropped with everything inside them before conversion. */
const NOISE = ["script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "head", "select"]

/** Elements node-html-markdown skips while converting (page chrome rather than content). */
const IGNORED = ["nav", "footer", "aside", "form", "button", "input", "textarea", "dialog", "menu"]

/** Containers whose pieces only make sense together: a cut never falls inside one (unless a piece grows past `HARD_PIECE_CHARS`). */
const CONTAINERS = new Set(["ul", "ol", "table", "pre", "blockquote", "dl", "figure", "code"])

/** Block elements a piece may start at. */
const BLOCKS = new Set(["p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "blockquote", "dl", "figure", "hr", "li"])

/** A piece is cut at the next block boundary once it is this long … */
const PIECE_CHARS = 16 * 1024
/** … and at the next tag whatever it is inside once it is this long (malformed or huge containers). */
const HARD_PIECE_CHARS = 96 * 1024

/** Elements without content or closing tag. */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"])

/** Words that name page chrome in a class or id (`site-menu`, `cookie_banner`, `sidebar`) … */
const CHROME_WORDS = new Set([
  "nav", "navbar", "navigation", "menu", "sidebar", "footer", "cookie", "cookies", "consent", "banner", "ad", "ads", "advert",
  "advertisement", "share", "sharing", "social", "breadcrumb", "breadcrumbs", "related", "popup", "modal", "newsletter", "subscribe", "skip"
])
/** … and words that may stand beside them in such a name (`main-nav`, `footer-links`); a name with any other word is content. */
const CHROME_MODIFIERS = new Set([
  "site", "top", "bottom", "main", "primary", "secondary", "global", "header", "wrapper", "wrap", "container", "bar", "links", "link",
  "list", "widget", "area", "box", "block", "notice", "buttons", "button", "icons", "left", "right", "mobile", "desktop", "inner",
  "outer", "toggle", "overlay", "js", "page"
])
/** ARIA roles and attributes of chrome. */
const CHROME_ATTRIBUTE = /\brole\s*=\s*["']?(?:navigation|banner|contentinfo|complementary|search|dialog|alertdialog)\b|\baria-hidden\s*=\s*["']?true\b|\shidden(?=[\s=/>]|$)/
/** Chrome elements looked for per page at most (each costs a bounded scan for its end). */
const MAX_CHROME_CHECKS = 300
/** How far the end of a chrome element is looked for; one that does not end within it is kept. */
const CHROME_SCAN_CHARS = 128 * 1024
/** A `<main>` or `<article>` shorter than this is not trusted as the page's content (an empty shell filled by scripts). */
const MIN_MAIN_CHARS = 500

/** Longest title kept, in characters. */
const MAX_TITLE = 300

const converter = new NodeHtmlMarkdown({ ignore: IGNORED, maxConsecutiveNewlines: 2, keepDataImages: false })

/** Lower-cases ASCII letters only, so every index into the result is an index into `text` (full case mapping may change lengths). */
const asciiLower = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())

/** The page's `<title>`, entities decoded and whitespace collapsed, or undefined. */
export const titleOf = (html: string): string | undefined => {
  const lower = asciiLower(html.slice(0, 256 * 1024))
  const open = lower.indexOf("<title")
  if (open < 0) return undefined
  const start = lower.indexOf(">", open)
  const end = lower.indexOf("</title", start)
  if (start < 0 || end < 0) return undefined
  const text = converter.translate(html.slice(start + 1, Math.min(end, start + 1 + 4 * MAX_TITLE))).replace(/\s+/g, " ").trim()
  return text === "" ? undefined : text.slice(0, MAX_TITLE)
}

/** The page's `<base href>` resolved against `url` (where relative links point), else `url`. */
export const baseOf = (html: string, url: URL): URL => {
  const head = html.slice(0, 64 * 1024)
  const tag = /<base\s[^<>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(head)
  const href = tag?.[1] ?? tag?.[2] ?? tag?.[3]
  if (href === undefined) return url
  try {
    const base = new URL(href, url)
    return base.protocol === "http:" || base.protocol === "https:" ? base : url
  } catch {
    return url
  }
}

/** True when an opening tag's text marks page chrome: by role, `hidden`, or a class or id made of chrome words. */
export const isChrome = (tag: string): boolean => {
  if (CHROME_ATTRIBUTE.test(tag)) return true
  for (const match of tag.matchAll(/\b(?:class|id)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
    for (const name of (match[1] ?? match[2] ?? match[3] ?? "").split(/\s+/)) {
      const words = name.split(/[-_]+/).filter((w) => w !== "")
      if (words.some((w) => CHROME_WORDS.has(w)) && words.every((w) => CHROME_WORDS.has(w) || CHROME_MODIFIERS.has(w))) return true
    }
  }
  return false
}

/**
 * Where the element `name` opened at `open` ends (just past its closing tag, nested ones of the
 * same name counted), or -1 when it does not end within `limit` characters.
 */
const endOf = (lower: string, name: string, open: number, limit: number): number => {
  const region = lower.slice(open, open + limit)
  const tag = new RegExp(`<(/?)${name}(?![a-z0-9-])`, "g")
  tag.lastIndex = 1
  let depth = 1
  for (let match = tag.exec(region); match !== null; match = tag.exec(region)) {
    depth += match[1] === "/" ? -1 : 1
    if (depth > 0) continue
    const close = region.indexOf(">", match.index)
    return close < 0 ? -1 : open + close + 1
  }
  return -1
}

/**
 * The page's main content when it marks it: its `<main>`, else its only `<article>` (several are a
 * list of them: the whole page is kept), unless that is nearly empty; else the whole page.
 */
export const mainContent = (html: string): string => {
  const lower = asciiLower(html)
  for (const name of ["main", "article"]) {
    const opening = new RegExp(`<${name}(?![a-z0-9-])`, "g")
    const first = opening.exec(lower)
    if (first === null || (name === "article" && opening.exec(lower) !== null)) continue
    const end = endOf(lower, name, first.index, lower.length)
    if (end - first.index >= MIN_MAIN_CHARS) return html.slice(first.index, end)
  }
  return html
}

/**
 * `html` without comments, without the elements in {@link NOISE} and their content, and without
 * chrome elements ({@link isChrome}). Linear: a noise element that is never closed drops the rest
 * of the document; a chrome element that does not end within a bounded distance is kept.
 */
export const withoutNoise = (html: string): string => {
  const lower = asciiLower(html)
  const kept: Array<string> = []
  let chromeChecks = 0
  let at = 0
  while (at < html.length) {
    const open = lower.indexOf("<", at)
    if (open < 0) break
    if (lower.startsWith("<!--", open)) {
      kept.push(html.slice(at, open))
      const close = lower.indexOf("-->", open + 4)
      at = close < 0 ? html.length : close + 3
      continue
    }
    const name = /^<([a-z][a-z0-9-]*)/.exec(lower.slice(open, open + 12))?.[1]
    if (name !== undefined && !NOISE.includes(name) && !VOID.has(name) && chromeChecks < MAX_CHROME_CHECKS) {
      const tagEnd = lower.indexOf(">", open)
      const tag = lower.slice(open, tagEnd < 0 ? open + 1024 : Math.min(tagEnd + 1, open + 1024))
      if (/\s(?:class|id|role|hidden|aria-hidden)/.test(tag) && isChrome(tag)) {
        chromeChecks++
        const end = endOf(lower, name, open, CHROME_SCAN_CHARS)
        if (end > 0) {
          kept.push(html.slice(at, open))
          at = end
          continue
        }
      }
    }
    if (name === undefined || !NOISE.includes(name)) {
      kept.push(html.slice(at, open + 1))
      at = open + 1
      continue
    }
    kept.push(html.slice(at, open))
    const close = lower.indexOf(`</${name}`, open + 1)
    const end = close < 0 ? -1 : lower.indexOf(">", close)
    at = end < 0 ? html.length : end + 1
  }
  if (at < html.length) kept.push(html.slice(at))
  return kept.join("")
}

/** Splits `html` at top-level block boundaries into pieces of about {@link PIECE_CHARS}. */
export const pieces = (html: string): Array<string> => {
  const out: Array<string> = []
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)/g
  let start = 0
  let depth = 0
  for (let match = tag.exec(html); match !== null; match = tag.exec(html)) {
    const name = match[2]!.toLowerCase()
    const closing = match[1] === "/"
    const length = match.index - start
    const atBlock = !closing && depth === 0 && BLOCKS.has(name)
    if ((atBlock && length >= PIECE_CHARS) || length >= HARD_PIECE_CHARS) {
      out.push(html.slice(start, match.index))
      start = match.index
      if (length >= HARD_PIECE_CHARS) depth = 0
    }
    if (CONTAINERS.has(name)) depth = Math.max(0, depth + (closing ? -1 : 1))
  }
  out.push(html.slice(start))
  return out
}

/** Elements that never nest: void elements and those a parser closes by themselves (`<p>`, `<li>`, table cells …). */
const NON_NESTING = new Set([...VOID, "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rb", "rt", "rp"])

/** Deepest nesting node-html-markdown is given: its parser and visitor slow down with the square of depth (and recurse). */
const MAX_DEPTH = 256

/** The deepest element nesting in `html`, counting opened minus closed elements (a linear scan, no parse). */
export const nestingOf = (html: string): number => {
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*?(\/?)>/g
  let depth = 0
  let deepest = 0
  for (let match = tag.exec(html); match !== null; match = tag.exec(html)) {
    if (match[3] === "/" || NON_NESTING.has(match[2]!.toLowerCase())) continue
    depth = Math.max(0, depth + (match[1] === "/" ? -1 : 1))
    if (depth > deepest) deepest = depth
  }
  return deepest
}

/** Text of a piece node-html-markdown cannot convert (nesting too deep for its recursion): tags removed. */
const plainText = (html: string) => converter.translate(html.replace(/<[^<>]*>/g, " ").replace(/[<>]/g, " ")).replace(/\s+/g, " ").trim()

const convertPiece = (html: string): string => {
  if (nestingOf(html) > MAX_DEPTH) return plainText(html)
  try {
    return converter.translate(html)
  } catch {
    return plainText(html)
  }
}

/** Markdown links and images with relative targets, made absolute against `base`. */
const absoluteLinks = (markdown: string, base: URL) =>
  markdown.replace(/\]\(([^)\s]{1,2048})/g, (whole, target: string) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) return whole
    try {
      return `](${new URL(target, base).href}`
    } catch {
      return whole
    }
  })

/** A page converted to Markdown. */
export interface Converted {
  readonly title: string | undefined
  readonly markdown: string
  /** True when conversion stopped before the end of the page because enough Markdown was produced. */
  readonly partial: boolean
}

/**
 * Converts `html` (fetched from `url`) to Markdown piece by piece, yielding to the event loop
 * between pieces, and stops once at least `wanted` characters exist.
 */
export const toMarkdown = (html: string, url: URL, wanted: number): Effect.Effect<Converted> =>
  Effect.gen(function*() {
    const title = titleOf(html)
    const all = pieces(mainContent(withoutNoise(html)))
    const parts: Array<string> = []
    let length = 0
    let next = 0
    while (next < all.length && length < wanted) {
      const markdown = convertPiece(all[next++]!).trim()
      if (markdown !== "") {
        parts.push(markdown)
        length += markdown.length + 2
      }
      yield* Effect.yieldNow
    }
    return { title, markdown: absoluteLinks(parts.join("\n\n"), baseOf(html, url)), partial: next < all.length }
  })
