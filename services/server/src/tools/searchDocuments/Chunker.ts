/**
 * Splits a document into passages for `search_documents`: Markdown-aware (a heading starts a new
 * passage and names the ones under it; a fenced code block stays whole when it fits; paragraphs
 * are packed together up to a size), plain text by paragraphs. Every passage knows its line range,
 * so an answer can point at the lines it came from.
 */

/** One passage of a document: lines `startLine`–`endLine` (1-based, inclusive) and their text. */
export interface Chunk {
  readonly startLine: number
  readonly endLine: number
  /** The headings it sits under, outermost first, joined by " > " ("" before the first heading). */
  readonly heading: string
  readonly text: string
}

/** Passage sizes in characters. */
export interface ChunkOptions {
  /** Paragraphs are packed into one passage up to this many characters (default 700). */
  readonly targetChars?: number
  /** No passage is longer (default 900); a longer paragraph or line is cut. */
  readonly maxChars?: number
  /** A passage cut out of a longer run repeats up to this many characters of the one before it (default 150). */
  readonly overlapChars?: number
}

const defaults = { targetChars: 700, maxChars: 900, overlapChars: 150 } as const

/** A run of lines that belong together: a heading, a paragraph or a fenced code block. */
interface Block {
  readonly kind: "heading" | "text"
  readonly start: number
  readonly end: number
  readonly level: number
  readonly title: string
}

// the title is taken whole and its trailing blanks and #s are stripped by `titleOf`: a lazy title
// followed by an optional trailing run (`(.*?)[ \t#]*$`) backtracks quadratically on a long blank run
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*)$/s // s: a U+2028 in the line must not make `.*` stop short and backtrack

/** A heading's title: without its closing blanks and #s, trimmed. */
const titleOf = (raw: string): string => {
  let end = raw.length
  while (end > 0 && (raw[end - 1] === " " || raw[end - 1] === "\t" || raw[end - 1] === "#")) end--
  return raw.slice(0, end).trim()
}
const FENCE = /^ {0,3}(`{3,}|~{3,})/

/** The blocks of `lines` (0-based line indices, inclusive); blank lines only separate. */
const blocksOf = (lines: ReadonlyArray<string>, markdown: boolean): Array<Block> => {
  const blocks: Array<Block> = []
  let start = -1
  let fence: string | undefined
  const close = (end: number) => {
    if (start >= 0) blocks.push({ kind: "text", start, end, level: 0, title: "" })
    start = -1
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (markdown && fence !== undefined) {
      if (line.trimStart().startsWith(fence)) {
        fence = undefined
        close(i)
      }
      continue
    }
    const opening = markdown ? FENCE.exec(line) : null
    if (opening !== null) {
      close(i - 1)
      start = i
      fence = opening[1]!
      continue
    }
    const heading = markdown ? HEADING.exec(line) : null
    if (heading !== null) {
      close(i - 1)
      blocks.push({ kind: "heading", start: i, end: i, level: heading[1]!.length, title: titleOf(heading[2]!) })
      continue
    }
    if (line.trim() === "") close(i - 1)
    else if (start < 0) start = i
  }
  close(lines.length - 1) // an unclosed fence runs to the end
  return blocks
}

/**
 * The passages of `text`. `markdown` turns on headings and code fences; otherwise paragraphs
 * (blank-line separated) are the units. Passages never exceed `maxChars` characters.
 */
export const chunk = (text: string, markdown: boolean, options: ChunkOptions = {}): Array<Chunk> => {
  const maxChars = Math.max(16, options.maxChars ?? defaults.maxChars)
  const targetChars = Math.min(maxChars, options.targetChars ?? defaults.targetChars)
  const overlapChars = Math.min(Math.floor(maxChars / 2), options.overlapChars ?? defaults.overlapChars)
  const lines = text.split(/\r\n|\r|\n/)
  const chunks: Array<Chunk> = []
  const headings: Array<{ level: number; title: string }> = []
  let heading = ""
  /** The passage being filled: lines `from`…`to` (0-based), `size` characters with newlines. */
  let from = -1
  let to = -1
  let size = 0
  /** The passage holds more than headings. */
  let hasText = false

  const emit = (startLine: number, endLine: number, body: string) => {
    if (body.trim() !== "") chunks.push({ startLine: startLine + 1, endLine: endLine + 1, heading, text: body })
  }
  const flush = () => {
    if (from >= 0 && hasText) emit(from, to, lines.slice(from, to + 1).join("\n"))
    from = -1
    size = 0
    hasText = false
  }
  const lengthOf = (start: number, end: number) => {
    let n = 0
    for (let i = start; i <= end; i++) n += lines[i]!.length + 1
    return n
  }
  /** Appends lines `start`…`end` to the passage, which may open on the last line of the previous one. */
  const append = (start: number, end: number, length: number) => {
    if (from < 0) from = start
    to = end
    size += length
    hasText = true
  }
  /** Cuts a block longer than a passage into line runs, each opening on the previous run's last line when it is short. */
  const split = (start: number, end: number) => {
    let i = start
    while (i <= end) {
      const line = lines[i]!
      if (line.length + 1 > maxChars) {
        flush()
        splitLine(i)
        i++
        continue
      }
      if (from >= 0 && size + line.length + 1 > maxChars) {
        const last = lines[to]!
        const carry = hasText && to < i && last.length + 1 <= overlapChars ? to : -1
        flush()
        if (carry >= 0) append(carry, carry, last.length + 1)
      }
      append(i, i, line.length + 1)
      i++
    }
  }
  /** One line longer than a passage, cut into windows that overlap by `overlapChars`. */
  const splitLine = (index: number) => {
    const line = lines[index]!
    const step = maxChars - overlapChars
    for (let at = 0; at < line.length; at += step) {
      emit(index, index, line.slice(at, at + maxChars))
      if (at + maxChars >= line.length) break
    }
  }

  for (const block of blocksOf(lines, markdown)) {
    if (block.kind === "heading") {
      flush()
      while (headings.length > 0 && headings[headings.length - 1]!.level >= block.level) headings.pop()
      headings.push({ level: block.level, title: block.title })
      heading = headings.map((h) => h.title).join(" > ")
      from = block.start
      to = block.end
      size = lines[block.start]!.length + 1
      continue
    }
    const length = lengthOf(block.start, block.end)
    if (hasText && size + length > targetChars) flush()
    if (size + length > maxChars) split(block.start, block.end)
    else append(block.start, block.end, length)
  }
  flush()
  return chunks
}
