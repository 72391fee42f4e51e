/**
 * Argument references of `run_workflow`: a string argument that is exactly `${steps.<id>}` or
 * `${steps.<id>.<path>}` stands for that step's result — its `structuredContent` when it has one,
 * else its text — or the part of it the path picks: `.name` for an object's field, `[n]` for an
 * array's item, `["any key"]` for a field whose name is not a plain word, e.g.
 * `${steps.stats.topTerms[0].term}`. The whole string is replaced by the value, whatever its type.
 */
import { JsonRpc } from "@tenfold/mcp"

/** Longest reference string, in characters. */
export const MAX_REFERENCE_LENGTH = 512
/** Most field names and indexes in one path. */
export const MAX_PATH_SEGMENTS = 32

const PREFIX = "${steps."

/** A field name or an array index. */
export type Segment = string | number

/** A parsed reference: the step it reads and the path into that step's result. */
export interface Reference {
  readonly step: string
  readonly path: ReadonlyArray<Segment>
  /** The reference as written, for messages. */
  readonly text: string
}

/** Why a string that looks like a reference is not one. */
export class BadReference {
  readonly _tag = "BadReference"
  readonly reason: string
  constructor(reason: string) {
    this.reason = reason
  }
}

const STEP_ID = /[A-Za-z0-9_-]{1,64}/y
const NAME = /\.([A-Za-z0-9_$-]+)/y
const INDEX = /\[(0|[1-9][0-9]{0,8})\]/y
const QUOTED = /\["([^"]{1,256})"\]/y

/** Matches `regex` at `at` in `text`, or undefined. */
const matchAt = (regex: RegExp, text: string, at: number): RegExpExecArray | null => {
  regex.lastIndex = at
  return regex.exec(text)
}

/**
 * Reads a string argument: undefined when it is plain text, the reference it is, or why it is a
 * malformed one. A string that mentions `${steps.` anywhere but at its start is refused too, so a
 * reference that was meant never passes silently as text.
 */
export const parse = (value: string): Reference | BadReference | undefined => {
  if (!value.startsWith(PREFIX)) {
    return value.includes(PREFIX) ? new BadReference("a reference must be the whole string value, e.g. \"${steps.fetch.content}\"") : undefined
  }
  if (value.length > MAX_REFERENCE_LENGTH) return new BadReference(`a reference is at most ${MAX_REFERENCE_LENGTH} characters long`)
  if (!value.endsWith("}")) return new BadReference("a reference ends with \"}\"")
  const body = value.slice(PREFIX.length, -1)
  const id = matchAt(STEP_ID, body, 0)
  if (id === null) return new BadReference("a reference names a step id (letters, digits, _ and -) after \"${steps.\"")
  const path: Array<Segment> = []
  let at = id[0].length
  while (at < body.length) {
    if (path.length === MAX_PATH_SEGMENTS) return new BadReference(`a reference's path has at most ${MAX_PATH_SEGMENTS} parts`)
    const match = matchAt(NAME, body, at) ?? matchAt(INDEX, body, at) ?? matchAt(QUOTED, body, at)
    if (match === null) {
      return new BadReference(`unexpected ${JSON.stringify(body.slice(at, at + 10))} in the path: use .name, [index] or ["key"]`)
    }
    path.push(match[0].startsWith("[") && !match[0].startsWith("[\"") ? Number(match[1]) : match[1]!)
    at += match[0].length
  }
  return { step: id[0], path, text: value }
}

/** The path as written, e.g. `.topTerms[0].term`. */
export const formatPath = (path: ReadonlyArray<Segment>): string =>
  path.map((segment) => (typeof segment === "number" ? `[${segment}]` : /^[A-Za-z0-9_$-]+$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`)).join("")

/** The value `reference` picks out of `value` (its step's result), or why there is none. */
export const resolve = (reference: Reference, value: unknown): { readonly value: unknown } | BadReference => {
  let current = value
  for (let i = 0; i < reference.path.length; i++) {
    const segment = reference.path[i]!
    const found = typeof segment === "number"
      ? Array.isArray(current) && segment < current.length
      : JsonRpc.isObject(current) && Object.hasOwn(current, segment)
    if (!found) {
      const where = formatPath(reference.path.slice(0, i + 1))
      const what = typeof current === "string" ? "is text" : Array.isArray(current) ? `is an array of ${current.length}` : current === null ? "is null" : `is ${typeof current === "object" ? "an object" : `a ${typeof current}`}`
      return new BadReference(`step "${reference.step}"'s result has no ${where} (its ${i === 0 ? "result" : formatPath(reference.path.slice(0, i))} ${what})`)
    }
    current = (current as Record<string | number, unknown>)[segment]
  }
  return { value: current }
}
