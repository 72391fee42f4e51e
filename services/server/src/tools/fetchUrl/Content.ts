/**
 * What `fetch_url` makes of a response body: its kind (HTML, JSON, text or something else) from
 * the Content-Type (sniffed when absent), its text decoded by charset (BOM, then the header, then
 * an HTML `<meta charset>`), and JSON re-indented within a size budget. Pure functions over bytes.
 */

/** How a body is shown: converted to Markdown, pretty-printed, as is, or described but not shown. */
export type Kind = "html" | "json" | "text" | "binary"

/** A parsed Content-Type: the lower-cased media type and its charset parameter, if any. */
export interface MediaType {
  readonly type: string | undefined
  readonly charset: string | undefined
}

/** Parses a Content-Type header value (bounded: only its first 256 characters are read). */
export const parseContentType = (header: string | undefined): MediaType => {
  if (header === undefined) return { type: undefined, charset: undefined }
  const [type, ...parameters] = header.slice(0, 256).split(";")
  const charset = parameters
    .map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1])
    .find((c) => c !== undefined)
  const media = type!.trim().toLowerCase()
  return { type: media === "" ? undefined : media, charset: charset?.toLowerCase() }
}

const TEXT_TYPES = new Set([
  "application/javascript",
  "application/ecmascript",
  "application/xml",
  "application/yaml",
  "application/x-yaml",
  "application/toml",
  "application/x-ndjson",
  "application/sql",
  "application/graphql",
  "application/x-sh",
  "application/x-www-form-urlencoded"
])

/** The kind a declared media type stands for; undefined when none was declared (then {@link sniff}). */
export const kindOf = (type: string | undefined): Kind | undefined => {
  if (type === undefined) return undefined
  if (type === "text/html" || type === "application/xhtml+xml") return "html"
  if (type === "application/json" || type === "text/json" || type.endsWith("+json")) return "json"
  if (type.startsWith("text/") || type.endsWith("+xml") || TEXT_TYPES.has(type)) return "text"
  return "binary"
}

/** The kind of an undeclared body from its first bytes: HTML by its opening, text when it has no control bytes, else binary. */
export const sniff = (head: Uint8Array): Kind => {
  const start = new TextDecoder("latin1").decode(head.subarray(0, 512)).replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, "").trimStart().toLowerCase()
  if (start.startsWith("<!doctype html") || start.startsWith("<html")) return "html"
  for (const byte of head.subarray(0, 1024)) {
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) return "binary"
  }
  return "text"
}

/** The charset an HTML page names in a `<meta>` within its first 1024 bytes. */
const metaCharset = (head: Uint8Array): string | undefined => {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 1024))
  return /<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-z0-9_:.-]{1,40})/i.exec(text)?.[1]?.toLowerCase()
}

const BOMS: ReadonlyArray<readonly [ReadonlyArray<number>, string]> = [
  [[0xef, 0xbb, 0xbf], "utf-8"],
  [[0xff, 0xfe], "utf-16le"],
  [[0xfe, 0xff], "utf-16be"]
]

/** A body decoded to text, and the charset that was used. */
export interface Decoded {
  readonly text: string
  readonly charset: string
}

/**
 * Decodes `body` by its byte-order mark, else the Content-Type's charset, else (for HTML) the
 * page's `<meta charset>`, else UTF-8. An unknown charset label falls back to UTF-8; invalid
 * bytes become U+FFFD.
 */
export const decode = (body: Uint8Array, declared: string | undefined, kind: Kind): Decoded => {
  const bom = BOMS.find(([mark]) => mark.every((byte, i) => body[i] === byte))?.[1]
  const wanted = bom ?? declared ?? (kind === "html" ? metaCharset(body) : undefined) ?? "utf-8"
  for (const label of [wanted, "utf-8"]) {
    try {
      const decoder = new TextDecoder(label)
      return { text: decoder.decode(body), charset: decoder.encoding }
    } catch {
      // an unknown label: try UTF-8
    }
  }
  return { text: new TextDecoder().decode(body), charset: "utf-8" }
}

/** JSON longer than this is not parsed to check it (parsing builds the whole value in memory); it is re-indented as it reads. */
const MAX_VALIDATED_JSON = 1024 * 1024
/** Indentation may make JSON at most this many times longer than what it re-indents, plus {@link GROWTH_SLACK} … */
const MAX_GROWTH = 4
/** … characters (small documents nest freely). */
const GROWTH_SLACK = 64 * 1024

/** `text` re-indented by two spaces, as far as the first `wanted` characters. */
interface Reindented {
  readonly text: string
  /** True when it stopped at `wanted` before the end of `text`. */
  readonly partial: boolean
}

/**
 * `text` re-indented by two spaces up to `wanted` characters of output, or undefined when the
 * output would grow past {@link MAX_GROWTH} × the input read (deep nesting multiplies
 * indentation). A tokenizer, not a parser: iterative, so any depth is safe, and it never throws.
 */
const reindent = (text: string, wanted: number): Reindented | undefined => {
  const out: Array<string> = []
  const indents = [""]
  const indent = (depth: number) => (indents[depth] ??= "  ".repeat(depth))
  let size = 0
  let depth = 0
  const emit = (piece: string) => {
    out.push(piece)
    size += piece.length
  }
  let i = 0
  while (i < text.length) {
    if (size >= wanted) return { text: out.join(""), partial: true }
    if (size > MAX_GROWTH * i + GROWTH_SLACK) return undefined
    const c = text[i]!
    if (c === "\"") {
      let end = i + 1
      while (end < text.length && text[end] !== "\"") end += text[end] === "\\" ? 2 : 1
      emit(text.slice(i, end + 1))
      i = end + 1
      continue
    }
    if (c === " " || c === "\n" || c === "\r" || c === "\t") {
      i++
      continue
    }
    if (c === "{" || c === "[") {
      let next = i + 1
      while (next < text.length && /\s/.test(text[next]!)) next++
      if (text[next] === (c === "{" ? "}" : "]")) {
        emit(c === "{" ? "{}" : "[]")
        i = next + 1
        continue
      }
      depth++
      emit(`${c}\n${indent(depth)}`)
    } else if (c === "}" || c === "]") {
      depth = Math.max(0, depth - 1)
      emit(`\n${indent(depth)}${c}`)
    } else if (c === ",") {
      emit(`,\n${indent(depth)}`)
    } else if (c === ":") {
      emit(": ")
    } else {
      let end = i + 1
      while (end < text.length && !",:]} \n\r\t\"".includes(text[end]!)) end++
      emit(text.slice(i, end))
      i = end
      continue
    }
    i++
  }
  return size > MAX_GROWTH * text.length + GROWTH_SLACK ? undefined : { text: out.join(""), partial: false }
}

/** How a JSON body is shown: pretty-printed (as far as asked), or as sent when it is not valid JSON or nests too deep to indent. */
export interface Json {
  readonly text: string
  readonly pretty: boolean
  /** True when only the first `wanted` characters of the pretty form were made. */
  readonly partial: boolean
  /** Why it is shown as sent, when it is. */
  readonly note: string | undefined
}

/**
 * Pretty-prints a JSON body as far as its first `wanted` characters, with bounded work and memory:
 * bodies up to 1 MiB are checked with `JSON.parse` (invalid ones are shown as sent), larger ones
 * are re-indented without building their value.
 */
export const prettyJson = (text: string, wanted: number): Json => {
  if (text.length <= MAX_VALIDATED_JSON) {
    try {
      JSON.parse(text)
    } catch {
      return { text, pretty: false, partial: false, note: "not valid JSON; shown as sent" }
    }
  }
  const pretty = reindent(text, wanted)
  return pretty === undefined
    ? { text, pretty: false, partial: false, note: "nested too deeply to pretty-print; shown as sent" }
    : { text: pretty.text, pretty: true, partial: pretty.partial, note: undefined }
}
