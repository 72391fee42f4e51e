/**
 * The resources a server offers: fixed URIs and URI templates, each with a reader, plus
 * completion of template variables and `resources/subscribe` bookkeeping.
 */
import type { ReadResourceResult } from "@modelcontextprotocol/server"
import { UriTemplate } from "@modelcontextprotocol/server"
import { Context, Effect, Layer } from "effect"
import { Catalog } from "./internal/Catalog.ts"
import { ErrorCode, ProtocolError, quote } from "./JsonRpc.ts"

export type ResourceContents = ReadResourceResult["contents"]

interface ResourceMetadata {
  readonly name: string
  readonly title?: string
  readonly description?: string
  readonly mimeType?: string
  readonly annotations?: Record<string, unknown>
  readonly _meta?: Record<string, unknown>
}

/** A resource at one fixed URI. */
export interface ResourceDefinition extends ResourceMetadata {
  readonly uri: string
  readonly size?: number
  readonly read: (uri: string) => Effect.Effect<ResourceContents, ProtocolError>
}

/** A family of resources whose URIs match an RFC 6570 template. */
export interface ResourceTemplateDefinition extends ResourceMetadata {
  readonly uriTemplate: string
  readonly read: (uri: string, variables: Record<string, string>) => Effect.Effect<ResourceContents, ProtocolError>
  /** Completion for each template variable: given the typed prefix, the candidate values. */
  readonly complete?: Record<string, (value: string, context: Record<string, string>) => Effect.Effect<ReadonlyArray<string>>>
}

interface RegisteredTemplate {
  readonly definition: ResourceTemplateDefinition
  readonly template: UriTemplate
}

const metadataOf = (d: ResourceMetadata) => ({
  name: d.name,
  ...(d.title === undefined ? {} : { title: d.title }),
  ...(d.description === undefined ? {} : { description: d.description }),
  ...(d.mimeType === undefined ? {} : { mimeType: d.mimeType }),
  ...(d.annotations === undefined ? {} : { annotations: d.annotations }),
  ...(d._meta === undefined ? {} : { _meta: d._meta })
})

export const resourceNotFound = (uri: string) =>
  new ProtocolError({ code: ErrorCode.ResourceNotFound, message: `Resource not found: ${quote(uri)}`, data: { uri } })

/** The resource set: fixed resources, templates, and which URIs clients subscribed to. */
export class ResourceRegistry extends Context.Service<ResourceRegistry, {
  readonly register: (definition: ResourceDefinition) => Effect.Effect<void>
  readonly registerTemplate: (definition: ResourceTemplateDefinition) => Effect.Effect<void>
  readonly remove: (uriOrTemplate: string) => Effect.Effect<boolean>
  readonly resources: Catalog<ResourceDefinition>
  readonly templates: Catalog<RegisteredTemplate>
  /** Reads `uri` from a fixed resource or the first template that matches it. */
  readonly read: (uri: string) => Effect.Effect<ResourceContents, ProtocolError>
  /** Tells subscribers that the resource at `uri` changed (`notifications/resources/updated`). */
  readonly updated: (uri: string) => Effect.Effect<void>
  /** Calls `listener` with the URI of every updated resource; returns the function that stops it. */
  readonly onUpdated: (listener: (uri: string) => void) => () => void
  /** Completion candidates for a template variable. */
  readonly complete: (uriTemplate: string, argument: string, value: string, context: Record<string, string>) => Effect.Effect<ReadonlyArray<string>>
}>()("@tenfold/mcp/ResourceRegistry") {
  static layer = (
    resources: ReadonlyArray<ResourceDefinition> = [],
    templates: ReadonlyArray<ResourceTemplateDefinition> = [],
    options: { readonly pageSize?: number } = {}
  ) => Layer.effect(ResourceRegistry, Effect.sync(() => make(resources, templates, options)))
}

export const make = (
  initial: ReadonlyArray<ResourceDefinition> = [],
  initialTemplates: ReadonlyArray<ResourceTemplateDefinition> = [],
  options: { readonly pageSize?: number } = {}
) => {
  const resources = new Catalog<ResourceDefinition>("resources", options.pageSize ?? 100)
  const templates = new Catalog<RegisteredTemplate>("resourceTemplates", options.pageSize ?? 100)
  const add = (d: ResourceDefinition) =>
    resources.set(d.uri, d, { uri: d.uri, ...metadataOf(d), ...(d.size === undefined ? {} : { size: d.size }) })
  const addTemplate = (d: ResourceTemplateDefinition) =>
    templates.set(d.uriTemplate, { definition: d, template: new UriTemplate(d.uriTemplate) }, {
      uriTemplate: d.uriTemplate,
      ...metadataOf(d)
    })
  initial.forEach(add)
  initialTemplates.forEach(addTemplate)
  const updateListeners = new Set<(uri: string) => void>()
  return ResourceRegistry.of({
    updated: (uri) => Effect.sync(() => updateListeners.forEach((listener) => listener(uri))),
    onUpdated: (listener) => {
      updateListeners.add(listener)
      return () => updateListeners.delete(listener)
    },
    register: (d) => Effect.sync(() => add(d)),
    registerTemplate: (d) => Effect.sync(() => addTemplate(d)),
    remove: (key) => Effect.sync(() => resources.delete(key) || templates.delete(key)),
    resources,
    templates,
    read: (uri) => {
      const fixed = resources.get(uri)
      if (fixed !== undefined) return fixed.read(uri)
      for (const { definition, template } of templates.values()) {
        const variables = template.match(uri)
        if (variables !== null) {
          const flat = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]))
          return definition.read(uri, flat)
        }
      }
      return Effect.fail(resourceNotFound(uri))
    },
    complete: (uriTemplate, argument, value, context) => {
      const complete = templates.get(uriTemplate)?.definition.complete?.[argument]
      return complete === undefined ? Effect.succeed([]) : complete(value, context)
    }
  })
}
