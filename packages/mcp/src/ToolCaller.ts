/**
 * Calls a registered tool from inside another tool (workflow steps, tools built from tools) by
 * the same path as a client's `tools/call`: the dispatcher's capability check, argument
 * validation, cache (keyed with the calling principal) and the `ToolExecutor` (admission,
 * placement, timeout), with the same telemetry and tracing. The nested call belongs to the call
 * that makes it: interrupting that call interrupts it, and it answers only to it — its
 * notifications (progress, logs) are not sent to the client, and it cannot ask the client for input.
 * It is admitted as a nested run (`Job.NestedRun`): when no slot is free it is refused with
 * ServerBusy at once instead of queueing behind runs that may be waiting on its caller.
 */
import type { CallToolResult } from "@modelcontextprotocol/server"
import { Job } from "@tenfold/executor"
import { Context, Effect, Layer } from "effect"
import { Dispatcher } from "./Dispatcher.ts"
import { ErrorCode, invalidParams, isObject, type JsonRpcResponse, ProtocolError } from "./JsonRpc.ts"
import { bodyText, type Peer, silentOutbound } from "./Peer.ts"
import type { ToolContext } from "./Tool.ts"

/**
 * How deep tools may call tools: a client's call is at depth 0, the tools it calls at 1, theirs
 * at 2. A call past it fails with -32602, so a workflow that runs workflows stays bounded.
 */
export const MAX_CALL_DEPTH = 2

/** The depth of the tool call the current fiber runs for (0: a client's call). */
const CallDepth = Context.Reference<number>("@tenfold/mcp/ToolCaller/CallDepth", { defaultValue: () => 0 })

/** Calls registered tools on behalf of a running tool call. */
export class ToolCaller extends Context.Service<ToolCaller, {
  /**
   * Calls tool `name` with `args` as the call `context` runs for (its principal, its client's
   * capabilities). Fails with the JSON-RPC error a client would have been answered (-32602 for
   * an unknown tool, bad arguments or calls nested past {@link MAX_CALL_DEPTH}; -32000 when the
   * server is busy); a tool's own failure is a result with `isError`.
   */
  readonly call: (context: ToolContext, name: string, args?: Record<string, unknown>) => Effect.Effect<CallToolResult, ProtocolError>
}>()("@tenfold/mcp/ToolCaller") {
  /** The caller over the runtime's `Dispatcher`. */
  static layer = Layer.effect(ToolCaller, Dispatcher.use((dispatcher) => Effect.succeed(make(dispatcher))))
}

/** What a tool that asked for client input answers when it was called by another tool. */
const inputUnavailable = (name: string): CallToolResult => ({
  content: [{ type: "text", text: `Tool ${name} asked for client input, which a call made by another tool cannot ask for` }],
  isError: true
})

/** Builds a caller over `dispatcher` (used by the layer and by tests). */
export const make = (dispatcher: Dispatcher["Service"]): ToolCaller["Service"] => {
  /** The answer's result, or its error as a ProtocolError (an answer is JSON the dispatcher wrote; a cached result is only ever held as such). */
  const resultOf = (name: string, text: string): Effect.Effect<CallToolResult, ProtocolError> => {
    const response = JSON.parse(text) as JsonRpcResponse
    if (response.error !== undefined) return Effect.fail(new ProtocolError(response.error))
    const result = response.result
    if (!isObject(result)) return Effect.fail(new ProtocolError({ code: ErrorCode.InternalError, message: `Tool ${name} answered no result` }))
    return Effect.succeed(result.resultType === "input_required" ? inputUnavailable(name) : result as CallToolResult)
  }

  return ToolCaller.of({
    call: (context, name, args) =>
      Effect.gen(function*() {
        const depth = (yield* CallDepth) + 1
        if (depth > MAX_CALL_DEPTH) return yield* invalidParams(`Tool ${name} cannot be called here: tools call tools at most ${MAX_CALL_DEPTH} deep`)
        // a session-style peer without a session: results come back plain (no stateless envelope fields)
        const peer: Peer = { stateless: false, principal: context.principal, clientCapabilities: context.clientCapabilities, logLevel: undefined, session: undefined }
        const handled = dispatcher.handle(context.requestId, "tools/call", args === undefined ? { name } : { name, arguments: args }, peer, silentOutbound)
        // a nested run never queues for admission: its caller holds a slot the queue may be waiting on
        const answer = Effect.isEffect(handled) ? yield* handled.pipe(Effect.provideService(CallDepth, depth), Effect.provideService(Job.NestedRun, true)) : handled
        return yield* resultOf(name, bodyText(answer))
      })
  })
}
