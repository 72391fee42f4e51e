/**
 * The JSON-RPC dispatcher: one request in, one serialized response out, for both the stateless
 * 2026-07-28 revision and 2025-11-25 sessions. The hot path of a tool call reads top to bottom
 * in `callTool`. Transports own the wire (HTTP, stdio) and hand each parsed message here.
 */
import { type CacheKey, Policy, TieredCache } from "@tenfold/cache"
import { ServerBusy, ToolExecutor, ToolTimeout } from "@tenfold/executor"
import { RequestMetrics, ToolCallTracing, Tracing } from "@tenfold/metrics"
import { defaultStreamer, Streamer } from "@tenfold/streaming"
import { Cause, Clock, Context, Effect, Exit, Layer, Option, Stream } from "effect"
import {
  ErrorCode,
  errorBytes,
  invalidParams,
  isObject,
  methodNotFound,
  notification,
  ProtocolError,
  quote,
  type RequestId,
  result,
  resultBytes
} from "./JsonRpc.ts"
import { type Answer, type Outbound, type Peer, silentOutbound } from "./Peer.ts"
import { PromptRegistry } from "./PromptRegistry.ts"
import {
  isLoggingLevel,
  McpErrorCode,
  RELATED_TASK_META_KEY,
  SESSION_ONLY_METHODS,
  SESSION_REVISION,
  SESSION_REVISIONS,
  type ServerInfo,
  STATELESS_REVISIONS,
  TASKS_EXTENSION
} from "./Protocol.ts"
import { ResourceRegistry } from "./ResourceRegistry.ts"
import type { Catalog } from "./internal/Catalog.ts"
import { missingCapabilities } from "./internal/Capabilities.ts"
import * as InputRounds from "./internal/InputRounds.ts"
import * as StreamedResult from "./internal/StreamedResult.ts"
import * as RequestTiming from "./internal/RequestTiming.ts"
import * as ResultJson from "./internal/ResultJson.ts"
import * as TaskWire from "./internal/TaskWire.ts"
import { NeedInput, ToolCall } from "./internal/ToolCall.ts"
import { toCallToolResult } from "./internal/ToolResult.ts"
import { InputRequired, ToolError, type ToolHandler } from "./Tool.ts"
import { type RegisteredTool, ToolRegistry } from "./ToolRegistry.ts"
import { isTerminal, type Task, type TaskControl, type TaskOutcome, Tasks } from "./Tasks.ts"

export interface DispatcherOptions {
  readonly serverInfo: ServerInfo
  /** `ttlMs` stated on 2026-07-28 list results (default 60000). */
  readonly listTtlMs?: number
  /** Secret for signing `requestState` (default: random per process; set it when scaling out). */
  readonly requestStateKey?: string
  /** Called with every defect (bug) a handler died of, for logging; never shown to clients. */
  readonly onDefect?: (cause: Cause.Cause<unknown>, method: string) => void
  /** Most `resources/subscribe` URIs one session may hold (default 1000); past it: -32000. */
  readonly maxSubscriptionsPerSession?: number
}

/** Most input rounds one task may ask for before it fails (each waits on the client). */
const MAX_TASK_INPUT_ROUNDS = 64

/** Most JSON a streamed result is collected to where it cannot be streamed (batches, non-streaming transports). */
const MAX_COLLECTED_BYTES = 4 * 1024 * 1024

/** Longest URI a session may subscribe to (a resource URI needs far less; bounds what a session holds). */
export const MAX_SUBSCRIPTION_URI_LENGTH = 4096

/** A cache key as `Policy.key` builds it. */

const ok = (body: Answer["body"]): Answer => ({ body, status: 200 })

/** A result that reports a tool's failure (`isError`): a success for JSON-RPC, a failure for telemetry. */
const failedOk = (body: string | Uint8Array): Answer => ({ body, status: 200, failed: true })

const errorAnswer = (id: RequestId | null, e: ProtocolError, stateless: boolean): Answer => ({
  body: errorBytes(id, e.code, e.message, e.data),
  status: stateless ? statusOf(e.code) : 200,
  failed: true
})

const statusOf = (code: number): number => {
  switch (code) {
    case ErrorCode.MethodNotFound:
      return 404
    case McpErrorCode.HeaderMismatch:
    case McpErrorCode.MissingRequiredClientCapability:
    case McpErrorCode.UnsupportedProtocolVersion:
      return 400
    case ErrorCode.ServerBusy:
      return 503
    default:
      return 200
  }
}

/** Calls a handler; one that throws instead of returning an Effect dies like a defect. */
const invoke = (handler: ToolHandler<unknown, unknown>, args: unknown, context: ToolCall) => {
  try {
    return handler(args, context)
  } catch (defect) {
    return Effect.die(defect)
  }
}

/** The text of a tool's failure: its message when it has one, else a generic one (never the value's own `toString`). */
const failureText = (error: unknown): string =>
  error instanceof ToolError || error instanceof Error ? error.message : "The tool failed"

/** A way back for background work (cache refreshes): nothing to notify, no client to ask. */
const detached = silentOutbound

/** Dispatches MCP requests to the registries. Built once; nothing per request but the call itself. */
export class Dispatcher extends Context.Service<Dispatcher, {
  /** Answers one request. A string is ready at once (cached lists, ping); an Effect runs the call. */
  readonly handle: RequestTiming.Handle
  /** The `initialize` result for a session that asked for `requestedVersion`. */
  readonly initializeResult: (requestedVersion: unknown) => { readonly protocolVersion: string; readonly result: Record<string, unknown> }
  /** The capabilities this server declares. */
  readonly capabilities: Record<string, unknown>
  readonly serverInfo: ServerInfo
}>()("@tenfold/mcp/Dispatcher") {
  static layer = (options: DispatcherOptions) => Layer.effect(Dispatcher, make(options))
}

export const make = (options: DispatcherOptions) =>
  Effect.gen(function*() {
    const tools = yield* ToolRegistry
    const resources = yield* ResourceRegistry
    const prompts = yield* PromptRegistry
    const cache = Option.getOrUndefined(yield* Effect.serviceOption(TieredCache))
    // every tool run goes through the executor; an app that provides none gets the default one
    const provided = yield* Effect.serviceOption(ToolExecutor)
    const executor = Option.isSome(provided)
      ? provided.value
      : yield* Effect.provide(ToolExecutor.use(Effect.succeed), ToolExecutor.layerDefault())
    const clock = yield* Clock.Clock
    const streamer = Option.getOrElse(yield* Effect.serviceOption(Streamer), () => defaultStreamer)
    // tracing off and human logs: tools/call is not wrapped at all
    const tracing = Option.getOrUndefined(yield* Effect.serviceOption(ToolCallTracing))
    // telemetry off: no recorder, and `handle` is the bare dispatch
    const requestMetrics = Option.getOrUndefined(yield* Effect.serviceOption(RequestMetrics))
    // no Tasks service: no call runs as a task and the tasks/* methods are not found
    const tasks = Option.getOrUndefined(yield* Effect.serviceOption(Tasks))
    const serverInfo = options.serverInfo
    const identity = { name: serverInfo.name, version: serverInfo.version, ...(serverInfo.title === undefined ? {} : { title: serverInfo.title }) }
    const inputRounds = InputRounds.make(options.requestStateKey)
    const listTtlMs = options.listTtlMs ?? 60_000
    const maxSubscriptions = options.maxSubscriptionsPerSession ?? 1000

    const baseCapabilities = {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {}
    }
    const capabilities = tasks === undefined ? baseCapabilities : { ...baseCapabilities, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }
    // 2026-07-28 has no `tasks` capability: tasks are the io.modelcontextprotocol/tasks extension
    const statelessCapabilities = tasks === undefined ? baseCapabilities : { ...baseCapabilities, extensions: { [TASKS_EXTENSION]: {} } }

    const json = ResultJson.make(identity)
    const statelessJson = json.stateless
    // list pages are served as bytes that close the whole response: only the id is spliced in per request
    const statelessListTail = `${json.cacheableTail("public", listTtlMs)}}`
    const sessionListTail = "}}"
    for (const catalog of [tools.catalog, resources.resources, resources.templates, prompts.catalog] as ReadonlyArray<Catalog<unknown>>) {
      const serialize = () => {
        catalog.pageBytes(undefined, statelessListTail)
        catalog.pageBytes(undefined, sessionListTail)
      }
      serialize()
      catalog.onChange(serialize)
    }

    /** The 2026-07-28 cache hints of a cacheable result (stateless peers only). */
    const withCacheHints = (value: Record<string, unknown>, peer: Peer, scope: "public" | "private", ttlMs: number) =>
      peer.stateless ? { ...value, ttlMs, cacheScope: scope } : value

    const listAnswer = (id: RequestId, catalog: Catalog<unknown>, params: Record<string, unknown> | undefined, peer: Peer): Answer => {
      const cursor = params?.cursor
      if (cursor !== undefined && typeof cursor !== "string") return errorAnswer(id, invalidParams("cursor must be a string"), peer.stateless)
      const page = catalog.pageBytes(cursor, peer.stateless ? statelessListTail : sessionListTail)
      return page instanceof Uint8Array ? ok(ResultJson.responseBytes(id, page)) : errorAnswer(id, page, peer.stateless)
    }

    /** Turns a failed handling into its error answer: the ProtocolError, or -32603 for a defect (logged). */
    const failureAnswer = (id: RequestId, peer: Peer, method: string) => (cause: Cause.Cause<ProtocolError>): Effect.Effect<Answer> => {
      const failure = cause.reasons.find(Cause.isFailReason)
      if (failure !== undefined) return Effect.succeed(errorAnswer(id, failure.error, peer.stateless))
      if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
      options.onDefect?.(cause, method)
      return Effect.succeed(errorAnswer(id, new ProtocolError({ code: ErrorCode.InternalError, message: `Internal error while handling ${method}` }), peer.stateless))
    }

    /** The answer of a handling that yields a result (serialized for `peer`) or fails. */
    const answerWith = <A extends Record<string, unknown>>(
      id: RequestId,
      peer: Peer,
      method: string,
      effect: Effect.Effect<A, ProtocolError>
    ): Effect.Effect<Answer> =>
      effect.pipe(
        Effect.map((value) =>
          value instanceof StreamedResult.StreamedResult
            ? streamedAnswer(id, value, peer)
            : (value.isError === true ? failedOk : ok)(peer.stateless ? resultBytes(id, statelessJson(value)) : result(id, value))
        ),
        Effect.catchCause(failureAnswer(id, peer, method))
      )

    // ---- tools/call: the hot path ------------------------------------------------------------

    const callTool = (id: RequestId, params: Record<string, unknown> | undefined, peer: Peer, out: Outbound): Answer | Effect.Effect<Answer> => {
      const name = params?.name
      if (typeof name !== "string") return Effect.succeed(errorAnswer(id, invalidParams("tools/call requires params.name (a string)"), peer.stateless))
      const tool = tools.catalog.get(name)
      if (tool === undefined) return Effect.succeed(errorAnswer(id, invalidParams(`Unknown tool: ${quote(name)}`), peer.stateless))
      const missing = missingCapabilities(tool.definition.requiredClientCapabilities, peer.clientCapabilities)
      if (missing !== undefined) {
        return Effect.succeed(errorAnswer(id, new ProtocolError({
          code: McpErrorCode.MissingRequiredClientCapability,
          message: `Tool ${name} requires client capabilities: ${Object.keys(missing).join(", ")}`,
          data: { requiredCapabilities: missing }
        }), peer.stateless))
      }
      if (tasks !== undefined && (tool.definition.taskSupport !== undefined || params!.task !== undefined)) {
        const mode = TaskWire.modeOf(name, tool.definition.taskSupport, params!, peer)
        if (mode instanceof ProtocolError) return Effect.succeed(errorAnswer(id, mode, peer.stateless))
        if (mode !== undefined) return taskCall(id, tool, params!, peer, out, mode)
      }
      // a call answering an input round depends on the client's answers: never read or written
      const policy = cache === undefined || InputRounds.carriesInput(params) ? undefined : tool.policy
      // undefined also when the arguments cannot be keyed (too deep, too long): the call runs uncached
      const key = policy === undefined ? undefined : Policy.key(name, policy, peer.principal, params!.arguments)
      if (key === undefined) return uncachedCall(id, tool, params!, peer, out)
      return cachedCall(id, tool, params!, policy!, key, peer, out)
    }

    /**
     * A tools/call in its span, its logs annotated with its request id (tracing or JSON logs on).
     * A fresh L1 hit answered at once gets neither: it runs no Effect, and a span would cost more than the answer.
     */
    const tracedCall = (id: RequestId, params: Record<string, unknown> | undefined, peer: Peer, out: Outbound): Answer | Effect.Effect<Answer> => {
      const answer = callTool(id, params, peer, out)
      if (!Effect.isEffect(answer)) return answer
      const name = params?.name
      const tool = typeof name === "string" && tools.catalog.get(name) !== undefined ? name : undefined
      return tracing!.call({ id, tool, params, sessionId: peer.session?.id }, answer, errorTypeOf(id))
    }

    /** Decodes the arguments and runs the tool; a bad argument answers -32602 naming the field. */
    const uncachedCall = (id: RequestId, tool: RegisteredTool, params: Record<string, unknown>, peer: Peer, out: Outbound): Effect.Effect<Answer> => {
      const decoded = tool.decodeArguments(params.arguments)
      if (Exit.isFailure(decoded)) return Effect.succeed(errorAnswer(id, Cause.squash(decoded.cause) as ProtocolError, peer.stateless))
      return answerWith(id, peer, "tools/call", runTool(tool, decoded.value, id, params, peer, out, { asked: false }, out.streaming === true ? undefined : MAX_COLLECTED_BYTES))
    }

    /** Keys whose last computation asked the client for input, so a caller that only waited on it runs its own. */
    const inputDependent = new Set<string>()
    const MAX_INPUT_DEPENDENT_KEYS = 10_000

    /**
     * A call of a cached tool, through the cache's one entry point: a fresh L1 hit answers at once
     * (no Effect runs, no decoding: an entry exists only for arguments that decoded before); a
     * stale one within stale-while-revalidate answers at once while the tool runs again in the
     * background (with no way back to this client); a miss decodes and runs the tool once for all
     * concurrent callers. A result that needed client input is not stored, and is not handed to
     * the callers that only waited on it: they run the tool themselves.
     */
    const cachedCall = (
      id: RequestId,
      tool: RegisteredTool,
      params: Record<string, unknown>,
      policy: Policy.CachePolicy,
      key: CacheKey.CacheKey,
      peer: Peer,
      out: Outbound
    ): Answer | Effect.Effect<Answer> => {
      let foreground = false
      let ran = false
      // set when the call waits on the cache (see below)
      let callerContext: Context.Context<never> | undefined
      const compute = Effect.suspend(() => {
        ran = foreground
        const decoded = tool.decodeArguments(params.arguments)
        if (Exit.isFailure(decoded)) return Effect.failCause(decoded.cause)
        const use: InputRounds.InputUse = { asked: false }
        const run = Effect.map(runTool(tool, decoded.value, id, params, peer, foreground ? out : detached, use, policy.maxBytes), (value) => {
          if (!use.asked) inputDependent.delete(key.id)
          else {
            if (inputDependent.size >= MAX_INPUT_DEPENDENT_KEYS) inputDependent.clear()
            inputDependent.add(key.id)
          }
          const failed = value.isError === true
          return { value: JSON.stringify(value), cacheable: !use.asked && !failed && value.resultType === undefined, failed }
        })
        // the computation runs in the cache's own fiber: it gets the context of the caller that starts it
        // (a nested call's depth and Job.NestedRun among it), as it would running in the caller's fiber
        return callerContext === undefined ? run : Effect.provideContext(run, callerContext)
      })
      const served = cache!.serve(key, policy, compute)
      if (!Effect.isEffect(served)) return ok(resultBytes(id, cachedJson(served.value, peer, policy, served.freshUntil)))
      foreground = true
      return Effect.withFiber((fiber) => {
        callerContext = fiber.context
        return served
      }).pipe(
        Effect.flatMap((served) =>
          !ran && served.freshUntil === 0 && inputDependent.has(key.id)
            ? uncachedCall(id, tool, params, peer, out)
            : Effect.succeed((served.failed === true ? failedOk : ok)(resultBytes(id, cachedJson(served.value, peer, policy, served.freshUntil))))
        ),
        Effect.catchCause(failureAnswer(id, peer, "tools/call"))
      )
    }

    /** A cached result for `peer`; stateless answers also say how long it stays fresh and for whom. */
    const cachedJson = (value: string, peer: Peer, policy: Policy.CachePolicy, freshUntil: number): string =>
      peer.stateless ? json.cached(value, policy.scope, freshUntil, clock.currentTimeMillisUnsafe()) : value

    /** What a failed tool run answers: a timeout or the tool's own failure as an isError result; admission refusal as ServerBusy. */
    const runFailure = (cause: Cause.Cause<unknown>, userState: unknown): Effect.Effect<Record<string, unknown> | InputRequired, ProtocolError> => {
      const need = cause.reasons.find((r) => Cause.isDieReason(r) && r.defect instanceof NeedInput)
      if (need !== undefined && Cause.isDieReason(need)) {
        const { key, request } = need.defect as NeedInput
        return Effect.succeed(new InputRequired({ [key]: request }, userState))
      }
      const failure = cause.reasons.find(Cause.isFailReason)
      if (failure === undefined) return Effect.failCause(cause as Cause.Cause<never>)
      const error = failure.error
      if (error instanceof ProtocolError) return Effect.fail(error)
      if (error instanceof ServerBusy) {
        return Effect.fail(new ProtocolError({ code: ErrorCode.ServerBusy, message: error.message, data: { retryAfterMs: error.retryAfterMs } }))
      }
      const text = error instanceof ToolTimeout ? error.message : failureText(error)
      return Effect.succeed({ content: [{ type: "text", text }], isError: true })
    }

    /**
     * A tool's stream: collected (at most `collectBytes` of JSON) for the cache and for peers that
     * cannot stream, else passed on as it is for the transport to write as it comes.
     */
    const streamed = (result: StreamedResult.StreamedResult, collectBytes: number | undefined): Effect.Effect<Record<string, unknown>> =>
      // the StreamedResult travels through the input rounds as a result; answerWith tells it apart
      collectBytes === undefined ? Effect.succeed(result as unknown as Record<string, unknown>) : StreamedResult.collect(result, collectBytes)

    const onStreamDefect = (cause: Cause.Cause<unknown>) => options.onDefect?.(cause, "tools/call")

    /** The ending of a streamed result and its response: the 2026-07-28 fields for stateless peers. */
    const statelessEnd = `,${statelessJson({}).slice(1)}}`
    const streamedAnswer = (id: RequestId, result: StreamedResult.StreamedResult, peer: Peer): Answer =>
      StreamedResult.answer(result, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`, peer.stateless ? statelessEnd : "}}", streamer)

    /** A tool's stream under the tool's timeout too: past it the result ends, as a timeout, with `isError`. */
    const withDeadline = (items: Stream.Stream<unknown, unknown>, tool: RegisteredTool): Stream.Stream<unknown, unknown> => {
      const timeoutMs = executor.timeoutMs(tool.job)
      return timeoutMs === 0
        ? items
        : Stream.interruptWhen(items, Effect.andThen(Effect.sleep(timeoutMs), Effect.fail(new ToolTimeout({ job: tool.definition.name, timeoutMs }))))
    }

    const runTool = (
      tool: RegisteredTool,
      args: unknown,
      id: RequestId,
      params: Record<string, unknown>,
      peer: Peer,
      out: Outbound,
      use: InputRounds.InputUse,
      collectBytes: number | undefined
    ): Effect.Effect<Record<string, unknown>, ProtocolError> =>
      inputRounds.run("tools/call", tool.definition.name, params, peer, out, attemptOf(tool, args, id, params, peer, out, use, collectBytes), use)

    /** One run of the tool with the input responses so far (an input round runs it again); `report` sets a task's statusMessage. */
    const attemptOf = (
      tool: RegisteredTool,
      args: unknown,
      id: RequestId,
      params: Record<string, unknown>,
      peer: Peer,
      out: Outbound,
      use: InputRounds.InputUse,
      collectBytes: number | undefined,
      report?: (message: string) => void
    ): InputRounds.Attempt =>
      (responses, userState) => {
        const context = new ToolCall(id, params._meta, peer, out, responses, userState, use, report)
        const loaded = tool.loaded()
        const local = loaded !== undefined
          ? Effect.suspend(() => invoke(loaded, args, context))
          : Effect.flatMap(tool.handler, (handler) => invoke(handler, args, context))
        return Effect.matchCauseEffect(executor.run(tool.job, args, local), {
          onSuccess: (value): Effect.Effect<Record<string, unknown> | InputRequired, ProtocolError> =>
            value instanceof InputRequired
              ? Effect.succeed(value)
              : Stream.isStream(value)
              ? // a ToolStream needs no services (its type says R = never)
                streamed(new StreamedResult.StreamedResult(withDeadline(value as Stream.Stream<unknown, unknown>, tool), (bytes) => context.progress(bytes), onStreamDefect), collectBytes)
              : toCallToolResult(tool, value),
          onFailure: (cause) => runFailure(cause, userState)
        })
      }

    // ---- tools/call as a task ----------------------------------------------------------------

    /**
     * A tools/call that runs as a task: the arguments are checked first (-32602 at once), then
     * the task is created and its CreateTaskResult answered while the tool runs in the background.
     * A 2026-07-28 run that asks for input before it ever waits answers that first round in the
     * request itself (no task yet); input asked later parks the task until `tasks/update`.
     */
    const taskCall = (id: RequestId, tool: RegisteredTool, params: Record<string, unknown>, peer: Peer, out: Outbound, mode: TaskWire.TaskMode): Effect.Effect<Answer> => {
      const decoded = tool.decodeArguments(params.arguments)
      if (Exit.isFailure(decoded)) return Effect.succeed(errorAnswer(id, Cause.squash(decoded.cause) as ProtocolError, peer.stateless))
      const send = peer.session?.send
      // 2025-11-25: status changes, progress and logs of the task reach the session outside the call
      const onStatus = send === undefined ? undefined : (task: Task) => send(notification("notifications/tasks/status", TaskWire.sessionTask(task)))
      return tasks!.create({
        owner: TaskWire.ownerOf(peer),
        ttlMs: mode.ttlMs,
        onStatus,
        work: (control) => taskWork(tool, decoded.value, id, params, peer, taskOutbound(peer, control), control)
      }).pipe(
        Effect.flatMap((creation) => {
          if (creation._tag === "Created") {
            const created = TaskWire.createTaskResult(creation.task, peer)
            return Effect.succeed(ok(peer.stateless ? resultBytes(id, statelessJson(created)) : result(id, created)))
          }
          const first = creation.value as InputRequired
          return answerWith(id, peer, "tools/call", inputRounds.run("tools/call", tool.definition.name, params, peer, out, () => Effect.succeed(first), { asked: true }))
        }),
        Effect.catchCause(failureAnswer(id, peer, "tools/call"))
      )
    }

    /**
     * The way back to the client of a task's run: none on 2026-07-28 (input goes through the task);
     * in a 2025-11-25 session, its notifications and its input requests (tied to the task by
     * `related-task`, the task `input_required` meanwhile) go over the session's own stream.
     */
    const taskOutbound = (peer: Peer, control: TaskControl): Outbound => {
      const session = peer.session
      if (peer.stateless || session === undefined) return silentOutbound
      const { request, send } = session
      return {
        notify: send === undefined ? () => {} : (method, p) => send(notification(method, p)),
        request: request === undefined ? undefined : (method, p) =>
          control.asking(request(method, { ...p, _meta: { ...(isObject(p._meta) ? p._meta : undefined), [RELATED_TASK_META_KEY]: { taskId: control.taskId } } }))
      }
    }

    /** The work of a task: the tool's runs, each input round answered through the task, until a result. */
    const taskWork = (
      tool: RegisteredTool,
      args: unknown,
      id: RequestId,
      params: Record<string, unknown>,
      peer: Peer,
      out: Outbound,
      control: TaskControl
    ): Effect.Effect<TaskOutcome> =>
      Effect.gen(function*() {
        const name = tool.definition.name
        const carried = yield* inputRounds.carried("tools/call", name, params, peer)
        const attempt = attemptOf(tool, args, id, params, peer, out, { asked: true }, MAX_COLLECTED_BYTES, control.report)
        const responses = carried.responses
        let userState = carried.userState
        for (let round = 0; ; round++) {
          const outcome = yield* attempt(responses, userState)
          if (!(outcome instanceof InputRequired)) return { _tag: "Completed", result: outcome } as const
          const ask = out.request
          if (!peer.stateless && ask === undefined) {
            const text = `Tool ${name} asked for client input, which a task cannot ask for over this transport; call it without params.task`
            return { _tag: "Completed", result: { content: [{ type: "text", text }], isError: true } } as const
          }
          if (peer.stateless && !control.created) return { _tag: "Inline", value: outcome } as const
          if (round >= MAX_TASK_INPUT_ROUNDS) {
            return yield* new ProtocolError({ code: ErrorCode.InternalError, message: `Tool ${name} asked for input more than ${MAX_TASK_INPUT_ROUNDS} times` })
          }
          const uncovered = InputRounds.uncoveredInput(outcome.inputRequests, peer)
          if (uncovered !== undefined) return yield* uncovered
          // 2026-07-28: the task waits for tasks/update; 2025-11-25: the server asks over the session's stream
          const answers = ask === undefined
            ? yield* control.awaitInput(outcome.inputRequests)
            : yield* Effect.forEach(Object.entries(outcome.inputRequests), ([key, request]) => Effect.map(ask(request.method, request.params), (answer) => [key, answer] as const), {
              concurrency: "unbounded"
            }).pipe(Effect.map(Object.fromEntries))
          Object.assign(responses, answers)
          userState = outcome.state
        }
      }).pipe(Effect.catch((e: ProtocolError) => Effect.succeed<TaskOutcome>({ _tag: "Failed", error: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) } })))

    /** The tasks/* methods; 2026-07-28 has no tasks/result or tasks/list, and 2025-11-25 no tasks/update. */
    const taskMethod = (id: RequestId, method: string, params: Record<string, unknown> | undefined, peer: Peer): Answer | Effect.Effect<Answer> => {
      const store = tasks!
      if (peer.stateless) {
        if (method === "tasks/result" || method === "tasks/list") return errorAnswer(id, methodNotFound(method), true)
        if (!TaskWire.declaresExtension(peer.clientCapabilities)) return errorAnswer(id, TaskWire.missingExtension(method), true)
      } else if (method === "tasks/update") return errorAnswer(id, methodNotFound(method), false)
      const owner = TaskWire.ownerOf(peer)
      if (method === "tasks/list") {
        const cursor = params?.cursor
        if (cursor !== undefined && typeof cursor !== "string") return errorAnswer(id, invalidParams("cursor must be a string"), false)
        return answerWith(id, peer, method, Effect.map(store.list(owner, cursor), (page) => ({
          tasks: page.tasks.map(TaskWire.sessionTask),
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor })
        })))
      }
      const taskId = TaskWire.taskIdOf(method, params)
      if (taskId instanceof ProtocolError) return errorAnswer(id, taskId, peer.stateless)
      const task = store.get(owner, taskId)
      if (task === undefined) return errorAnswer(id, TaskWire.unknownTask(taskId), peer.stateless)
      switch (method) {
        case "tasks/get":
          return ok(peer.stateless ? resultBytes(id, statelessJson(TaskWire.detailedTask(task))) : result(id, TaskWire.sessionTask(task)))
        case "tasks/cancel":
          if (isTerminal(task.status)) {
            return peer.stateless ? ok(resultBytes(id, statelessJson({}))) : errorAnswer(id, invalidParams(`Cannot cancel task ${taskId}: it is already ${task.status}`), false)
          }
          return answerWith(id, peer, method, Effect.map(store.cancel(owner, taskId), (cancelled) => (peer.stateless || cancelled === undefined ? {} : TaskWire.sessionTask(cancelled))))
        case "tasks/update": {
          const responses = params?.inputResponses
          if (!isObject(responses)) return errorAnswer(id, invalidParams("tasks/update requires params.inputResponses (an object of responses by input request key)"), true)
          return answerWith(id, peer, method, Effect.as(store.update(owner, taskId, responses), {}))
        }
        default:
          return answerWith(id, peer, method, Effect.flatMap(store.awaitTerminal(owner, taskId), taskResult(taskId)))
      }
    }

    /** The 2025-11-25 `tasks/result` of a terminal task: the tool's result tied to its task, or the task's error. */
    const taskResult = (taskId: string) => (task: Task | undefined): Effect.Effect<Record<string, unknown>, ProtocolError> => {
      if (task === undefined) return Effect.fail(TaskWire.unknownTask(taskId))
      if (task.status === "completed" && task.result !== undefined) {
        const meta = isObject(task.result._meta) ? task.result._meta : undefined
        return Effect.succeed({ ...task.result, _meta: { ...meta, [RELATED_TASK_META_KEY]: { taskId } } })
      }
      if (task.status === "failed" && task.error !== undefined) return Effect.fail(new ProtocolError(task.error))
      return Effect.fail(invalidParams(`Task ${taskId} was cancelled: it has no result`))
    }

    // ---- everything else ---------------------------------------------------------------------

    const readResource = (params: Record<string, unknown> | undefined, peer: Peer) => {
      const uri = params?.uri
      if (typeof uri !== "string") return Effect.fail(invalidParams("resources/read requires params.uri (a string)"))
      return resources.read(uri).pipe(
        Effect.flatMap((contents) =>
          contents.length === 0 ? Effect.fail(resourceMissing(uri)) : Effect.succeed(withCacheHints({ contents }, peer, "private", 0))
        ),
        Effect.mapError((e) => (e.code === ErrorCode.ResourceNotFound ? resourceMissing(uri) : e))
      )
    }

    const getPrompt = (params: Record<string, unknown> | undefined, peer: Peer, out: Outbound) => {
      const name = params?.name
      if (typeof name !== "string") return Effect.fail(invalidParams("prompts/get requires params.name (a string)"))
      const args = params?.arguments ?? {}
      if (!isObject(args) || Object.values(args).some((v) => typeof v !== "string")) {
        return Effect.fail(invalidParams("prompts/get arguments must be an object of strings"))
      }
      return inputRounds.run("prompts/get", name, params!, peer, out, (responses, userState) =>
        prompts.get(name, args as Record<string, string>, { inputResponses: responses, requestState: userState }) as Effect.Effect<
          Record<string, unknown> | InputRequired,
          ProtocolError
        >, { asked: false })
    }

    const complete = (params: Record<string, unknown> | undefined) => {
      const ref = params?.ref
      const argument = params?.argument
      if (!isObject(ref) || !isObject(argument) || typeof argument.name !== "string" || typeof argument.value !== "string") {
        return Effect.fail(invalidParams("completion/complete requires params.ref and params.argument {name, value}"))
      }
      const context = isObject(params?.context) && isObject(params.context.arguments) ? stringsOf(params.context.arguments) : {}
      const values: Effect.Effect<ReadonlyArray<string>, ProtocolError> = ref.type === "ref/prompt" && typeof ref.name === "string"
        ? prompts.complete(ref.name, argument.name, argument.value, context)
        : ref.type === "ref/resource" && typeof ref.uri === "string"
        ? resources.complete(ref.uri, argument.name, argument.value, context)
        : Effect.fail(invalidParams("completion/complete ref must be ref/prompt with a name or ref/resource with a uri"))
      return values.pipe(Effect.map((all) => ({
        completion: { values: all.slice(0, 100), total: all.length, hasMore: all.length > 100 }
      })))
    }

    const discover = (peer: Peer) =>
      withCacheHints({
        supportedVersions: [...STATELESS_REVISIONS],
        capabilities: statelessCapabilities,
        ...(serverInfo.instructions === undefined ? {} : { instructions: serverInfo.instructions })
      }, peer, "public", listTtlMs)

    /** Answers one request; a defect thrown while dispatching answers -32603 for this request alone. */
    const answer = (
      id: RequestId,
      method: string,
      params: Record<string, unknown> | undefined,
      peer: Peer,
      out: Outbound
    ): Answer | Effect.Effect<Answer> => {
      try {
        return dispatch(id, method, params, peer, out)
      } catch (defect) {
        options.onDefect?.(Cause.die(defect), method)
        return errorAnswer(id, new ProtocolError({ code: ErrorCode.InternalError, message: "Internal error" }), peer.stateless)
      }
    }

    const dispatch = (
      id: RequestId,
      method: string,
      params: Record<string, unknown> | undefined,
      peer: Peer,
      out: Outbound
    ): Answer | Effect.Effect<Answer> => {
      if (peer.stateless && SESSION_ONLY_METHODS.has(method)) return errorAnswer(id, methodNotFound(method), true)
      switch (method) {
        case "tools/call":
          return tracing === undefined ? callTool(id, params, peer, out) : tracedCall(id, params, peer, out)
        case "tools/list":
          return listAnswer(id, tools.catalog, params, peer)
        case "tasks/get":
        case "tasks/result":
        case "tasks/list":
        case "tasks/cancel":
        case "tasks/update":
          return tasks === undefined ? errorAnswer(id, methodNotFound(method), peer.stateless) : taskMethod(id, method, params, peer)
        case "resources/list":
          return listAnswer(id, resources.resources, params, peer)
        case "resources/templates/list":
          return listAnswer(id, resources.templates, params, peer)
        case "prompts/list":
          return listAnswer(id, prompts.catalog, params, peer)
        case "resources/read":
          return answerWith(id, peer, method, readResource(params, peer))
        case "prompts/get":
          return answerWith(id, peer, method, getPrompt(params, peer, out))
        case "completion/complete":
          return answerWith(id, peer, method, complete(params))
        case "server/discover":
          return ok(peer.stateless ? resultBytes(id, statelessJson(discover(peer))) : result(id, discover(peer)))
        case "ping":
          return ok(result(id, {}))
        case "logging/setLevel": {
          const level = params?.level
          if (!isLoggingLevel(level)) return errorAnswer(id, invalidParams(`Invalid log level: ${quote(level)}`), false)
          if (peer.session !== undefined) peer.session.logLevel = level
          return ok(result(id, {}))
        }
        case "resources/subscribe":
        case "resources/unsubscribe": {
          const uri = params?.uri
          if (typeof uri !== "string") return errorAnswer(id, invalidParams(`${method} requires params.uri (a string)`), false)
          const subscriptions = peer.session?.subscriptions
          if (method === "resources/unsubscribe") subscriptions?.delete(uri)
          else if (subscriptions !== undefined && !subscriptions.has(uri)) {
            if (uri.length > MAX_SUBSCRIPTION_URI_LENGTH) {
              return errorAnswer(id, invalidParams(`resources/subscribe: the uri is longer than ${MAX_SUBSCRIPTION_URI_LENGTH} characters`), false)
            }
            if (subscriptions.size >= maxSubscriptions) {
              return errorAnswer(id, new ProtocolError({
                code: ErrorCode.ServerBusy,
                message: `Too many resource subscriptions in this session (at most ${maxSubscriptions}); unsubscribe from one first`,
                data: { maxSubscriptionsPerSession: maxSubscriptions }
              }), false)
            }
            subscriptions.add(uri)
          }
          return ok(result(id, {}))
        }
        default:
          return errorAnswer(id, methodNotFound(method), peer.stateless)
      }
    }

    const initializeResult = (requestedVersion: unknown) => {
      const protocolVersion = typeof requestedVersion === "string" && SESSION_REVISIONS.includes(requestedVersion)
        ? requestedVersion
        : SESSION_REVISION
      return {
        protocolVersion,
        result: {
          protocolVersion,
          capabilities,
          serverInfo: identity,
          ...(serverInfo.instructions === undefined ? {} : { instructions: serverInfo.instructions })
        }
      }
    }

    const handle = requestMetrics === undefined ? answer : RequestTiming.timed(answer, requestMetrics, tools.catalog)
    return Dispatcher.of({ handle, initializeResult, capabilities, serverInfo })
  })

/** The `error.type` of a failed answer to request `id` for its span: the code of a JSON-RPC error (as `errorBytes` writes it), else `tool_error`. */
const errorTypeOf = (id: RequestId) => (answer: Answer): string | undefined => {
  if (answer.failed !== true) return undefined
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":`
  const code = typeof answer.body === "string" && answer.body.startsWith(head) ? parseInt(answer.body.slice(head.length, head.length + 12), 10) : NaN
  return Number.isNaN(code) ? Tracing.TOOL_ERROR : String(code)
}

/** Both revisions answer an unknown resource with -32602 and `data.uri` (SEP-2164; -32002 is legacy); a huge URI is not echoed whole. */
const resourceMissing = (uri: string) =>
  new ProtocolError({ code: ErrorCode.InvalidParams, message: "Resource not found", data: { uri: uri.length > MAX_SUBSCRIPTION_URI_LENGTH ? `${uri.slice(0, 100)}…` : uri } })

/** The string-valued entries of a client-sent object (completion context values must be strings). */
const stringsOf = (record: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === "string"))
