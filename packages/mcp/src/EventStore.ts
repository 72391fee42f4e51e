/**
 * Where the SSE events of 2025-11-25 streams are kept so a client that reconnects with
 * `Last-Event-ID` gets what it missed. An interface with an in-memory implementation; a shared
 * (Redis) one lets a session resume on another instance.
 */
import { Context, Data, Effect, Layer } from "effect"

/** The `Last-Event-ID` does not name an event this store still holds. */
export class EventNotFound extends Data.TaggedError("EventNotFound")<{ readonly eventId: string }> {}

export class EventStore extends Context.Service<EventStore, {
  /** Stores one serialized message on a stream and returns its event id. */
  readonly append: (streamId: string, message: string) => Effect.Effect<string>
  /** Calls `send` with every event after `lastEventId` on its stream; returns that stream's id. */
  readonly replayAfter: (lastEventId: string, send: (eventId: string, message: string) => void) => Effect.Effect<string, EventNotFound>
  /** Forgets a stream (its session ended). */
  readonly dropStream: (streamId: string) => Effect.Effect<void>
}>()("@tenfold/mcp/EventStore") {
  /**
   * Keeps the last `maxEventsPerStream` events (default 1000) of the `maxStreams` most recently
   * started streams (default 10000), and at most `maxBytes` of messages in all (default 64 MiB,
   * the oldest events forgotten first), so long sessions and large messages cannot grow it
   * without bound.
   */
  static layerMemory = (options: { readonly maxEventsPerStream?: number; readonly maxStreams?: number; readonly maxBytes?: number } = {}) =>
    Layer.sync(EventStore, () => makeMemory(options.maxEventsPerStream ?? 1000, options.maxStreams ?? 10_000, options.maxBytes ?? DEFAULT_MAX_BYTES))
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

interface StoredEvent {
  readonly seq: number
  readonly message: string
}

interface Stream {
  next: number
  readonly events: Array<StoredEvent>
}

/** Memory a stored message holds (UTF-16), plus bookkeeping. */
const sizeOf = (message: string) => 2 * message.length + 32

/** Event ids are `<streamId>:<seq>`, so a replay knows its stream without an index. */
export const makeMemory = (maxEventsPerStream: number, maxStreams = 10_000, maxBytes = DEFAULT_MAX_BYTES) => {
  const streams = new Map<string, Stream>()
  let bytes = 0

  const forgetStream = (streamId: string) => {
    const stream = streams.get(streamId)
    if (stream === undefined) return
    for (const event of stream.events) bytes -= sizeOf(event.message)
    streams.delete(streamId)
  }

  const forgetOldestEvent = (stream: Stream) => {
    const event = stream.events.shift()
    if (event !== undefined) bytes -= sizeOf(event.message)
  }

  /**
   * Drops the oldest events (oldest streams first) until the store fits `maxBytes`; the newest
   * event stays. A stream keeps its record (and so its sequence), so its event ids never repeat.
   */
  const fitBytes = (newest: Stream) => {
    for (const stream of streams.values()) {
      if (bytes <= maxBytes) return
      while (bytes > maxBytes && stream.events.length > (stream === newest ? 1 : 0)) forgetOldestEvent(stream)
    }
  }

  return EventStore.of({
    append: (streamId, message) =>
      Effect.sync(() => {
        let stream = streams.get(streamId)
        if (stream === undefined) {
          stream = { next: 1, events: [] }
          streams.set(streamId, stream)
          // Map order is start order: forget the oldest stream beyond the bound
          if (streams.size > maxStreams) forgetStream(streams.keys().next().value!)
        }
        const seq = stream.next++
        stream.events.push({ seq, message })
        bytes += sizeOf(message)
        if (stream.events.length > maxEventsPerStream) forgetOldestEvent(stream)
        if (bytes > maxBytes) fitBytes(stream)
        return `${streamId}:${seq}`
      }),
    replayAfter: (lastEventId, send) =>
      Effect.suspend(() => {
        const at = lastEventId.lastIndexOf(":")
        const streamId = lastEventId.slice(0, at)
        const seq = Number(lastEventId.slice(at + 1))
        const stream = streams.get(streamId)
        // an id older than the oldest kept event (evicted) or never issued cannot be resumed without a gap
        const oldest = stream?.events[0]?.seq ?? stream?.next ?? 0
        if (at <= 0 || !Number.isSafeInteger(seq) || stream === undefined || seq < oldest - 1 || seq >= stream.next) {
          return Effect.fail(new EventNotFound({ eventId: lastEventId }))
        }
        for (const event of stream.events) {
          if (event.seq > seq) send(`${streamId}:${event.seq}`, event.message)
        }
        return Effect.succeed(streamId)
      }),
    dropStream: (streamId) =>
      Effect.sync(() => {
        for (const key of [...streams.keys()]) {
          if (key === streamId || key.startsWith(`${streamId}/`)) forgetStream(key)
        }
      })
  })
}
