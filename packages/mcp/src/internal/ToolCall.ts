/**
 * The `ToolContext` of one `tools/call`: one object per call with its methods on the prototype,
 * because the hot path pays for every closure it allocates.
 */
import type { ClientCapabilities, ElicitRequestParams, LoggingLevel } from "@modelcontextprotocol/server"
import { Effect } from "effect"
import type { Outbound, Peer } from "../Peer.ts"
import { isObject, type RequestId } from "../JsonRpc.ts"
import { levelPasses } from "../Protocol.ts"
import { type InputRequest, type ToolContext, ToolError } from "../Tool.ts"
import type { InputUse } from "./InputRounds.ts"

/** Raised (as a defect) by `input` on a stateless call that has no response yet for its request. */
export class NeedInput {
  readonly key: string
  readonly request: InputRequest
  constructor(key: string, request: InputRequest) {
    this.key = key
    this.request = request
  }
}

/** A task's statusMessage for a progress report: its message, else `progress/total`. */
const progressText = (progress: number, total: number | undefined, message: string | undefined) =>
  message ?? (total === undefined ? `${progress}` : `${progress}/${total}`)

const CAPABILITY_OF_INPUT: Record<InputRequest["method"], string> = {
  "elicitation/create": "elicitation",
  "sampling/createMessage": "sampling",
  "roots/list": "roots"
}

/** The context of one run of a tool; marks the call as input-dependent as soon as the tool asks for input. */
export class ToolCall implements ToolContext {
  readonly requestId: RequestId
  readonly inputResponses: Readonly<Record<string, unknown>>
  readonly requestState: unknown
  readonly #peer: Peer
  readonly #out: Outbound
  readonly #progressToken: unknown
  readonly #use: InputUse
  readonly #report: ((message: string) => void) | undefined
  #inputIndex = 0

  constructor(
    requestId: RequestId,
    meta: unknown,
    peer: Peer,
    out: Outbound,
    inputResponses: Readonly<Record<string, unknown>>,
    requestState: unknown,
    use: InputUse,
    report?: (message: string) => void
  ) {
    this.requestId = requestId
    this.inputResponses = inputResponses
    this.requestState = requestState
    this.#peer = peer
    this.#out = out
    this.#use = use
    this.#report = report
    this.#progressToken = isObject(meta) ? meta.progressToken : undefined
  }

  get closeStream(): Effect.Effect<void> {
    const close = this.#out.closeStream
    return close === undefined ? Effect.void : Effect.sync(close)
  }

  get principal(): string | undefined {
    return this.#peer.principal
  }

  get clientCapabilities(): ClientCapabilities {
    return this.#peer.clientCapabilities
  }

  progress(progress: number, total?: number, message?: string): Effect.Effect<void> {
    const progressToken = this.#progressToken
    // a call running as a task shows its progress as the task's statusMessage
    const report = this.#report
    if (progressToken === undefined) return report === undefined ? Effect.void : Effect.sync(() => report(progressText(progress, total, message)))
    return Effect.sync(() => {
      report?.(progressText(progress, total, message))
      this.#out.notify("notifications/progress", {
        progressToken,
        progress,
        ...(total === undefined ? {} : { total }),
        ...(message === undefined ? {} : { message })
      })
    })
  }

  log(level: LoggingLevel, data: unknown, logger?: string): Effect.Effect<void> {
    const threshold = this.#peer.session?.logLevel ?? this.#peer.logLevel
    const passes = threshold === undefined ? !this.#peer.stateless : levelPasses(level, threshold)
    if (!passes) return Effect.void
    return Effect.sync(() => this.#out.notify("notifications/message", { level, data, ...(logger === undefined ? {} : { logger }) }))
  }

  input(request: InputRequest): Effect.Effect<Record<string, unknown>, ToolError> {
    this.#use.asked = true
    const request_ = this.#out.request
    if (!this.#peer.stateless && request_ !== undefined) {
      if ((this.#peer.clientCapabilities as Record<string, unknown>)[CAPABILITY_OF_INPUT[request.method]] === undefined) {
        return Effect.fail(new ToolError({ message: `The client does not support ${request.method}` }))
      }
      return request_(request.method, request.params).pipe(
        Effect.mapError((e) => new ToolError({ message: e.message })),
        Effect.flatMap((r) => (isObject(r) ? Effect.succeed(r) : Effect.fail(new ToolError({ message: `Invalid ${request.method} response` }))))
      )
    }
    const key = `input_${this.#inputIndex++}`
    const response = this.inputResponses[key]
    return isObject(response) ? Effect.succeed(response) : Effect.die(new NeedInput(key, request))
  }

  elicit(params: ElicitRequestParams): Effect.Effect<Record<string, unknown>, ToolError> {
    return this.input({ method: "elicitation/create", params: params as Record<string, unknown> })
  }
}
