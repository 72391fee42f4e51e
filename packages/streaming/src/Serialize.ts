/**
 * How the streamer turns the items of a stream into bytes, as the seed's `_serialize_chunk` does:
 * objects and arrays as compact JSON, strings as UTF-8, bytes as they are. The seed pickles
 * anything else; here other values (numbers, booleans, null) are JSON too, since the reader of
 * the stream is not Python.
 */

const encoder = new TextEncoder()

/** The bytes of one stream item (see the module doc); `undefined` and functions serialise to nothing. */
export const serialize = (item: unknown): Uint8Array => {
  if (item instanceof Uint8Array) return item
  if (typeof item === "string") return encoder.encode(item)
  const json = JSON.stringify(item) as string | undefined
  return json === undefined ? EMPTY : encoder.encode(json)
}

const EMPTY = new Uint8Array(0)
