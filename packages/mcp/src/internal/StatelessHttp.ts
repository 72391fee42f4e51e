/**
 * 2026-07-28 over HTTP: stateless requests that carry the `_meta` envelope. Checks the envelope
 * against the `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers, runs
 * the call, and serves `subscriptions/listen` streams (bounded in total and per principal).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Dispatcher } from "../Dispatcher.ts"
import { ErrorCode, isObject, isRequestId, ProtocolError, type RequestId } from "../JsonRpc.ts"
import type { Notification } from "../Notifications.ts"
import type { Peer } from "../Peer.ts"
import type { Task } from "../Tasks.ts"
import { McpErrorCode, MetaKey } from "../Protocol.ts"
import type { ToolRegistry } from "../ToolRegistry.ts"
import { hasEnvelope, incomplete, invalidProgressToken, peerOf, unsupportedVersion } from "./Envelope.ts"
import { type Calls, Exchange, outboundOf, type StreamSupport } from "./Exchange.ts"
import { decodeHeaderValue, header, headerText } from "./Headers.ts"
import * as ListenFilter from "./ListenFilter.ts"
import type { Quota } from "./Quota.ts"
import { replyBusy, replyError, replyProtocolError } from "./Reply.ts"
import { SSE_HEADERS, SseStream } from "./Sse.ts"
import { declaresExtension, ownerOf } from "./TaskWire.ts"

const NAME_FIELD: Readonly<Record<string, string>> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId"
}

interface ListenStream {
  readonly id: RequestId
  readonly sse: SseStream
  readonly filter: ListenFilter.ListenFilter
  /** Whose task status changes it may receive (see `TaskWire.ownerOf`). */
  readonly owner: string
}

export interface StatelessDeps {
  readonly dispatcher: Dispatcher["Service"]
  readonly tools: ToolRegistry["Service"]
  readonly calls: Calls
  readonly support: StreamSupport
  /** Bounds `subscriptions/listen` streams in total and per principal. */
  readonly listenQuota: Quota
  /** Bounds what one listen stream's filter may hold. */
  readonly listenFilter: ListenFilter.ListenFilterLimits
  readonly clientRequestTimeoutMs: number
}

/** The 2026-07-28 handler of one transport, with its listen streams. */
export const make = (deps: StatelessDeps) => {
  const { calls, dispatcher, listenQuota, support, tools } = deps
  const listeners = new Set<ListenStream>()

  /** Checks the `Mcp-Param-*` headers a tool's `x-mcp-header` arguments require; undefined when they agree. */
  const paramHeaderMismatch = (req: IncomingMessage, name: string, args: unknown) => {
    const tool = tools.catalog.get(name)
    if (tool === undefined || tool.paramHeaders.length === 0) return undefined
    for (const { argument, header: headerName } of tool.paramHeaders) {
      const expected = headerText(isObject(args) ? args[argument] : undefined)
      if (expected === undefined) continue
      const raw = header(req, headerName)
      const value = raw === undefined ? undefined : decodeHeaderValue(raw)
      if (value !== expected) {
        return {
          message: raw === undefined
            ? `Bad Request: the ${headerName} header is required for argument ${argument}`
            : value === undefined
            ? `Bad Request: the ${headerName} header is not valid base64`
            : `Bad Request: the ${headerName} header and argument ${argument} disagree`,
          data: { header: raw ?? "(missing)", body: `arguments.${argument}` }
        }
      }
    }
    return undefined
  }

  const listen = (res: ServerResponse, id: RequestId, params: Record<string, unknown> | undefined, quotaKey: string, peer: Peer) => {
    const filter = ListenFilter.parse(params?.notifications, deps.listenFilter, declaresExtension(peer.clientCapabilities))
    if (filter instanceof ProtocolError) return replyProtocolError(res, 200, id, filter)
    const refused = listenQuota.take(quotaKey)
    if (refused === "perKey") return replyBusy(res, 429, id, `this client already holds ${listenQuota.maxPerKey} subscriptions/listen streams`, "maxListenStreamsPerPrincipal")
    if (refused === "total") return replyBusy(res, 503, id, `${listenQuota.max} subscriptions/listen streams are open on this instance`, "maxListenStreams")
    res.writeHead(200, SSE_HEADERS)
    const stream: ListenStream = { id, sse: new SseStream(`listen/${String(id)}`, res, undefined, support.onError), filter, owner: ownerOf(peer) }
    stream.sse.send(ListenFilter.acknowledgement(filter, id))
    listeners.add(stream)
    res.on("close", () => {
      listeners.delete(stream)
      listenQuota.release(quotaKey)
      void stream.sse.end()
    })
  }

  /**
   * Handles one 2026-07-28 message (already classified as a request or notification);
   * `versionHeader` is its `MCP-Protocol-Version`, which the caller read to route it here.
   */
  const handle = (req: IncomingMessage, res: ServerResponse, message: Record<string, unknown>, versionHeader: string | undefined, principal: string | undefined, quotaKey: string) => {
    const id = isRequestId(message.id) ? message.id : null
    const method = message.method as string
    const params = message.params as Record<string, unknown> | undefined
    if (!hasEnvelope(params)) {
      if (method === "initialize") {
        return replyError(res, 400, id, McpErrorCode.HeaderMismatch, `Bad Request: initialize (the 2025-11-25 handshake) was sent with the MCP-Protocol-Version header ${versionHeader}`)
      }
      return replyError(res, 400, id, ErrorCode.InvalidParams, `Invalid params: the MCP-Protocol-Version header names protocol revision ${versionHeader}, but the request is missing the required _meta envelope`, { envelope: { missing: ["_meta." + MetaKey.protocolVersion] } })
    }
    const meta = params._meta
    const invalid = incomplete(meta)
    if (invalid !== undefined) return replyProtocolError(res, 400, id, invalid)
    const version = meta[MetaKey.protocolVersion] as string
    if (versionHeader !== undefined && versionHeader !== version) {
      return replyError(res, 400, id, McpErrorCode.HeaderMismatch, `Bad Request: the MCP-Protocol-Version header (${versionHeader}) and _meta protocolVersion (${version}) disagree`, { mismatch: { header: versionHeader, body: version } })
    }
    const methodHeader = header(req, "mcp-method")
    if (methodHeader !== undefined && methodHeader !== method) {
      return replyError(res, 400, id, McpErrorCode.HeaderMismatch, `Bad Request: the Mcp-Method header (${methodHeader}) and the body method (${method}) disagree`, { mismatch: { header: methodHeader, body: method } })
    }
    const unsupported = unsupportedVersion(version)
    if (unsupported !== undefined) return replyProtocolError(res, 400, id, unsupported)
    if (id === null) {
      // notifications: cancellation over HTTP is closing the response stream, so nothing to do
      res.writeHead(202).end()
      return
    }
    if (versionHeader === undefined) return replyError(res, 400, id, McpErrorCode.HeaderMismatch, "Bad Request: the MCP-Protocol-Version header is required", { mismatch: { header: "(missing)", body: version } })
    if (methodHeader === undefined) return replyError(res, 400, id, McpErrorCode.HeaderMismatch, "Bad Request: the Mcp-Method header is required", { mismatch: { header: "(missing)", body: method } })
    const nameField = NAME_FIELD[method]
    if (nameField !== undefined && typeof params?.[nameField] === "string") {
      const raw = header(req, "mcp-name")
      const value = raw === undefined ? undefined : decodeHeaderValue(raw)
      if (value !== params[nameField]) {
        return replyError(res, 400, id, McpErrorCode.HeaderMismatch, raw === undefined ? "Bad Request: the Mcp-Name header is required" : `Bad Request: the Mcp-Name header (${raw}) and params.${nameField} disagree`, { mismatch: { header: raw ?? "(missing)", body: String(params[nameField]) } })
      }
    }
    if (method === "tools/call" && typeof params?.name === "string") {
      const mismatch = paramHeaderMismatch(req, params.name, params.arguments)
      if (mismatch !== undefined) return replyError(res, 400, id, McpErrorCode.HeaderMismatch, mismatch.message, { mismatch: mismatch.data })
    }
    const badToken = invalidProgressToken(params)
    if (badToken !== undefined) return replyProtocolError(res, 400, id, badToken)
    const peer = peerOf(meta, principal)
    if (method === "subscriptions/listen") return listen(res, id, params, quotaKey, peer)
    const exchange = new Exchange(res, undefined, support)
    calls.run(dispatcher.handle(id, method, params, peer, outboundOf(exchange, deps.clientRequestTimeoutMs)), exchange, id)
  }

  /** Sends a notification to every listen stream whose filter asks for it. */
  const deliver = (n: Notification) => {
    for (const stream of listeners) {
      const message = ListenFilter.messageFor(stream.filter, n, stream.id)
      if (message !== undefined) stream.sse.send(message)
    }
  }

  /** Sends a task's status change to the listen streams of its owner that ask for that task. */
  const deliverTask = (owner: string, task: Task) => {
    for (const stream of listeners) {
      if (stream.owner !== owner) continue
      const message = ListenFilter.taskMessageFor(stream.filter, task, stream.id)
      if (message !== undefined) stream.sse.send(message)
    }
  }

  const keepAlive = () => {
    for (const stream of listeners) stream.sse.keepAlive()
  }

  const close = () => {
    for (const stream of listeners) void stream.sse.end()
    listeners.clear()
  }

  return { handle, deliver, deliverTask, keepAlive, close, listening: () => listeners.size }
}
