/**
 * The prompts a server offers: each a name, its arguments, a function that renders the messages,
 * and optional completion of argument values.
 */
import type { GetPromptResult } from "@modelcontextprotocol/server"
import { Context, Effect, Layer } from "effect"
import { Catalog } from "./internal/Catalog.ts"
import { invalidParams, type ProtocolError, quote } from "./JsonRpc.ts"
import type { InputRequired } from "./Tool.ts"

/** What a prompt sees besides its arguments: multi-round-trip input gathered so far. */
export interface PromptContext {
  readonly inputResponses: Readonly<Record<string, unknown>>
  readonly requestState: unknown
}

export interface PromptArgument {
  readonly name: string
  readonly title?: string
  readonly description?: string
  readonly required?: boolean
}

export interface PromptDefinition {
  readonly name: string
  readonly title?: string
  readonly description?: string
  readonly arguments?: ReadonlyArray<PromptArgument>
  readonly _meta?: Record<string, unknown>
  /** Renders the messages, or answers `inputRequired(…)` when it needs client input first. */
  readonly get: (args: Record<string, string>, context: PromptContext) => Effect.Effect<GetPromptResult | InputRequired, ProtocolError>
  /** Completion for each argument: given the typed prefix, the candidate values. */
  readonly complete?: Record<string, (value: string, context: Record<string, string>) => Effect.Effect<ReadonlyArray<string>>>
}

/** The prompt set. `get` checks required arguments before rendering. */
export class PromptRegistry extends Context.Service<PromptRegistry, {
  readonly register: (definition: PromptDefinition) => Effect.Effect<void>
  readonly remove: (name: string) => Effect.Effect<boolean>
  readonly catalog: Catalog<PromptDefinition>
  readonly get: (name: string, args: Record<string, string>, context: PromptContext) => Effect.Effect<GetPromptResult | InputRequired, ProtocolError>
  readonly complete: (name: string, argument: string, value: string, context: Record<string, string>) => Effect.Effect<ReadonlyArray<string>>
}>()("@tenfold/mcp/PromptRegistry") {
  static layer = (prompts: ReadonlyArray<PromptDefinition> = [], options: { readonly pageSize?: number } = {}) =>
    Layer.effect(PromptRegistry, Effect.sync(() => make(prompts, options)))
}

export const make = (initial: ReadonlyArray<PromptDefinition> = [], options: { readonly pageSize?: number } = {}) => {
  const catalog = new Catalog<PromptDefinition>("prompts", options.pageSize ?? 100)
  const add = (d: PromptDefinition) =>
    catalog.set(d.name, d, {
      name: d.name,
      ...(d.title === undefined ? {} : { title: d.title }),
      ...(d.description === undefined ? {} : { description: d.description }),
      ...(d.arguments === undefined ? {} : { arguments: d.arguments }),
      ...(d._meta === undefined ? {} : { _meta: d._meta })
    })
  initial.forEach(add)
  return PromptRegistry.of({
    register: (d) => Effect.sync(() => add(d)),
    remove: (name) => Effect.sync(() => catalog.delete(name)),
    catalog,
    get: (name, args, context) => {
      const prompt = catalog.get(name)
      if (prompt === undefined) return Effect.fail(invalidParams(`Unknown prompt: ${quote(name)}`))
      const missing = (prompt.arguments ?? []).filter((a) => a.required === true && typeof args[a.name] !== "string")
      if (missing.length > 0) {
        return Effect.fail(invalidParams(`Missing required argument${missing.length > 1 ? "s" : ""} for prompt ${name}: ${missing.map((a) => a.name).join(", ")}`))
      }
      return prompt.get(args, context)
    },
    complete: (name, argument, value, context) => {
      const complete = catalog.get(name)?.complete?.[argument]
      return complete === undefined ? Effect.succeed([]) : complete(value, context)
    }
  })
}
