/**
 * Request telemetry at the dispatcher's one entry: each answered request is recorded with its
 * latency and outcome under its method (the dispatcher's methods, else "other") and, for
 * `tools/call` of a registered tool, under the tool. Recorders are looked up, never built, per
 * request; telemetry off means this wrapper is not installed at all.
 */
import type { Recorder, RequestMetrics } from "@tenfold/metrics"
import { Effect } from "effect"
import type { RequestId } from "../JsonRpc.ts"
import type { Answer, Outbound, Peer } from "../Peer.ts"
import type { RegisteredTool } from "../ToolRegistry.ts"
import type { Catalog } from "./Catalog.ts"

/** The dispatcher's answering function (`Dispatcher.handle`): an answer ready at once, or an Effect that runs the call. */
export type Handle = (
  id: RequestId,
  method: string,
  params: Record<string, unknown> | undefined,
  peer: Peer,
  out: Outbound
) => Answer | Effect.Effect<Answer>

/** The methods the dispatcher answers: each has series of its own; any other name is recorded as "other". */
const METHODS = [
  "tools/call",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "prompts/list",
  "resources/read",
  "prompts/get",
  "completion/complete",
  "server/discover",
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe"
] as const

/** `handle` with every answer recorded in `metrics`. */
export const timed = (handle: Handle, metrics: RequestMetrics["Service"], tools: Catalog<RegisteredTool>): Handle => {
  const methods = new Map<string, Recorder>(METHODS.map((method) => [method, metrics.method(method)]))
  const other = metrics.method("other")
  const toolOf = (params: Record<string, unknown> | undefined): Recorder | undefined => {
    const name = params?.name
    return typeof name === "string" && tools.get(name) !== undefined ? metrics.tool(name) : undefined
  }
  const record = (method: Recorder, tool: Recorder | undefined, start: number, answer: Answer) => {
    const seconds = (performance.now() - start) / 1000
    const failed = answer.failed === true
    method.record(seconds, failed)
    tool?.record(seconds, failed)
    return answer
  }
  return (id, method, params, peer, out) => {
    const start = performance.now()
    const answer = handle(id, method, params, peer, out)
    const recorder = methods.get(method) ?? other
    const tool = method === "tools/call" ? toolOf(params) : undefined
    return Effect.isEffect(answer) ? Effect.map(answer, (a) => record(recorder, tool, start, a)) : record(recorder, tool, start, answer)
  }
}
