/**
 * Multi-round-trip input (SEP-2322): a tool or prompt that answers `InputRequired` is run again
 * with the client's responses. Stateless (2026-07-28): the call answers `input_required` with a
 * signed `requestState` carrying the responses so far. In a session: the server asks the client
 * over the call's stream and runs again, at most `MAX_SESSION_INPUT_ROUNDS` times.
 */
import { createRequestStateCodec } from "@modelcontextprotocol/server"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { invalidParams, isObject, ProtocolError } from "../JsonRpc.ts"
import type { Outbound, Peer } from "../Peer.ts"
import { McpErrorCode } from "../Protocol.ts"
import { InputRequired, type InputRequest } from "../Tool.ts"
import { covers, requiredCapabilityOf } from "./Capabilities.ts"

/** What the server signs into `requestState`. */
export interface StatePayload {
  /** Binds the state to one tool and principal. */
  readonly b: string
  /** Responses gathered in earlier rounds. */
  readonly r: Record<string, unknown>
  /** The tool's own state. */
  readonly u?: unknown
}

/** One run of the tool or prompt with the responses so far and its own state from the last round. */
export type Attempt = (
  responses: Record<string, unknown>,
  userState: unknown
) => Effect.Effect<Record<string, unknown> | InputRequired, ProtocolError>

/** Marks a call whose result depends on client input (so it is neither read from nor written to the cache). */
export interface InputUse {
  asked: boolean
}

export const MAX_SESSION_INPUT_ROUNDS = 16

/** True when a request carries responses to an earlier round (`requestState` / `inputResponses`). */
export const carriesInput = (params: Record<string, unknown> | undefined): boolean =>
  params !== undefined && (params.requestState !== undefined || params.inputResponses !== undefined)

const invalidRequestState = invalidParams("Invalid or expired requestState", { reason: "invalid_request_state" })

/** The -32021 for the first input request the client's capabilities do not cover; undefined when they cover all. */
export const uncoveredInput = (inputRequests: Readonly<Record<string, InputRequest>>, peer: Peer): ProtocolError | undefined => {
  for (const [key, request] of Object.entries(inputRequests)) {
    const required = requiredCapabilityOf(request)
    if (!covers(peer.clientCapabilities, required)) {
      return new ProtocolError({
        code: McpErrorCode.MissingRequiredClientCapability,
        message: `Cannot request input '${key}' (${request.method}): the client capabilities do not declare it`,
        data: { requiredCapabilities: required }
      })
    }
  }
  return undefined
}

/** The rounds of one server: `requestState` is signed with `key` (random per process by default). */
export const make = (key: string | undefined) => {
  const codec = createRequestStateCodec({ key: key ?? randomBytes(32).toString("base64url"), ttlSeconds: 600 })

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

  const bindingOf = (method: string, name: string, peer: Peer) => `${method}|${name}|${peer.principal ?? ""}`

  /**
   * The responses and the tool's state a request carries from earlier rounds (`requestState`
   * verified, `inputResponses` on top), for callers that run the rounds themselves (tasks).
   * Synchronous when the request carries no `requestState`.
   */
  const carried = (
    method: string,
    name: string,
    params: Record<string, unknown>,
    peer: Peer
  ): Effect.Effect<{ readonly responses: Record<string, unknown>; readonly userState: unknown }, ProtocolError> =>
    Effect.map(verifyState(params.requestState, bindingOf(method, name, peer)), (state) => ({
      responses: { ...state?.r, ...(isObject(params.inputResponses) ? params.inputResponses : undefined) },
      userState: state?.u
    }))

  const mint = (payload: StatePayload) => Effect.promise(() => codec.mint(payload))

  const inputRequiredResult = (inputRequests: Readonly<Record<string, InputRequest>>, payload: StatePayload) =>
    Effect.map(mint(payload), (requestState) => ({ resultType: "input_required", inputRequests, requestState }))

  /** Over a session: sends each input request to the client and gathers the responses. */
  const askClient = (inputRequests: Readonly<Record<string, InputRequest>>, out: Outbound) =>
    Effect.forEach(Object.entries(inputRequests), ([key, request]) =>
      out.request!(request.method, request.params).pipe(Effect.map((response) => [key, response] as const)), { concurrency: "unbounded" }).pipe(
      Effect.map(Object.fromEntries)
    )

  /** The rounds after the first: verify the state, gather responses, answer or ask again. */
  const rounds = (
    method: string,
    name: string,
    params: Record<string, unknown>,
    peer: Peer,
    out: Outbound,
    attempt: Attempt,
    first: InputRequired | undefined
  ): Effect.Effect<Record<string, unknown>, ProtocolError> =>
    Effect.gen(function*() {
      const binding = bindingOf(method, name, peer)
      const { responses, userState: carriedState } = yield* carried(method, name, params, peer)
      let userState = carriedState
      for (let round = 0; ; round++) {
        const outcome = round === 0 && first !== undefined ? first : yield* attempt(responses, userState)
        if (!(outcome instanceof InputRequired)) return outcome
        const uncovered = uncoveredInput(outcome.inputRequests, peer)
        if (uncovered !== undefined) return yield* uncovered
        if (peer.stateless || out.request === undefined || round >= MAX_SESSION_INPUT_ROUNDS) {
          return yield* inputRequiredResult(outcome.inputRequests, { b: binding, r: responses, u: outcome.state })
        }
        Object.assign(responses, yield* askClient(outcome.inputRequests, out))
        userState = outcome.state
      }
    })

  /**
   * Runs `attempt` until it stops asking for input; `use.asked` is set as soon as any input round
   * runs (or the request carries one). `requestState` is bound to `method`, `name` and the
   * principal (the binding string is built only when a round runs, not on every call).
   */
  const run = (
    method: string,
    name: string,
    params: Record<string, unknown>,
    peer: Peer,
    out: Outbound,
    attempt: Attempt,
    use: InputUse
  ): Effect.Effect<Record<string, unknown>, ProtocolError> => {
    if (carriesInput(params)) {
      use.asked = true
      return rounds(method, name, params, peer, out, attempt, undefined)
    }
    return Effect.flatMap(attempt({}, undefined), (outcome) => {
      if (!(outcome instanceof InputRequired)) return Effect.succeed(outcome)
      use.asked = true
      return rounds(method, name, params, peer, out, attempt, outcome)
    })
  }

  return { run, carried }
}

/** The input rounds of one server (see {@link make}). */
export type InputRounds = ReturnType<typeof make>
