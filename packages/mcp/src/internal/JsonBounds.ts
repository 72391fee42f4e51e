/**
 * Bounds on client JSON that cost almost nothing to check: the nesting depth of raw bytes before
 * `JSON.parse` builds them (a 4 MB body can nest two million deep), and the size of a parsed
 * value before a session keeps it. Neither recurses.
 */

/** What each byte means outside strings: 1 opens a string, 2 opens a level, 3 closes one. */
const OUTSIDE = new Uint8Array(256)
OUTSIDE[0x22] = 1
OUTSIDE[0x7b] = 2
OUTSIDE[0x5b] = 2
OUTSIDE[0x7d] = 3
OUTSIDE[0x5d] = 3
/** What each byte means inside a string: 1 closes it, 2 escapes the next byte. */
const INSIDE = new Uint8Array(256)
INSIDE[0x22] = 1
INSIDE[0x5c] = 2

/**
 * True when the JSON text in `bytes` opens more than `maxDepth` arrays or objects at once;
 * brackets inside strings do not count. One pass over the bytes with a table per state: no
 * string conversion, no allocation. Text that is not JSON is answered either way (here, or by
 * the parse error after).
 */
export const exceedsDepth = (bytes: Uint8Array, maxDepth: number): boolean => {
  const n = bytes.length
  // opening more than maxDepth brackets takes more than maxDepth bytes: most messages need no scan
  if (n <= maxDepth) return false
  let depth = 0
  for (let i = 0; i < n; i++) {
    const kind = OUTSIDE[bytes[i]!]!
    if (kind === 0) continue
    if (kind === 1) {
      for (i++; i < n; i++) {
        const inside = INSIDE[bytes[i]!]!
        if (inside === 1) break
        if (inside === 2) i++
      }
    } else if (kind === 2) {
      if (++depth > maxDepth) return true
    } else {
      depth--
    }
  }
  return false
}

/** What a scalar other than a string is charged: the length of its longest JSON text, about. */
const SCALAR_SIZE = 8

/**
 * True when `value` (parsed JSON) would take more than `maxSize` characters as JSON text. Walks
 * with an explicit stack and stops as soon as the budget is spent, so it costs at most about
 * `maxSize` steps whatever the client sent; scalars other than strings count {@link SCALAR_SIZE}.
 */
export const exceedsSize = (value: unknown, maxSize: number): boolean => {
  let budget = maxSize
  const stack: Array<unknown> = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === "string") {
      budget -= v.length + 2
    } else if (Array.isArray(v)) {
      // each element costs at least its comma: refuse before pushing a huge array
      budget -= 2 + v.length
      if (budget < 0) return true
      for (const element of v) stack.push(element)
    } else if (typeof v === "object" && v !== null) {
      budget -= 2
      for (const key in v) {
        budget -= key.length + 4
        if (budget < 0) return true
        stack.push((v as Record<string, unknown>)[key])
      }
    } else {
      budget -= SCALAR_SIZE
    }
    if (budget < 0) return true
  }
  return false
}
