/**
 * Server→client requests (sampling, elicitation, roots) on a connection that can carry them: a
 * 2025-11-25 session's stream or stdio. Each gets an id, waits for the client's response (which
 * the transport hands to `settle`), and gives up after a timeout.
 */
import { Effect } from "effect"
import { ErrorCode, isObject, ProtocolError, quote, type RequestId } from "../JsonRpc.ts"

export type PendingResponse = (response: { result?: unknown; error?: unknown }) => void

/** The requests a connection is waiting on, and the next id to give one. */
export interface ClientRequests {
  readonly pending: Map<RequestId, PendingResponse>
  nextOutboundId: number
}

export const makeState = (): ClientRequests => ({ pending: new Map(), nextOutboundId: 0 })

/** Sends `method` through `send` and waits (at most `timeoutMs`) for the client's answer. */
export const request = (
  state: ClientRequests,
  send: (message: string) => void,
  timeoutMs: number
) =>
(method: string, params: Record<string, unknown>): Effect.Effect<unknown, ProtocolError> =>
  Effect.callback<unknown, ProtocolError>((resume) => {
    const id = `tenfold-${state.nextOutboundId++}`
    state.pending.set(id, (response) => {
      state.pending.delete(id)
      resume(response.error === undefined ? Effect.succeed(response.result) : Effect.fail(clientError(method, response.error)))
    })
    send(JSON.stringify({ jsonrpc: "2.0", id, method, params }))
    return Effect.sync(() => state.pending.delete(id))
  }).pipe(
    Effect.timeoutOrElse({
      duration: timeoutMs,
      orElse: () => Effect.fail(new ProtocolError({ code: ErrorCode.InternalError, message: `The client did not answer ${method} in time` }))
    })
  )

/** The client's error object (untrusted: any JSON) as a ProtocolError with an integer code and a bounded message. */
const clientError = (method: string, error: unknown) => {
  const code = isObject(error) && Number.isSafeInteger(error.code) ? error.code as number : ErrorCode.InternalError
  const message = isObject(error) ? quote(error.message) : quote(error)
  return new ProtocolError({ code, message: `Client answered ${method} with an error: ${message}` })
}

/** Hands a JSON-RPC response from the client to the request waiting for it (if any still is). */
export const settle = (
  state: ClientRequests,
  response: { readonly id: RequestId | null; readonly result?: unknown; readonly error?: unknown }
) => {
  if (response.id !== null) state.pending.get(response.id)?.(response.error === undefined ? { result: response.result } : { error: response.error })
}
