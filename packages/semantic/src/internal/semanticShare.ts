/**
 * Sharing semantic entries between instances through Redis: one stream per namespace
 * (`tenfold:<namespace>:semantic`), capped near the tier's `maxEntries` (XADD MAXLEN ~). Each
 * instance appends what it embeds and, before each semantic search, reads what it has not seen
 * yet (one XREAD, bounded by `count`). Values are not in the stream: they are in L2 under the
 * entry's digest. Redis down: nothing is shared, nothing fails.
 */
import type { RedisClient } from "@tenfold/cache"
import { Effect } from "effect"
import { type Persisted, vectorBytes, vectorOf } from "./semanticEntry.ts"

/** The stream of a namespace (`prefix` is the `RedisClient`'s, `tenfold:<namespace>:`). */
const streamKey = (prefix: string) => `${prefix}semantic`

/** A digest or partition: base64url SHA-256. */
const DIGEST_LENGTH = 43

/** Appends `entry` to the stream, trimming it to about `maxLength` entries. */
export const publish = (client: RedisClient["Service"], maxLength: number, entry: Persisted): Effect.Effect<void> =>
  Effect.asVoid(client.run((redis) =>
    redis.xadd(
      streamKey(client.prefix), "MAXLEN", "~", String(maxLength), "*",
      "d", entry.digest, "p", entry.partition, "t", entry.text, "m", entry.model,
      "f", String(entry.freshUntil), "s", String(entry.staleUntil), "v", vectorBytes(entry.vector)
    )
  ))

/** What one read brought: the id to read after next time, and the entries that decoded. */
export interface Read {
  readonly last: string
  readonly entries: ReadonlyArray<Persisted>
}

/**
 * Up to `count` entries appended after `after` ("0": from the start), each checked: lengths,
 * numbers, a vector of `dimensions` finite floats and a text of at most `maxTextLength`
 * characters; others are skipped. Undefined when Redis did not answer (or had nothing new).
 */
export const read = (
  client: RedisClient["Service"],
  after: string,
  count: number,
  dimensions: number,
  maxTextLength: number
): Effect.Effect<Read | undefined> =>
  Effect.map(client.run((redis) => redis.xreadBuffer("COUNT", count, "STREAMS", streamKey(client.prefix), after)), (reply) => {
    const items = reply?.[0]?.[1]
    if (items === undefined || items.length === 0) return undefined
    const entries: Array<Persisted> = []
    for (const [, fields] of items) {
      const entry = decode(fields, dimensions, maxTextLength)
      if (entry !== undefined) entries.push(entry)
    }
    return { last: items[items.length - 1]![0].toString("latin1"), entries }
  })

const decode = (fields: ReadonlyArray<Buffer>, dimensions: number, maxTextLength: number): Persisted | undefined => {
  const field = new Map<string, Buffer>()
  for (let i = 0; i + 1 < fields.length && i < 32; i += 2) field.set(fields[i]!.toString("latin1"), fields[i + 1]!)
  const digest = field.get("d")?.toString("latin1")
  const partition = field.get("p")?.toString("latin1")
  const textBytes = field.get("t")
  const model = field.get("m")?.toString("utf8")
  const freshUntil = Number(field.get("f")?.toString("latin1"))
  const staleUntil = Number(field.get("s")?.toString("latin1"))
  const vectorField = field.get("v")
  if (digest?.length !== DIGEST_LENGTH || partition?.length !== DIGEST_LENGTH || model === undefined || vectorField === undefined) return undefined
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a longer field cannot be a text we accept
  if (textBytes === undefined || textBytes.length > 3 * maxTextLength) return undefined
  const text = textBytes.toString("utf8")
  if (text.length > maxTextLength || !Number.isFinite(freshUntil) || !Number.isFinite(staleUntil)) return undefined
  const vector = vectorOf(vectorField, dimensions)
  return vector === undefined ? undefined : { digest, partition, text, model, freshUntil, staleUntil, vector }
}
