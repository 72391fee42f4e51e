/**
 * The set of tools a server offers. Declarations are known at start and serialized once per
 * change; implementations are imported on first call. Embedding apps register their tools here.
 */
import { Policy } from "@tenfold/cache"
import { Job } from "@tenfold/executor"
import { fromJsonSchema } from "@modelcontextprotocol/server"
import { Context, Effect, Exit, Layer, Schema, type SchemaIssue } from "effect"
import { Catalog } from "./internal/Catalog.ts"
import { ErrorCode, invalidParams, ProtocolError } from "./JsonRpc.ts"
import { JsonSchemaInput, type ToolDefinition, type ToolHandler } from "./Tool.ts"

/** A declared tool, ready for the hot path: schemas compiled, wire form computed. */
export interface RegisteredTool {
  readonly definition: ToolDefinition
  /** The `Tool` object as `tools/list` shows it. */
  readonly wire: Record<string, unknown>
  /** Decodes the call's `arguments`, or fails with -32602 naming the field. */
  readonly decodeArguments: (args: unknown) => Exit.Exit<unknown, ProtocolError>
  /** Encodes the handler's value for `structuredContent`, when an output schema is declared. */
  readonly encodeOutput: ((value: unknown) => Exit.Exit<unknown, ProtocolError>) | undefined
  /** The implementation, importing it on first use; concurrent first calls share one import. */
  readonly handler: Effect.Effect<ToolHandler<unknown, unknown>, ProtocolError>
  /**
   * Arguments a 2026-07-28 client must mirror in `Mcp-Param-<Name>` headers (input properties
   * annotated `"x-mcp-header": "<Name>"`), with the lower-cased header name.
   */
  readonly paramHeaders: ReadonlyArray<{ readonly header: string; readonly argument: string }>
  /** How results are cached, or undefined when they are not. */
  readonly policy: Policy.CachePolicy | undefined
  /** The implementation if it is already loaded: the hot path skips the import step. */
  readonly loaded: () => ToolHandler<unknown, unknown> | undefined
  /** True once the implementation has been imported (for tests and diagnostics). */
  readonly isLoaded: () => boolean
  /** What the executor runs: name, timeout, module and placement hint, fixed per tool. */
  readonly job: Job.Job
}

export interface ToolRegistryOptions {
  /** Tools per `tools/list` page (default 100). */
  readonly pageSize?: number
  /** Cache settings from configuration: the default TTL and per-tool overrides (`false` = never cache). */
  readonly cache?: {
    readonly defaultTtlMs?: number
    readonly tools?: Readonly<Record<string, Policy.CacheOptions | false>>
  }
}

const jsonSchemaOf = (schema: Schema.Top): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(schema)
  const definitions: Record<string, unknown> = { ...document.definitions }
  let root = document.schema as Record<string, unknown>
  // a Schema.Class or an identified Struct comes out as {"$ref":"#/$defs/Name"}: inline it (tools need an object root)
  const ref = typeof root.$ref === "string" && root.$ref.startsWith("#/$defs/") ? root.$ref.slice(8) : undefined
  if (ref !== undefined && typeof definitions[ref] === "object" && !isReferenced(definitions, `#/$defs/${ref}`, ref)) {
    root = definitions[ref] as Record<string, unknown>
    delete definitions[ref]
  } else if (ref !== undefined) {
    root = { ...(definitions[ref] as Record<string, unknown>) }
  }
  const objectRoot = root.type === "object" ? root : { type: "object", properties: {} }
  return concise(Object.keys(definitions).length === 0 ? objectRoot : { ...objectRoot, $defs: definitions }) as Record<string, unknown>
}

/**
 * Drops what a JSON Schema says by default anyway — integer bounds that are just the safe-integer
 * range, `additionalProperties: true` — so tool listings (read by models, token by token) stay short.
 */
const concise = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(concise)
  if (typeof node !== "object" || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === "minimum" && value === Number.MIN_SAFE_INTEGER) continue
    if (key === "maximum" && value === Number.MAX_SAFE_INTEGER) continue
    if (key === "additionalProperties" && value === true) continue
    out[key] = concise(value)
  }
  return out
}

/** True when another definition refers to `pointer` (recursive schemas keep their definition). */
const isReferenced = (definitions: Record<string, unknown>, pointer: string, except: string) =>
  Object.entries(definitions).some(([name, d]) => name !== except && JSON.stringify(d).includes(`"${pointer}"`)) ||
  JSON.stringify(definitions[except]).includes(`"${pointer}"`)

/** The `x-mcp-header` annotations of an input schema's top-level properties. */
const paramHeadersOf = (schema: Record<string, unknown>) => {
  const properties = schema.properties
  if (typeof properties !== "object" || properties === null) return []
  return Object.entries(properties as Record<string, Record<string, unknown>>).flatMap(([argument, property]) => {
    const name = property?.["x-mcp-header"]
    return typeof name === "string" ? [{ header: `mcp-param-${name.toLowerCase()}`, argument }] : []
  })
}

/** Longest argument-validation message answered (it may quote what the client sent). */
const MAX_ISSUE_LENGTH = 1000

/** One line per problem, e.g. `Expected string at ["text"]`, cut at a bounded length. */
export const formatSchemaIssue = (message: string): string => {
  const line = message.replace(/\n\s+at /g, " at ").replace(/\n/g, "; ")
  return line.length > MAX_ISSUE_LENGTH ? `${line.slice(0, MAX_ISSUE_LENGTH)}…` : line
}

/**
 * Validates arguments against a raw JSON Schema (ajv, through the SDK's `fromJsonSchema`),
 * compiled on the first call: a catalog of many tools starts fast and holds only the validators
 * of tools that were called.
 */
const jsonSchemaDecoder = (name: string, schema: Record<string, unknown>) => {
  let validate: ((value: unknown) => unknown) | undefined
  return (args: unknown): Exit.Exit<unknown, ProtocolError> => {
    try {
      validate ??= fromJsonSchema(schema as Parameters<typeof fromJsonSchema>[0])["~standard"].validate
    } catch {
      return Exit.fail(new ProtocolError({ code: ErrorCode.InternalError, message: `Tool ${name} has an input schema that cannot be compiled` }))
    }
    const result = validate(args) as { value?: unknown; issues?: ReadonlyArray<{ message: string }> }
    return result.issues === undefined
      ? Exit.succeed(result.value)
      : Exit.fail(invalidParams(`Invalid arguments for tool ${name}: ${formatSchemaIssue(result.issues.map((i) => i.message).join("\n"))}`))
  }
}

const compile = (definition: ToolDefinition, options: ToolRegistryOptions): RegisteredTool => {
  const input = definition.input
  const decodeEffect = input instanceof JsonSchemaInput ? undefined : Schema.decodeUnknownExit(input as Schema.Codec<unknown, unknown>)
  const decodeJson = input instanceof JsonSchemaInput ? jsonSchemaDecoder(definition.name, input.schema) : undefined
  const output = definition.output as Schema.Codec<unknown, unknown> | undefined
  const encode = output === undefined ? undefined : Schema.encodeUnknownExit(output)
  let loaded: ToolHandler<unknown, unknown> | undefined = definition.handler as ToolHandler<unknown, unknown> | undefined
  let loading: Promise<ToolHandler<unknown, unknown>> | undefined
  const load = loaderOf(definition)
  const importOnce = Effect.tryPromise({
    try: () => {
      loading ??= load!().then((h) => (loaded = h))
      return loading
    },
    catch: (cause) => {
      loading = undefined
      return cause
    }
  }).pipe(
    // a server-side failure: logged with its cause, answered -32603 without it
    Effect.tapError((cause) => Effect.logError(`Tool ${definition.name} could not be loaded`, cause)),
    Effect.mapError(() => new ProtocolError({ code: ErrorCode.InternalError, message: `Tool ${definition.name} could not be loaded` }))
  )
  const wire: Record<string, unknown> = {
    name: definition.name,
    ...(definition.title === undefined ? {} : { title: definition.title }),
    description: definition.description,
    inputSchema: input instanceof JsonSchemaInput ? input.schema : jsonSchemaOf(input),
    ...(output === undefined ? {} : { outputSchema: jsonSchemaOf(output) }),
    ...(definition.annotations === undefined ? {} : { annotations: definition.annotations }),
    ...(definition.taskSupport === undefined || definition.taskSupport === "forbidden" ? {} : { execution: { taskSupport: definition.taskSupport } }),
    ...(definition._meta === undefined ? {} : { _meta: definition._meta })
  }
  const policy = Policy.resolve({
    readOnly: definition.annotations?.readOnlyHint === true,
    declared: definition.cache,
    configured: options.cache?.tools?.[definition.name],
    ...(options.cache?.defaultTtlMs === undefined ? {} : { defaultTtlMs: options.cache.defaultTtlMs })
  })
  return {
    definition,
    wire,
    paramHeaders: paramHeadersOf(wire.inputSchema as Record<string, unknown>),
    policy,
    decodeArguments: decodeJson !== undefined
      ? (args) => decodeJson(args ?? {})
      : (args) =>
        Exit.mapError(
          decodeEffect!(args ?? {}, { errors: "all" }),
          (e) => invalidParams(`Invalid arguments for tool ${definition.name}: ${formatSchemaIssue(e.message)}`)
        ),
    encodeOutput: encode === undefined ? undefined : (value) =>
      Exit.mapError(
        encode(value),
        (e) =>
          new ProtocolError({
            code: ErrorCode.InternalError,
            message: `Tool ${definition.name} returned a value that does not match its output schema: ${formatSchemaIssue(e.message)}`
          })
      ),
    handler: Effect.suspend(() => (loaded !== undefined ? Effect.succeed(loaded) : importOnce)),
    loaded: () => loaded,
    isLoaded: () => loaded !== undefined,
    job: { name: definition.name, timeoutMs: definition.timeoutMs, module: definition.module, cpuBound: definition.cpuBound }
  }
}

/** How a tool's implementation is imported on its first call: its `load`, else its `module`. */
const loaderOf = (definition: ToolDefinition): (() => Promise<ToolHandler<unknown, unknown>>) | undefined => {
  if (definition.load !== undefined) return definition.load as () => Promise<ToolHandler<unknown, unknown>>
  const module = definition.module
  if (module === undefined) return undefined
  return () =>
    Job.importModule(module).then((handler) => {
      if (typeof handler !== "function") throw new Error(`Tool ${definition.name}: export ${module.export ?? "handler"} of ${String(module.url)} is not a function`)
      return handler as ToolHandler<unknown, unknown>
    })
}

export type { SchemaIssue }

/** The tool set: register and remove tools at any time; `tools/list` reflects changes at once. */
export class ToolRegistry extends Context.Service<ToolRegistry, {
  /** Adds a tool, or replaces the one with the same name; emits `notifications/tools/list_changed`. */
  readonly register: <T extends ToolDefinition<any, any>>(definition: T) => Effect.Effect<void> // any: variance of handler params
  readonly remove: (name: string) => Effect.Effect<boolean>
  /** The catalog the dispatcher reads on the hot path. */
  readonly catalog: Catalog<RegisteredTool>
}>()("@tenfold/mcp/ToolRegistry") {
  /** An empty registry; `tools` are registered at construction. */
  static layer = (tools: ReadonlyArray<ToolDefinition<any, any>> = [], options: ToolRegistryOptions = {}) => // any: see register
    Layer.effect(ToolRegistry, Effect.sync(() => make(tools, options)))
}

/** Builds a registry outside a layer (used by the layer and by tests). */
export const make = (tools: ReadonlyArray<ToolDefinition<any, any>> = [], options: ToolRegistryOptions = {}) => { // any: see register
  const catalog = new Catalog<RegisteredTool>("tools", options.pageSize ?? 100)
  const add = (definition: ToolDefinition) => {
    if (definition.handler === undefined && definition.load === undefined && definition.module === undefined) {
      throw new Error(`Tool ${definition.name} has no handler, load function or module`)
    }
    const tool = compile(definition, options)
    catalog.set(definition.name, tool, tool.wire)
  }
  for (const tool of tools) add(tool)
  return ToolRegistry.of({
    register: (definition) => Effect.sync(() => add(definition)),
    remove: (name) => Effect.sync(() => catalog.delete(name)),
    catalog
  })
}
