/**
 * What a fuzz case must get back, and the check of one HTTP answer against it: a status below
 * 500, a well-formed JSON-RPC body, an error code from the set its category allows, the id it
 * was asked with.
 */

/** A JSON-RPC outcome: a result, or an error with this code. */
export type Outcome = "result" | number

export type Id = string | number | null

export interface Expect {
  /** HTTP statuses that are right for this case. */
  readonly statuses: ReadonlyArray<number>
  /** Outcomes the JSON-RPC body may carry; undefined for HTTP-level refusals (any error, or no body). */
  readonly outcomes?: ReadonlyArray<Outcome>
  /** The id the answer must carry; undefined when not checked. */
  readonly id?: Id
  /** For a batch: the members that must each get exactly one answer, and how many invalid ones are answered with id null. */
  readonly batch?: { readonly members: ReadonlyArray<{ readonly id: Id; readonly outcomes: ReadonlyArray<Outcome> }>; readonly nulls: number }
  /** For a stream that stays open (subscriptions/listen): check the first event, then hang up. */
  readonly firstEventOnly?: boolean
  /** A refused upload may be cut off: a reset connection is a right answer too. */
  readonly resetAllowed?: boolean
  /** Other answers that are right as well (a header the server may read either way). */
  readonly or?: ReadonlyArray<Expect>
}

/** A result with `id`. */
export const result = (id: Id, statuses: ReadonlyArray<number> = [200]): Expect => ({ statuses, outcomes: ["result"], id })

/** An error answer with one of `codes`. */
export const error = (statuses: ReadonlyArray<number>, codes: ReadonlyArray<Outcome>, id?: Id): Expect => ({ statuses, outcomes: codes, id })

/** An HTTP-level refusal: only the status is checked (and the body's form, if it has one). */
export const refusal = (...statuses: ReadonlyArray<number>): Expect => ({ statuses })

export const anyOf = (first: Expect, ...rest: ReadonlyArray<Expect>): Expect => ({ ...first, or: [...(first.or ?? []), ...rest] })

export interface HttpAnswer {
  readonly status: number
  readonly headers: Record<string, string | ReadonlyArray<string> | undefined>
  readonly body: string
}

/** A documented limit answer (admission control, session caps): allowed anywhere, counted apart. */
export const isBusy = (answer: HttpAnswer): boolean => {
  if (answer.status !== 429 && answer.status !== 503) return false
  const message = messagesOf(answer)
  // a shutdown also answers 503 -32000, but no fuzzed server is shutting down: that one is a failure
  return message !== undefined && message.some((m) => isObject(m) && isObject(m.error) && m.error.code === -32000 && !String(m.error.message).includes("shutting down"))
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const messagesOf = (answer: HttpAnswer): Array<unknown> | undefined => {
  const type = String(answer.headers["content-type"] ?? "")
  try {
    if (type.startsWith("text/event-stream")) return sseMessages(answer.body)
    if (answer.body === "") return []
    const parsed = JSON.parse(answer.body) as unknown
    return Array.isArray(parsed) ? parsed : [parsed]
  } catch {
    return undefined
  }
}

/** The JSON messages of an SSE body (`data:` lines; empty priming events skipped). */
export const sseMessages = (body: string): Array<unknown> =>
  body.split("\n\n").flatMap((event) => {
    const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n")
    return data === "" ? [] : [JSON.parse(data) as unknown]
  })

/** Why `message` is not a well-formed JSON-RPC response, or undefined when it is. */
export const malformedResponse = (message: unknown): string | undefined => {
  if (!isObject(message)) return "not an object"
  if (message.jsonrpc !== "2.0") return "jsonrpc is not \"2.0\""
  const id = message.id
  if (!(id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id)))) return "bad id"
  if (("result" in message) === ("error" in message)) return "needs exactly one of result and error"
  if ("result" in message) return isObject(message.result) ? undefined : "result is not an object"
  const e = message.error
  if (!isObject(e) || !Number.isInteger(e.code) || typeof e.message !== "string") return "error needs an integer code and a string message"
  return undefined
}

const outcomeOf = (message: Record<string, unknown>): Outcome =>
  "result" in message ? "result" : (message.error as { code: number }).code

const sameId = (a: unknown, b: Id) => a === b

const show = (outcomes: ReadonlyArray<Outcome>) => outcomes.join("|")

/** Checks one answer against one expectation; the reason it is wrong, or undefined. */
const checkOne = (expect: Expect, answer: HttpAnswer): string | undefined => {
  if (!expect.statuses.includes(answer.status)) return `HTTP ${answer.status} (expected ${expect.statuses.join("|")})`
  const messages = messagesOf(answer)
  if (messages === undefined) return "the body is not JSON / SSE of JSON"
  if (answer.status === 401 && answer.headers["www-authenticate"] === undefined) return "401 without WWW-Authenticate"
  if (answer.status === 405 && answer.headers["allow"] === undefined) return "405 without Allow"
  if (expect.firstEventOnly === true) {
    const first = messages[0]
    return isObject(first) && typeof first.method === "string" ? undefined : "the stream did not start with a notification"
  }
  const responses = messages.filter((m) => !(isObject(m) && typeof m.method === "string"))
  for (const r of responses) {
    const bad = malformedResponse(r)
    if (bad !== undefined) return `malformed response (${bad})`
  }
  if (expect.batch !== undefined) return checkBatch(expect.batch, responses as Array<Record<string, unknown>>)
  if (expect.outcomes === undefined) return undefined
  if (answer.status === 202) return answer.body === "" ? undefined : "202 with a body"
  if (responses.length !== 1) return `${responses.length} responses (expected 1)`
  const response = responses[0] as Record<string, unknown>
  const outcome = outcomeOf(response)
  if (!expect.outcomes.includes(outcome)) return `answered ${outcome === "result" ? "a result" : `error ${outcome}`} (expected ${show(expect.outcomes)})`
  if (expect.id !== undefined && !sameId(response.id, expect.id)) return `answered id ${JSON.stringify(response.id)} (expected ${JSON.stringify(expect.id)})`
  return undefined
}

const checkBatch = (batch: NonNullable<Expect["batch"]>, responses: ReadonlyArray<Record<string, unknown>>): string | undefined => {
  const left = [...responses]
  for (const { id, outcomes } of batch.members) {
    const at = left.findIndex((r) => sameId(r.id, id))
    if (at === -1) return `batch member ${JSON.stringify(id)} got no answer`
    const outcome = outcomeOf(left[at]!)
    if (!outcomes.includes(outcome)) return `batch member ${JSON.stringify(id)} answered ${outcome} (expected ${show(outcomes)})`
    left.splice(at, 1)
  }
  const stray = left.find((r) => r.id !== null || outcomeOf(r) !== -32600)
  if (stray !== undefined) return `stray batch answer ${JSON.stringify(stray).slice(0, 120)}`
  return left.length === batch.nulls ? undefined : `${left.length} answers with id null (expected ${batch.nulls})`
}

/** Checks an answer against an expectation and its alternatives; the first reason it fails, or undefined. */
export const check = (expect: Expect, answer: HttpAnswer): string | undefined => {
  if (answer.status >= 500 && !isBusy(answer)) return `HTTP ${answer.status}: ${answer.body.slice(0, 160)}`
  if (isBusy(answer)) return undefined
  const first = checkOne(expect, answer)
  if (first === undefined) return undefined
  for (const alternative of expect.or ?? []) {
    if (checkOne(alternative, answer) === undefined) return undefined
  }
  return first
}
