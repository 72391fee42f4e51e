/**
 * A workflow's plan: its steps checked (unique ids, known tools, known dependencies, well-formed
 * references into earlier steps) before any step runs, and each step's arguments resolved once
 * the steps it reads have finished. A reference is a dependency of its own, so `dependsOn` is
 * needed only for order without data. Arguments are client input: walked without recursion,
 * bounded in depth, size and number of references.
 */
import { JsonRpc } from "@tenfold/mcp"
import * as Reference from "./Reference.ts"

/** Deepest nesting of one step's arguments. */
export const MAX_ARGUMENT_DEPTH = 32
/** Most values (objects, arrays, scalars) in one step's arguments. */
export const MAX_ARGUMENT_NODES = 10_000
/** Most references in one step's arguments. */
export const MAX_REFERENCES_PER_STEP = 100
/**
 * Most JSON bytes the values a step's references pick may add up to (a workflow keeps at most
 * this much of results in all): one result referenced many times would otherwise hand the step's
 * tool many times its size, built from a small request.
 */
export const MAX_RESOLVED_BYTES = 4 * 1024 * 1024

/** One step as the client wrote it (decoded by the tool's input schema). */
export interface Step {
  readonly id: string
  readonly tool: string
  readonly arguments?: Readonly<Record<string, unknown>>
  readonly dependsOn?: ReadonlyArray<string>
  readonly timeoutMs?: number
}

/** A reference and where it sits in the step's arguments. */
export interface Placed {
  readonly at: ReadonlyArray<Reference.Segment>
  readonly reference: Reference.Reference
}

/** A checked step: every step it waits for (declared and referenced), and its references. */
export interface PlannedStep {
  readonly id: string
  readonly tool: string
  readonly arguments: Readonly<Record<string, unknown>> | undefined
  readonly dependsOn: ReadonlyArray<string>
  readonly references: ReadonlyArray<Placed>
  readonly timeoutMs: number | undefined
}

/** Why a workflow cannot run, in a sentence naming the step (answered as -32602). */
export class InvalidPlan {
  readonly _tag = "InvalidPlan"
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

/** Where a value sits in a step's arguments, as written, e.g. `arguments.items[2].url`. */
const locationOf = (at: ReadonlyArray<Reference.Segment>) => `arguments${Reference.formatPath(at)}`

/** The references in one step's arguments, or why the arguments are refused. */
export const referencesOf = (step: Step): ReadonlyArray<Placed> | InvalidPlan => {
  if (step.arguments === undefined) return []
  if (!JsonRpc.isObject(step.arguments)) return new InvalidPlan(`Step "${step.id}": arguments must be an object`)
  const found: Array<Placed> = []
  const stack: Array<{ readonly value: unknown; readonly at: ReadonlyArray<Reference.Segment> }> = [{ value: step.arguments, at: [] }]
  const tooMany = new InvalidPlan(`Step "${step.id}": its arguments hold more than ${MAX_ARGUMENT_NODES} values`)
  let nodes = 1
  while (stack.length > 0) {
    const { at, value } = stack.pop()!
    if (typeof value === "string") {
      const parsed = Reference.parse(value)
      if (parsed instanceof Reference.BadReference) return new InvalidPlan(`Step "${step.id}", ${locationOf(at)}: ${parsed.reason}`)
      if (parsed !== undefined) {
        if (found.length === MAX_REFERENCES_PER_STEP) return new InvalidPlan(`Step "${step.id}": at most ${MAX_REFERENCES_PER_STEP} references per step`)
        found.push({ at, reference: parsed })
      }
      continue
    }
    if (typeof value !== "object" || value === null) continue
    if (at.length === MAX_ARGUMENT_DEPTH) return new InvalidPlan(`Step "${step.id}": its arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels`)
    // counted as they are found, so a huge object is refused before it is copied onto the stack
    if (Array.isArray(value)) {
      if ((nodes += value.length) > MAX_ARGUMENT_NODES) return tooMany
      value.forEach((item, i) => stack.push({ value: item, at: [...at, i] }))
      continue
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      if (++nodes > MAX_ARGUMENT_NODES) return tooMany
      stack.push({ value: (value as Record<string, unknown>)[key], at: [...at, key] })
    }
  }
  return found
}

/**
 * Checks `steps` and answers their plan, in the given order, or the first problem found: a
 * duplicate id, an unknown tool (`isTool`), a dependency or reference on an unknown step or on
 * the step itself, malformed arguments. Cycles are left to the executor, which names them.
 */
export const plan = (steps: ReadonlyArray<Step>, isTool: (name: string) => boolean): ReadonlyArray<PlannedStep> | InvalidPlan => {
  const ids = new Set<string>()
  for (const step of steps) {
    if (ids.has(step.id)) return new InvalidPlan(`Step id "${step.id}" is used by more than one step`)
    ids.add(step.id)
  }
  const planned: Array<PlannedStep> = []
  for (const step of steps) {
    if (!isTool(step.tool)) return new InvalidPlan(`Step "${step.id}": unknown tool ${JsonRpc.quote(step.tool)}`)
    const dependsOn = new Set<string>()
    for (const dependency of step.dependsOn ?? []) {
      if (dependency === step.id) return new InvalidPlan(`Step "${step.id}" depends on itself`)
      if (!ids.has(dependency)) return new InvalidPlan(`Step "${step.id}" depends on unknown step "${dependency}"`)
      dependsOn.add(dependency)
    }
    const references = referencesOf(step)
    if (references instanceof InvalidPlan) return references
    for (const { at, reference } of references) {
      if (reference.step === step.id) return new InvalidPlan(`Step "${step.id}", ${locationOf(at)}: a step cannot use its own result`)
      if (!ids.has(reference.step)) return new InvalidPlan(`Step "${step.id}", ${locationOf(at)}: ${reference.text} names unknown step "${reference.step}"`)
      dependsOn.add(reference.step)
    }
    planned.push({ id: step.id, tool: step.tool, arguments: step.arguments, dependsOn: [...dependsOn], references, timeoutMs: step.timeoutMs })
  }
  return planned
}

/** Why a step's arguments could not be resolved (a path its dependency's result does not have). */
export class UnresolvedReference {
  readonly _tag = "UnresolvedReference"
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

/**
 * The step's arguments with each reference replaced by the value it picks from `resultOf(step)`
 * (the results of the steps it depends on). The client's arguments are not changed.
 */
export const resolveArguments = (
  step: PlannedStep,
  resultOf: (step: string) => unknown
): Record<string, unknown> | undefined | UnresolvedReference => {
  if (step.references.length === 0) return step.arguments as Record<string, unknown> | undefined
  const resolved = structuredClone(step.arguments) as Record<string, unknown>
  let bytes = 0
  for (const { at, reference } of step.references) {
    const picked = Reference.resolve(reference, resultOf(reference.step))
    if (picked instanceof Reference.BadReference) return new UnresolvedReference(`${locationOf(at)}: ${reference.text}: ${picked.reason}`)
    // a step's result came parsed from JSON and within its byte budget: serializing a part of it is safe
    bytes += Buffer.byteLength(JSON.stringify(picked.value) ?? "")
    if (bytes > MAX_RESOLVED_BYTES) {
      return new UnresolvedReference(`${locationOf(at)}: ${reference.text}: the step's references pick more than ${MAX_RESOLVED_BYTES} bytes of earlier results in all; reference less`)
    }
    let parent: Record<string | number, unknown> = resolved
    for (const segment of at.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>
    // a defined property, not an assignment: a key named "__proto__" stays a plain field
    Object.defineProperty(parent, at[at.length - 1]!, { value: picked.value, writable: true, enumerable: true, configurable: true })
  }
  return resolved
}
