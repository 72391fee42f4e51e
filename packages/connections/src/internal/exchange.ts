/**
 * One attempt of one request on one origin pool, as a single `Effect.callback`: it waits for a
 * slot, sends the request with undici and, for `request`, reads the body — all in plain callbacks
 * under one deadline, so a request costs one Effect step, not one per stage. A response the
 * caller will not keep (a redirect to follow, a 5xx to retry) is drained and its slot freed at
 * once. Interrupting the effect aborts whatever is in flight and frees the slot.
 */
import { Effect } from "effect"
import { type ConnectionError, RequestTimeout, TooLarge } from "../ConnectionError.ts"
import { type Body, bodyError, declaredOver, readAll } from "./body.ts"
import { type Attempt, fromCause } from "./failure.ts"
import type { OriginPool } from "./OriginPool.ts"
import type { Hop } from "./redirect.ts"

/** A response's status and headers (lower-case names, repeated ones joined with ", "). */
export interface Head {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

/** What an attempt came to. */
export type Exchanged =
  /** The caller did not keep the response: its body was drained, its slot is free. */
  | { readonly _tag: "Dropped"; readonly head: Head }
  /** `read` mode: the whole body, its slot free. */
  | { readonly _tag: "Read"; readonly head: Head; readonly body: Uint8Array }
  /** `open` mode: the body unread; `release` (idempotent) ends the exchange and frees the slot. */
  | { readonly _tag: "Open"; readonly head: Head; readonly body: Body; readonly release: () => void; readonly attempt: Attempt }

/**
 * How the body is read: `read` — whole, within `maxBytes` and the deadline; `open` — the deadline
 * ends with the headers and the body is left to the caller, whose `track` receives the kept
 * exchange's `release` the moment it exists (so an interruption can never leak it).
 */
export type Reading =
  | { readonly mode: "read"; readonly maxBytes: number }
  | { readonly mode: "open"; readonly track: (release: () => void) => void }

export interface ExchangeOptions {
  readonly pool: OriginPool
  readonly hop: Hop
  readonly attempt: Attempt
  readonly reading: Reading
  /** Whether the caller keeps a response with this head (else it is dropped). */
  readonly keep: (head: Head) => boolean
  /** Time from sending to the response headers, in milliseconds. */
  readonly onLatency: (ms: number) => void
  /** Called once, when the attempt no longer uses the pool. */
  readonly onDone: () => void
}

const flatHeaders = (raw: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = typeof value === "string" ? value : value.join(", ")
  }
  return headers
}

export const exchange = (options: ExchangeOptions): Effect.Effect<Exchanged, ConnectionError> =>
  Effect.callback<Exchanged, ConnectionError>((resume) => {
    const { pool, hop, attempt } = options
    const controller = new AbortController()
    let finished = false
    let slot = false
    let body: Body | undefined
    let stopWaiting = () => {}
    let sent = 0

    const leave = () => {
      if (slot) pool.release()
      slot = false
      options.onDone()
    }
    const abandon = () => {
      clearTimeout(deadline)
      stopWaiting()
      controller.abort()
      body?.destroy()
      leave()
    }
    const fail = (error: ConnectionError) => {
      if (finished) return
      finished = true
      abandon()
      resume(Effect.fail(error))
    }
    const succeed = (value: Exchanged) => {
      finished = true
      clearTimeout(deadline)
      resume(Effect.succeed(value))
    }
    /**
     * Frees the slot and then answers, once undici has the socket back (a macrotask after the
     * body ended): freed earlier, the slot would let the next request — often the caller's own —
     * find every socket busy and open another, so the pool would hold more sockets than slots.
     */
    const succeedSettled = (value: Exchanged) => {
      finished = true
      clearTimeout(deadline)
      setImmediate(() => {
        leave()
        resume(Effect.succeed(value))
      })
    }
    const deadline = setTimeout(() => fail(new RequestTimeout({ url: attempt.url, timeoutMs: attempt.timeoutMs })), attempt.timeoutMs)

    const onResponse = (status: number, headers: Readonly<Record<string, string>>, received: Body) => {
      body = received
      options.onLatency(performance.now() - sent)
      const head: Head = { status, headers }
      if (!options.keep(head)) {
        return void received.dump().catch(() => undefined).then(() => {
          if (!finished) succeedSettled({ _tag: "Dropped", head })
        })
      }
      const { reading } = options
      if (reading.mode === "open") {
        let released = false
        const release = () => {
          if (released) return
          released = true
          received.destroy()
          setImmediate(leave)
        }
        reading.track(release)
        return succeed({ _tag: "Open", head, body: received, release, attempt })
      }
      const declared = headers["content-length"]
      if (declaredOver(declared, reading.maxBytes)) return fail(new TooLarge({ url: attempt.url, maxBytes: reading.maxBytes }))
      readAll(received, declared, reading.maxBytes).then(
        (bytes) => {
          if (!finished) succeedSettled({ _tag: "Read", head, body: bytes })
        },
        (cause) => fail(bodyError(cause, attempt, reading.maxBytes))
      )
    }

    const send = () => {
      slot = true
      sent = performance.now()
      try {
        pool.dispatcher.request({
          path: hop.url.pathname + hop.url.search,
          method: hop.method,
          headers: hop.headers,
          body: hop.body ?? null,
          headersTimeout: attempt.timeoutMs,
          bodyTimeout: attempt.timeoutMs,
          signal: controller.signal
        }, (error, data) => {
          if (error !== null) return fail(fromCause(error, attempt))
          // a body aborted before anyone reads it must not raise an unhandled 'error'; readers see errors otherwise
          data.body.on("error", () => undefined)
          if (finished) return void data.body.destroy()
          onResponse(data.statusCode, flatHeaders(data.headers), data.body)
        })
      } catch (cause) {
        fail(fromCause(cause, attempt))
      }
    }

    stopWaiting = pool.acquire(send)
    return Effect.sync(() => {
      if (finished) return
      finished = true
      abandon()
    })
  })
