/**
 * Plain (non-streaming) HTTP answers of the transport: a JSON body with its length, JSON-RPC
 * errors, and the busy answer every bound gives past its limit (status, `Retry-After`, and
 * `ServerBusy` with the same hint in `data`).
 */
import type { ServerResponse } from "node:http"
import { ErrorCode, errorBytes, type ProtocolError, type RequestId } from "../JsonRpc.ts"
import { Spliced } from "../Peer.ts"

/** The code of HTTP-level refusals (bad path, method, media type, Host/Origin, auth), as the SDK answers them. */
export const TRANSPORT_ERROR = -32000

/** How long a refused client is asked to wait before retrying, in ms. */
export const RETRY_AFTER_MS = 1000

const RETRY_AFTER_HEADER = String(Math.ceil(RETRY_AFTER_MS / 1000))

export const reply = (res: ServerResponse, status: number, body: string | Uint8Array | Spliced, extra?: Record<string, string>): void => {
  const headers = { "content-type": "application/json", "content-length": body instanceof Spliced ? body.byteLength : Buffer.byteLength(body), ...extra }
  res.writeHead(status, headers)
  if (!(body instanceof Spliced)) return void res.end(body)
  // one writev of both buffers, as a bare server would send them
  res.cork()
  res.write(body.head)
  res.end(body.tail)
}

export const replyError = (
  res: ServerResponse,
  status: number,
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
  extra?: Record<string, string>
): void => reply(res, status, errorBytes(id, code, message, data), extra)

export const replyProtocolError = (res: ServerResponse, status: number, id: RequestId | null, e: ProtocolError): void =>
  replyError(res, status, id, e.code, e.message, e.data)

/** The `data` of every `ServerBusy`: when to retry, and which setting refused (so an operator knows which one to raise). */
export const busyData = (limit: string) => ({ retryAfterMs: RETRY_AFTER_MS, limit })

/**
 * Refuses work past a bound: 429 when the client's own share is used up, 503 when the instance
 * is full; `limit` names the setting, so an operator knows which one to raise.
 */
export const replyBusy = (res: ServerResponse, status: 429 | 503, id: RequestId | null, message: string, limit: string, extra?: Record<string, string>): void =>
  replyError(res, status, id, ErrorCode.ServerBusy, `${status === 429 ? "Too Many Requests" : "Service Unavailable"}: ${message}; retry later`, busyData(limit), {
    "retry-after": RETRY_AFTER_HEADER,
    ...extra
  })

/** A defect escaped a handler: -32603 for this request alone (the cause is logged, not sent). */
export const replyDefect = (res: ServerResponse, id: RequestId | null): void => {
  if (res.headersSent) {
    if (!res.writableEnded) res.end()
    return
  }
  replyError(res, 500, id, ErrorCode.InternalError, "Internal error")
}
