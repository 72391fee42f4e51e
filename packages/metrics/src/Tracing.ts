/**
 * Tracing and request-scoped logs of tool calls. The dispatcher hands each `tools/call` that runs
 * as an Effect to `ToolCallTracing.call` (and the executor each run to `run`) when the service is
 * provided; without it (tracing off, human logs) no span or annotation work happens per call.
 *
 * The span of a call continues the client's trace: its parent is the W3C trace context the
 * 2026-07-28 revision carries in `params._meta` (`traceparent`, `tracestate`: SEP-414, the SDK's
 * `TRACEPARENT_META_KEY` / `TRACESTATE_META_KEY`). Attribute names follow the OpenTelemetry MCP
 * and GenAI semantic conventions (spelled out here: the incubating constants module is megabytes).
 */
import { Context, Data, Effect, Layer, Tracer } from "effect"

/** The `_meta` key of the W3C `traceparent` (SEP-414). */
export const TRACEPARENT_META_KEY = "traceparent"
/** The `_meta` key of the W3C `tracestate` (SEP-414). */
export const TRACESTATE_META_KEY = "tracestate"
/** The `_meta` key of a 2026-07-28 request's protocol revision (the SDK's `PROTOCOL_VERSION_META_KEY`). */
export const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion"

/** Span and log attribute names (OpenTelemetry semantic conventions for MCP and GenAI). */
export const Attribute = {
  mcpMethodName: "mcp.method.name",
  mcpSessionId: "mcp.session.id",
  mcpProtocolVersion: "mcp.protocol.version",
  jsonRpcRequestId: "jsonrpc.request.id",
  rpcResponseStatusCode: "rpc.response.status_code",
  genAiOperationName: "gen_ai.operation.name",
  genAiToolName: "gen_ai.tool.name",
  errorType: "error.type"
} as const

/** `error.type` of a call whose tool failed (answered as an `isError` result), per the MCP conventions. */
export const TOOL_ERROR = "tool_error"

/** A remote parent read from `_meta`: the client's span that made the call. */
export interface TraceContext {
  readonly traceId: string
  readonly spanId: string
  readonly traceFlags: number
  readonly traceState: string | undefined
}

/** Longest `tracestate` kept (the W3C limit is 32 members; 512 characters is what vendors must accept). */
export const MAX_TRACESTATE_LENGTH = 512

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE_ID = "0".repeat(32)
const ZERO_SPAN_ID = "0".repeat(16)

/**
 * The trace context of a request's `_meta`, or undefined when there is none or it is malformed
 * (W3C rules: version `ff` and all-zero ids are invalid; version `00` has exactly four fields).
 * Reads two string properties of an untrusted value; never throws.
 */
export const traceContext = (meta: unknown): TraceContext | undefined => {
  if (typeof meta !== "object" || meta === null) return undefined
  const traceparent = (meta as Record<string, unknown>)[TRACEPARENT_META_KEY]
  // 55 characters for version 00; later versions may append fields, bounded here
  if (typeof traceparent !== "string" || traceparent.length < 55 || traceparent.length > 256) return undefined
  const match = TRACEPARENT.exec(traceparent)
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined]
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined
  const tracestate = (meta as Record<string, unknown>)[TRACESTATE_META_KEY]
  return {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16),
    traceState: typeof tracestate === "string" && tracestate.length <= MAX_TRACESTATE_LENGTH ? tracestate : undefined
  }
}

/** The protocol revision a 2026-07-28 request states in its `_meta` (a short string), else undefined. */
const protocolVersion = (meta: unknown): string | undefined => {
  const version = typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>)[PROTOCOL_VERSION_META_KEY] : undefined
  return typeof version === "string" && version.length <= 32 ? version : undefined
}

/** What the span and the logs of one `tools/call` say about it. */
export interface ToolCallRequest {
  readonly id: string | number
  /** The registered tool called; undefined for a name the server does not know (clients choose those: kept out of span names). */
  readonly tool: string | undefined
  /** `params` of the request as the client sent it (`_meta` is read from it). */
  readonly params: Record<string, unknown> | undefined
  /** The 2025-11-25 session, when there is one. */
  readonly sessionId: string | undefined
}

/** Longest request id put on a span or a log line as it is (a client chooses it; spans wait in the export queue). */
export const MAX_REQUEST_ID_LENGTH = 128

/** The request id, cut to {@link MAX_REQUEST_ID_LENGTH} characters. */
const requestId = (request: ToolCallRequest): string | number =>
  typeof request.id === "string" && request.id.length > MAX_REQUEST_ID_LENGTH ? `${request.id.slice(0, MAX_REQUEST_ID_LENGTH)}…` : request.id

/** Wraps tool calls and tool runs: spans when tracing is on, request ids (and trace ids) on their logs. */
export class ToolCallTracing extends Context.Service<ToolCallTracing, {
  /**
   * Runs one `tools/call`'s answer inside its span (a child of the client's trace context) with
   * its logs annotated. `errorOf` reads an answer's `error.type`: its JSON-RPC error code, or
   * {@link TOOL_ERROR} for an `isError` result; undefined for a success. An error answer is
   * logged at debug level.
   */
  readonly call: <A>(request: ToolCallRequest, answer: Effect.Effect<A>, errorOf: (answer: A) => string | undefined) => Effect.Effect<A>
  /** Runs one tool run (the executor's part of a call, or a background refresh) inside its span. */
  readonly run: <A, E, R>(tool: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>()("@tenfold/metrics/ToolCallTracing") {
  /** No spans: request ids on the logs, and the client's trace id when it sent one (for `--log-format json`). */
  static layerLogs = Layer.sync(ToolCallTracing, () => makeLogs())
  /**
   * Spans through the installed Effect `Tracer`; `parentOf` turns a client's trace context into
   * the parent span (the OpenTelemetry module keeps its trace flags and trace state).
   */
  static layerSpans = (parentOf: (context: TraceContext) => Tracer.AnySpan = externalParent) =>
    Layer.sync(ToolCallTracing, () => makeSpans(parentOf))
}

/** The log annotations of one call: its request id and tool. */
const logAnnotations = (request: ToolCallRequest): Record<string, unknown> =>
  request.tool === undefined ? { requestId: requestId(request) } : { requestId: requestId(request), tool: request.tool }

/** A client's span as a parent that Effect's own tracer understands. */
const externalParent = (context: TraceContext): Tracer.AnySpan =>
  Tracer.externalSpan({ traceId: context.traceId, spanId: context.spanId, sampled: (context.traceFlags & 1) === 1 })

const logError = (errorType: string) =>
  Effect.logDebug(errorType === TOOL_ERROR ? "tools/call answered a tool error (isError)" : `tools/call answered JSON-RPC error ${errorType}`)

/**
 * The answer with its logs annotated; `onError` runs (inside the annotations) with the
 * `error.type` of an error answer, where the span-less and the traced calls differ.
 */
const annotated = <A, E>(
  request: ToolCallRequest,
  answer: Effect.Effect<A>,
  errorOf: (answer: A) => string | undefined,
  onError: (errorType: string, answer: A) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.annotateLogs(
    Effect.flatMap(answer, (value) => {
      const errorType = errorOf(value)
      return errorType === undefined ? Effect.succeed(value) : Effect.andThen(logError(errorType), onError(errorType, value))
    }),
    logAnnotations(request)
  )

/** Logs only: annotations, and the client's span as the parent so log lines carry its trace id. */
const makeLogs = (): ToolCallTracing["Service"] => ({
  call: (request, answer, errorOf) => {
    const context = traceContext(request.params?._meta)
    const logged = annotated(request, answer, errorOf, (_, value) => Effect.succeed(value))
    return context === undefined ? logged : Effect.withParentSpan(logged, externalParent(context))
  },
  run: (_tool, effect) => effect
})

/** A call whose answer is an error (a JSON-RPC error, or a failed tool): the span's failure. */
class ToolCallFailed<A> extends Data.TaggedError("ToolCallFailed")<{ readonly message: string; readonly answer: A }> {}

const spanOptions = { captureStackTrace: false } as const

/** Spans: `tools/call <tool>` (server) around each call and `execute_tool <tool>` around each run. */
const makeSpans = (parentOf: (context: TraceContext) => Tracer.AnySpan): ToolCallTracing["Service"] => ({
  call: <A>(request: ToolCallRequest, answer: Effect.Effect<A>, errorOf: (answer: A) => string | undefined) => {
    const tool = request.tool
    const context = traceContext(request.params?._meta)
    const attributes: Record<string, unknown> = {
      [Attribute.mcpMethodName]: "tools/call",
      [Attribute.genAiOperationName]: "execute_tool",
      [Attribute.jsonRpcRequestId]: String(requestId(request))
    }
    if (tool !== undefined) attributes[Attribute.genAiToolName] = tool
    if (request.sessionId !== undefined) attributes[Attribute.mcpSessionId] = request.sessionId
    const version = protocolVersion(request.params?._meta)
    if (version !== undefined) attributes[Attribute.mcpProtocolVersion] = version
    const traced = Effect.useSpan(
      tool === undefined ? "tools/call" : `tools/call ${tool}`,
      { ...spanOptions, kind: "server", attributes, parent: context === undefined ? undefined : parentOf(context) },
      (span) => {
        // a failed run (see `run`) marks the span before the answer is known
        const errorType = (value: A) => errorOf(value) ?? (span.attributes.get(Attribute.errorType) === TOOL_ERROR ? TOOL_ERROR : undefined)
        const marked = annotated(request, answer, errorType, (type, value) => {
          span.attribute(Attribute.errorType, type)
          if (type !== TOOL_ERROR) span.attribute(Attribute.rpcResponseStatusCode, type)
          const message = type === TOOL_ERROR ? "The tool failed (isError result)" : `JSON-RPC error ${type}`
          return Effect.fail(new ToolCallFailed({ message, answer: value }))
        })
        return Effect.withParentSpan(marked, span, spanOptions)
      }
    )
    // the failure only marks the span: the caller still gets the answer
    return Effect.catchTag(traced, "ToolCallFailed", (failed) => Effect.succeed(failed.answer))
  },
  run: (tool, effect) =>
    effect.pipe(
      Effect.withSpan(`execute_tool ${tool}`, {
        ...spanOptions,
        kind: "internal",
        attributes: { [Attribute.genAiOperationName]: "execute_tool", [Attribute.genAiToolName]: tool }
      }),
      // outside the run's span, so it marks the call's span: the call answers an isError result
      Effect.tapError(() => Effect.annotateCurrentSpan(Attribute.errorType, TOOL_ERROR))
    )
})
