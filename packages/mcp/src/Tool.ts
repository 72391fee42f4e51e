/**
 * How a tool is declared: an Effect Schema input (and optional output), annotations, and an
 * implementation that is given inline, imported on the first call, or named by module URL (so a
 * worker thread can import it too). The declaration is all `tools/list` ever needs, so listing
 * never loads an implementation.
 */
import type { CallToolResult, ClientCapabilities, ContentBlock, ElicitRequestParams, LoggingLevel, ToolAnnotations } from "@modelcontextprotocol/server"
import type { Policy } from "@tenfold/cache"
import type { Job } from "@tenfold/executor"
import { Data, type Effect, type Schema, type Stream } from "effect"
import type { RequestId } from "./JsonRpc.ts"

/** What a tool implementation can see and do while it runs for one `tools/call`. */
export interface ToolContext {
  /** The authenticated principal (bearer token owner), or undefined when auth is off. */
  readonly principal: string | undefined
  readonly requestId: RequestId
  /** Sends `notifications/progress` when the caller asked for progress; a no-op otherwise. */
  readonly progress: (progress: number, total?: number, message?: string) => Effect.Effect<void>
  /** Sends `notifications/message` at `level` when the client's log level lets it through. */
  readonly log: (level: LoggingLevel, data: unknown, logger?: string) => Effect.Effect<void>
  /**
   * Ends the call's HTTP stream now; the client reconnects (after the stream's `retry`) with
   * `Last-Event-ID` and receives what follows, the result included — so a long call holds no
   * connection (2025-11-25 sessions over HTTP; a no-op elsewhere).
   */
  readonly closeStream: Effect.Effect<void>
  /** What the client said it can do (sampling, elicitation, roots…). */
  readonly clientCapabilities: ClientCapabilities
  /**
   * Asks the client for input: `elicitation/create`, `sampling/createMessage` or `roots/list`.
   * Over a 2025-11-25 session this is a request on the call's stream; over 2026-07-28 the call
   * answers `input_required` and is run again with the response, so code before `input` must be
   * safe to run twice.
   */
  readonly input: (request: InputRequest) => Effect.Effect<Record<string, unknown>, ToolError>
  /** Shorthand for `input({ method: "elicitation/create", params })`. */
  readonly elicit: (params: ElicitRequestParams) => Effect.Effect<Record<string, unknown>, ToolError>
  /**
   * Multi-round-trip input, low level: the responses the client sent for the `inputRequests` of
   * this tool's previous `inputRequired` answer (and of earlier rounds), keyed as the tool asked.
   */
  readonly inputResponses: Readonly<Record<string, unknown>>
  /** The state this tool attached to its previous `inputRequired` answer, verified untampered. */
  readonly requestState: unknown
}

/** A request for client input inside a multi-round-trip call. */
export interface InputRequest {
  readonly method: "elicitation/create" | "sampling/createMessage" | "roots/list"
  readonly params: Record<string, unknown>
}

/**
 * A tool's answer that it needs client input before it can finish. The server signs `state`
 * into the `requestState` the client echoes back, so a tool can trust it on the next round.
 */
export class InputRequired {
  readonly _tag = "InputRequired"
  readonly inputRequests: Readonly<Record<string, InputRequest>>
  readonly state: unknown
  constructor(inputRequests: Readonly<Record<string, InputRequest>>, state?: unknown) {
    this.inputRequests = inputRequests
    this.state = state
  }
}

/** Answers a call with `resultType: "input_required"` (see {@link InputRequired}). */
export const inputRequired = (inputRequests: Readonly<Record<string, InputRequest>>, state?: unknown) =>
  new InputRequired(inputRequests, state)

/** A tool's own failure: answered as a result with `isError: true` and this message. */
export class ToolError extends Data.TaggedError("ToolError")<{ readonly message: string }> {}

/**
 * A result produced as it goes: text pieces (consecutive ones form one text block) and content
 * blocks, sent to the client as they are produced, so a result of any size holds only the
 * streamer's buffer. A failure ends the result with `isError: true` after what was sent.
 */
export type ToolStream = Stream.Stream<string | ContentBlock, ToolError | Error>

/** What a tool without an output schema returns: plain text, content blocks, a whole result, or a stream. */
export type ToolReturn = string | ReadonlyArray<ContentBlock> | CallToolResult | ToolStream

export type ToolHandler<A, O> = (args: A, context: ToolContext) => Effect.Effect<O | InputRequired, ToolError | Error>

/**
 * A tool input described by a JSON Schema (2020-12) instead of an Effect Schema: advertised
 * exactly as given and validated with it (tools whose schema comes from elsewhere, e.g. upstreams).
 */
export class JsonSchemaInput {
  readonly schema: Record<string, unknown>
  constructor(schema: Record<string, unknown>) {
    this.schema = schema
  }
}

/** Declares a tool input by its JSON Schema (see {@link JsonSchemaInput}). */
export const jsonSchema = (schema: Record<string, unknown>) => new JsonSchemaInput(schema)

/** What a tool's input may be declared with. */
export type Input = Schema.Top | JsonSchemaInput

/** The decoded input type of a tool's input schema. */
export type InputOf<I extends Input> = I extends Schema.Top ? I["Type"] : Record<string, unknown>
/** What a handler returns: the output schema's type when one is declared, else a ToolReturn. */
export type OutputOf<O extends Schema.Top | undefined> = O extends Schema.Top ? O["Type"] : ToolReturn

export interface ToolDefinition<
  I extends Input = Input,
  O extends Schema.Top | undefined = Schema.Top | undefined
> {
  readonly name: string
  readonly title?: string
  readonly description: string
  /** Decoded before the handler runs; a bad argument answers -32602 naming the field. An Effect Schema, or `Tool.jsonSchema({...})`. */
  readonly input: I
  /** When present, the handler's value is encoded with it and returned as `structuredContent`. */
  readonly output?: O
  readonly annotations?: ToolAnnotations
  readonly _meta?: Record<string, unknown>
  /**
   * Result caching. Read-only tools (`annotations.readOnlyHint: true`) are cached with the default
   * policy unless this is `false`; other tools only when this (or the configuration) asks for it.
   */
  readonly cache?: Policy.CacheOptions | false
  /** Client capabilities the tool cannot work without; a call without them answers -32021. */
  readonly requiredClientCapabilities?: ClientCapabilities
  /** The implementation, when it is cheap to have loaded at start. */
  readonly handler?: ToolHandler<InputOf<I>, OutputOf<O>>
  /** Imports the implementation on the first call (use `() => import("./x.ts").then((m) => m.handler)`). */
  readonly load?: () => Promise<ToolHandler<InputOf<I>, OutputOf<O>>>
  /**
   * The implementation by module URL and export name (default `handler`): imported on the first
   * call in-process, and importable by a worker thread when placement sends the tool there
   * (e.g. `{ url: new URL("./hash.ts", import.meta.url) }`).
   */
  readonly module?: Job.ModuleRef
  /** Longest a call may run before it is interrupted and answered as timed out (default: the executor's `toolTimeoutMs`; 0 = none). */
  readonly timeoutMs?: number
  /** A hint for placement: the tool is CPU-bound and belongs on a worker thread. */
  readonly cpuBound?: boolean
  /**
   * Whether a call may run as an MCP task (`execution.taskSupport`): `"optional"` runs it as a task
   * for clients that support tasks and inline for others; `"required"` refuses clients that do not
   * (-32021 on 2026-07-28, -32601 on 2025-11-25); `"forbidden"` (the default) always runs inline.
   * While it runs as a task, `progress(…, message)` becomes the task's `statusMessage`.
   */
  readonly taskSupport?: TaskSupport
}

/** How a tool may be called as an MCP task (see {@link ToolDefinition.taskSupport}). */
export type TaskSupport = "forbidden" | "optional" | "required"

/** Declares a tool with its types inferred from the schemas. */
export const make = <I extends Input, O extends Schema.Top | undefined = undefined>(
  definition: ToolDefinition<I, O>
): ToolDefinition<I, O> => definition
