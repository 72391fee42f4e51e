/**
 * The JSON-RPC dispatcher: one request in, one serialized response out, for both the stateless
 * 2026-07-28 revision and 2025-11-25 sessions. The hot path of a tool call reads top to bottom
 * in `callTool`. Transports own the wire (HTTP, stdio) and hand each parsed message here.
 */
import { createRequestStateCodec } from "@modelcontextprotocol/server"
import { type Peeked, Policy, TieredCache } from "@tenfold/cache"
import { Cause, Clock, Context, Effect, Exit, Layer, Option } from "effect"
import { randomBytes } from "node:crypto"
import {
  ErrorCode,
  errorBytes,
  invalidParams,
  isObject,
  methodNotFound,
  ProtocolError,
  type RequestId,
  result,
  resultBytes
} from "./JsonRpc.ts"
import type { Answer, Outbound, Peer } from "./Peer.ts"
import { PromptRegistry } from "./PromptRegistry.ts"
import {
  isLoggingLevel,
  McpErrorCode,
  MetaKey,
  SESSION_ONLY_METHODS,
  SESSION_REVISION,
  SESSION_REVISIONS,
  type ServerInfo,
  STATELESS_REVISIONS
} from "./Protocol.ts"
import { ResourceRegistry } from "./ResourceRegistry.ts"
import type { Catalog } from "./internal/Catalog.ts"
import { covers, missingCapabilities, requiredCapabilityOf } from "./internal/Capabilities.ts"
import { NeedInput, ToolCall } from "./internal/ToolCall.ts"
import { toCallToolResult } from "./internal/ToolResult.ts"
import { InputRequired, type InputRequest, ToolError, type ToolHandler } from "./Tool.ts"
import { type RegisteredTool, ToolRegistry } from "./ToolRegistry.ts"

export interface DispatcherOptions {
  readonly serverInfo: ServerInfo
  /** `ttlMs` stated on 2026-07-28 list results (default 60000). */
  readonly listTtlMs?: number
  /** Secret for signing `requestState` (default: random per process; set it when scaling out). */
  readonly requestStateKey?: string
  /** Called with every defect (bug) a handler died of, for logging; never shown to clients. */
  readonly onDefect?: (cause: Cause.Cause<unknown>, method: string) => void
}

const ok = (body: string): Answer => ({ body, status: 200 })

const errorAnswer = (id: RequestId | null, e: ProtocolError, stateless: boolean): Answer => ({
  body: errorBytes(id, e.code, e.message, e.data),
  status: stateless ? statusOf(e.code) : 200
})

const statusOf = (code: number): number => {
  switch (code) {
    case ErrorCode.MethodNotFound:
      return 404
    case McpErrorCode.HeaderMismatch:
    case McpErrorCode.MissingRequiredClientCapability:
    case McpErrorCode.UnsupportedProtocolVersion:
      return 400
    default:
      return 200
  }
}

interface StatePayload {
  /** Binds the state to one tool and principal. */
  readonly b: string
  /** Responses gathered in earlier rounds. */
  readonly r: Record<string, unknown>
  /** The tool's own state. */
  readonly u?: unknown
}

const MAX_SESSION_INPUT_ROUNDS = 16

/** Calls a handler; one that throws instead of returning an Effect dies like a defect. */
const invoke = (handler: ToolHandler<unknown, unknown>, args: unknown, context: ToolCall) => {
  try {
    return handler(args, context)
  } catch (defect) {
    return Effect.die(defect)
  }
}

type Attempt = (responses: Record<string, unknown>, userState: unknown) => Effect.Effect<Record<string, unknown> | InputRequired, ProtocolError>

const invalidRequestState = invalidParams("Invalid or expired requestState", { reason: "invalid_request_state" })

/** Dispatches MCP requests to the registries. Built once; nothing per request but the call itself. */
export class Dispatcher extends Context.Service<Dispatcher, {
  /** Answers one request. A string is ready at once (cached lists, ping); an Effect runs the call. */
  readonly handle: (
    id: RequestId,
    method: string,
    params: Record<string, unknown> | undefined,
    peer: Peer,
    out: Outbound
  ) => Answer | Effect.Effect<Answer>
  /** The `initialize` result for a session that asked for `requestedVersion`. */
  readonly initializeResult: (requestedVersion: unknown) => { readonly protocolVersion: string; readonly result: Record<string, unknown> }
  /** The capabilities this server declares. */
  readonly capabilities: Record<string, unknown>
  /** Calls `listener` with the list-changed notification method whenever a list changes. */
  readonly onListChanged: (listener: (method: string) => void) => () => void
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
    const clock = yield* Clock.Clock
    const serverInfo = options.serverInfo
    const identity = { name: serverInfo.name, version: serverInfo.version, ...(serverInfo.title === undefined ? {} : { title: serverInfo.title }) }
    const codec = createRequestStateKey(options.requestStateKey)
    const listTtlMs = options.listTtlMs ?? 60_000

    const capabilities = {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {}
    }
    const statelessCapabilities = capabilities

    const metaJson = JSON.stringify({ [MetaKey.serverInfo]: identity })
    /** Closes a precomputed result object for a stateless answer, with cache hints. */
    const cacheableTail = (scope: "public" | "private", ttlMs: number) =>
      `,"resultType":"complete","ttlMs":${ttlMs},"cacheScope":"${scope}","_meta":${metaJson}}`
    const listTail = cacheableTail("public", listTtlMs)
    // the first page of every list is serialized when the list changes, not on the next request
    for (const catalog of [tools.catalog, resources.resources, resources.templates, prompts.catalog] as ReadonlyArray<Catalog<unknown>>) {
      const serialize = () => {
        catalog.pageJson(undefined, listTail)
        catalog.pageJson(undefined, "}")
      }
      serialize()
      catalog.onChange(serialize)
    }

    /** Adds `resultType` and the server identity by copying (only for results that carry `_meta`). */
    const withIdentity = (value: Record<string, unknown>): Record<string, unknown> => ({
      ...value,
      resultType: value.resultType ?? "complete",
      _meta: { ...(value._meta as object | undefined), [MetaKey.serverInfo]: identity }
    })

    const completeTail = `,"resultType":"complete","_meta":${metaJson}}`
    const metaTail = `,"_meta":${metaJson}}`
    /** A stateless result: `resultType` and server identity added by splicing the JSON, not by copying. */
    const statelessJson = (value: Record<string, unknown>): string => {
      if (value._meta !== undefined) return JSON.stringify(withIdentity(value))
      const json = JSON.stringify(value)
      const tail = "resultType" in value ? metaTail : completeTail
      return json === "{}" ? `{${tail.slice(1)}` : json.slice(0, -1) + tail
    }

    /** The 2026-07-28 cache hints of a cacheable result (stateless peers only). */
    const withCacheHints = (value: Record<string, unknown>, peer: Peer, scope: "public" | "private", ttlMs: number) =>
      peer.stateless ? { ...value, ttlMs, cacheScope: scope } : value

    const listAnswer = (id: RequestId, catalog: Catalog<unknown>, params: Record<string, unknown> | undefined, peer: Peer): Answer => {
      const cursor = params?.cursor
      if (cursor !== undefined && typeof cursor !== "string") return errorAnswer(id, invalidParams("cursor must be a string"), peer.stateless)
      const page = catalog.pageJson(cursor, peer.stateless ? listTail : "}")
      return typeof page === "string" ? ok(resultBytes(id, page)) : errorAnswer(id, page, peer.stateless)
    }

    /** Turns a failed handling into its error answer: the ProtocolError, or -32603 for a defect (logged). */
    const failureAnswer = (id: RequestId, peer: Peer, method: string) => (cause: Cause.Cause<ProtocolError>): Effect.Effect<Answer> => {
      const failure = cause.reasons.find(Cause.isFailReason)
      if (failure !== undefined) return Effect.succeed(errorAnswer(id, failure.error, peer.stateless))
      if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
      options.onDefect?.(cause, method)
      return Effect.succeed(errorAnswer(id, new ProtocolError({ code: ErrorCode.InternalError, message: `Internal error while handling ${method}` }), peer.stateless))
    }

    const answerWith = (id: RequestId, peer: Peer, method: string) =>
    <A extends Record<string, unknown>>(effect: Effect.Effect<A, ProtocolError>): Effect.Effect<Answer> =>
      effect.pipe(
        Effect.map((value) => ok(peer.stateless ? resultBytes(id, statelessJson(value)) : result(id, value))),
        Effect.catchCause(failureAnswer(id, peer, method))
      )

    // ---- tools/call: the hot path ------------------------------------------------------------

    const callTool = (id: RequestId, params: Record<string, unknown> | undefined, peer: Peer, out: Outbound): Answer | Effect.Effect<Answer> => {
      const name = params?.name
      if (typeof name !== "string") return Effect.succeed(errorAnswer(id, invalidParams("tools/call requires params.name (a string)"), peer.stateless))
      const tool = tools.catalog.get(name)
      if (tool === undefined) return Effect.succeed(errorAnswer(id, invalidParams(`Unknown tool: ${name}`), peer.stateless))
      const missing = missingCapabilities(tool.definition.requiredClientCapabilities, peer.clientCapabilities)
      if (missing !== undefined) {
        return Effect.succeed(errorAnswer(id, new ProtocolError({
          code: McpErrorCode.MissingRequiredClientCapability,
          message: `Tool ${name} requires client capabilities: ${Object.keys(missing).join(", ")}`,
          data: { requiredCapabilities: missing }
        }), peer.stateless))
      }
      const policy = cache === undefined ? undefined : tool.policy
      // a cached entry exists only for arguments that decoded before, so a hit needs no decoding
      const key = policy === undefined ? undefined : Policy.key(name, policy, peer.principal, params!.arguments)
      const hit = key === undefined ? undefined : cache!.peek(key, policy!)
      if (hit?.fresh === true) return ok(resultBytes(id, cachedJson(hit.entry.value, peer, policy!, hit.entry.freshUntil)))
      const decoded = tool.decodeArguments(params?.arguments)
      if (Exit.isFailure(decoded)) return Effect.succeed(errorAnswer(id, Cause.squash(decoded.cause) as ProtocolError, peer.stateless))
      const run = runTool(tool, decoded.value, id, params!, peer, out)
      if (key === undefined) return answerWith(id, peer, "tools/call")(run)
      return cachedCall(id, policy!, key, peer, run, hit)
    }

    /**
     * A call of a cached tool that L1 could not answer fresh: a stale entry (within
     * stale-while-revalidate) answers at once and starts a background refresh; a miss runs the
     * tool once for all concurrent callers, through L2 and L4.
     */
    const cachedCall = (
      id: RequestId,
      policy: Policy.CachePolicy,
      key: string,
      peer: Peer,
      run: Effect.Effect<Record<string, unknown>, ProtocolError>,
      stale: Peeked | undefined
    ): Answer | Effect.Effect<Answer> => {
      const compute = Effect.map(run, (value) => ({
        value: JSON.stringify(value),
        cacheable: value.isError !== true && value.resultType === undefined,
        failed: value.isError === true
      }))
      if (stale !== undefined) {
        return Effect.as(cache!.refresh(key, policy, compute), ok(resultBytes(id, cachedJson(stale.entry.value, peer, policy, stale.entry.freshUntil))))
      }
      return cache!.fill(key, policy, compute).pipe(
        Effect.map((served) => ok(resultBytes(id, cachedJson(served.value, peer, policy, served.freshUntil)))),
        Effect.catchCause(failureAnswer(id, peer, "tools/call"))
      )
    }

    /** A cached result for `peer`; stateless answers also say how long it stays fresh and for whom. */
    const cachedJson = (value: string, peer: Peer, policy: Policy.CachePolicy, freshUntil: number): string => {
      if (!peer.stateless) return value
      const ttlMs = Math.max(0, Math.floor(freshUntil - clock.currentTimeMillisUnsafe()))
      if (value.includes("\"_meta\":") || value.includes("\"resultType\":")) {
        const parsed = JSON.parse(value) as Record<string, unknown>
        return statelessJson(freshUntil > 0 ? { ...parsed, ttlMs, cacheScope: policy.scope } : parsed)
      }
      const hints = freshUntil > 0 ? `"ttlMs":${ttlMs},"cacheScope":"${policy.scope}",` : ""
      return `${value.slice(0, -1)}${value.length > 2 ? "," : ""}${hints}${completeTail.slice(1)}`
    }

    const runTool = (
      tool: RegisteredTool,
      args: unknown,
      id: RequestId,
      params: Record<string, unknown>,
      peer: Peer,
      out: Outbound
    ): Effect.Effect<Record<string, unknown>, ProtocolError> => {
      const attempt = (handler: ToolHandler<unknown, unknown>): Attempt => (responses, userState) =>
        Effect.matchCauseEffect(invoke(handler, args, new ToolCall(id, params._meta, peer, out, responses, userState)), {
          onSuccess: (value): Effect.Effect<Record<string, unknown> | InputRequired, ProtocolError> =>
            value instanceof InputRequired ? Effect.succeed(value) : toCallToolResult(tool, value),
          onFailure: (cause): Effect.Effect<Record<string, unknown> | InputRequired, ProtocolError> => {
            const need = cause.reasons.find((r) => Cause.isDieReason(r) && r.defect instanceof NeedInput)
            if (need !== undefined && Cause.isDieReason(need)) {
              const { key, request } = need.defect as NeedInput
              return Effect.succeed(new InputRequired({ [key]: request }, userState))
            }
            const failure = cause.reasons.find(Cause.isFailReason)
            if (failure !== undefined) {
              const error = failure.error
              const message = error instanceof ToolError || error instanceof Error ? error.message : String(error)
              return Effect.succeed({ content: [{ type: "text", text: message }], isError: true })
            }
            return Effect.failCause(cause as Cause.Cause<never>)
          }
        })
      const run = (handler: ToolHandler<unknown, unknown>) =>
        withInputRounds(`tools/call|${tool.definition.name}|${peer.principal ?? ""}`, params, peer, out, attempt(handler))
      const loaded = tool.loaded()
      return loaded !== undefined ? run(loaded) : Effect.flatMap(tool.handler, run)
    }

    /**
     * Runs `attempt` until it stops asking for input. Stateless: answers `input_required` with a
     * signed `requestState` carrying the responses so far. In a session: asks the client over the
     * call's stream and runs again.
     */
    const withInputRounds = (
      binding: string,
      params: Record<string, unknown>,
      peer: Peer,
      out: Outbound,
      attempt: Attempt
    ): Effect.Effect<Record<string, unknown>, ProtocolError> =>
      params.requestState === undefined && params.inputResponses === undefined
        ? Effect.flatMap(attempt({}, undefined), (outcome) =>
          outcome instanceof InputRequired ? inputRounds(binding, params, peer, out, attempt, outcome) : Effect.succeed(outcome))
        : inputRounds(binding, params, peer, out, attempt, undefined)

    /** The rounds after the first: verify the state, gather responses, answer or ask again. */
    const inputRounds = (
      binding: string,
      params: Record<string, unknown>,
      peer: Peer,
      out: Outbound,
      attempt: Attempt,
      first: InputRequired | undefined
    ): Effect.Effect<Record<string, unknown>, ProtocolError> =>
      Effect.gen(function*() {
        const state = yield* verifyState(params.requestState, binding)
        const responses: Record<string, unknown> = { ...state?.r }
        if (isObject(params.inputResponses)) Object.assign(responses, params.inputResponses)
        let userState = state?.u
        for (let round = 0; ; round++) {
          const outcome = round === 0 && first !== undefined ? first : yield* attempt(responses, userState)
          if (!(outcome instanceof InputRequired)) return outcome
          for (const [key, request] of Object.entries(outcome.inputRequests)) {
            const required = requiredCapabilityOf(request)
            if (!covers(peer.clientCapabilities, required)) {
              return yield* new ProtocolError({
                code: McpErrorCode.MissingRequiredClientCapability,
                message: `Cannot request input '${key}' (${request.method}): the client capabilities do not declare it`,
                data: { requiredCapabilities: required }
              })
            }
          }
          if (peer.stateless || out.request === undefined || round >= MAX_SESSION_INPUT_ROUNDS) {
            return yield* inputRequiredResult(outcome.inputRequests, { b: binding, r: responses, u: outcome.state })
          }
          Object.assign(responses, yield* askClient(outcome.inputRequests, out))
          userState = outcome.state
        }
      })

    const inputRequiredResult = (inputRequests: Readonly<Record<string, InputRequest>>, payload: StatePayload) =>
      Effect.promise(() => codec.mint(payload)).pipe(
        Effect.map((requestState) => ({ resultType: "input_required", inputRequests, requestState }))
      )

    const verifyState = (raw: unknown, binding: string): Effect.Effect<StatePayload | undefined, ProtocolError> => {
      if (raw === undefined || raw === null) return Effect.succeed(undefined)
      if (typeof raw !== "string") return Effect.fail(invalidRequestState)
      return Effect.tryPromise({
        try: () => codec.verify(raw, undefined as never), // the context is read only by `bind`, which is not configured
        catch: () => invalidRequestState
      }).pipe(
        Effect.flatMap((payload) =>
          isObject(payload) && payload.b === binding && isObject(payload.r)
            ? Effect.succeed(payload as unknown as StatePayload)
            : Effect.fail(invalidRequestState)
        )
      )
    }

    /** Over a session: sends each input request to the client and gathers the responses. */
    const askClient = (inputRequests: Readonly<Record<string, InputRequest>>, out: Outbound) =>
      Effect.forEach(Object.entries(inputRequests), ([key, request]) =>
        out.request!(request.method, request.params).pipe(Effect.map((response) => [key, response] as const)), { concurrency: "unbounded" }).pipe(
        Effect.map(Object.fromEntries)
      )

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
      return withInputRounds(`prompts/get|${name}|${peer.principal ?? ""}`, params!, peer, out, (responses, userState) =>
        prompts.get(name, args as Record<string, string>, { inputResponses: responses, requestState: userState }) as Effect.Effect<
          Record<string, unknown> | InputRequired,
          ProtocolError
        >)
    }

    const complete = (params: Record<string, unknown> | undefined) => {
      const ref = params?.ref
      const argument = params?.argument
      if (!isObject(ref) || !isObject(argument) || typeof argument.name !== "string" || typeof argument.value !== "string") {
        return Effect.fail(invalidParams("completion/complete requires params.ref and params.argument {name, value}"))
      }
      const context = isObject(params?.context) && isObject(params.context.arguments) ? params.context.arguments as Record<string, string> : {}
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

    const handle = (
      id: RequestId,
      method: string,
      params: Record<string, unknown> | undefined,
      peer: Peer,
      out: Outbound
    ): Answer | Effect.Effect<Answer> => {
      if (peer.stateless && SESSION_ONLY_METHODS.has(method)) return errorAnswer(id, methodNotFound(method), true)
      const run = answerWith(id, peer, method)
      switch (method) {
        case "tools/call":
          return callTool(id, params, peer, out)
        case "tools/list":
          return listAnswer(id, tools.catalog, params, peer)
        case "resources/list":
          return listAnswer(id, resources.resources, params, peer)
        case "resources/templates/list":
          return listAnswer(id, resources.templates, params, peer)
        case "prompts/list":
          return listAnswer(id, prompts.catalog, params, peer)
        case "resources/read":
          return run(readResource(params, peer))
        case "prompts/get":
          return run(getPrompt(params, peer, out))
        case "completion/complete":
          return run(complete(params))
        case "server/discover":
          return ok(peer.stateless ? resultBytes(id, statelessJson(discover(peer))) : result(id, discover(peer)))
        case "ping":
          return ok(result(id, {}))
        case "logging/setLevel": {
          const level = params?.level
          if (!isLoggingLevel(level)) return errorAnswer(id, invalidParams(`Invalid log level: ${String(level)}`), false)
          if (peer.session !== undefined) peer.session.logLevel = level
          return ok(result(id, {}))
        }
        case "resources/subscribe":
        case "resources/unsubscribe": {
          const uri = params?.uri
          if (typeof uri !== "string") return errorAnswer(id, invalidParams(`${method} requires params.uri (a string)`), false)
          if (method === "resources/subscribe") peer.session?.subscriptions.add(uri)
          else peer.session?.subscriptions.delete(uri)
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

    const onListChanged = (listener: (method: string) => void) => {
      const stops = [
        tools.catalog.onChange(() => listener("notifications/tools/list_changed")),
        prompts.catalog.onChange(() => listener("notifications/prompts/list_changed")),
        resources.resources.onChange(() => listener("notifications/resources/list_changed")),
        resources.templates.onChange(() => listener("notifications/resources/list_changed"))
      ]
      return () => stops.forEach((stop) => stop())
    }

    return Dispatcher.of({ handle, initializeResult, capabilities, onListChanged, serverInfo })
  })

/** Both revisions answer an unknown resource with -32602 and `data.uri` (SEP-2164; -32002 is legacy). */
const resourceMissing = (uri: string) => new ProtocolError({ code: ErrorCode.InvalidParams, message: "Resource not found", data: { uri } })

const createRequestStateKey = (key: string | undefined) =>
  createRequestStateCodec({ key: key ?? randomBytes(32).toString("base64url"), ttlSeconds: 600 })
