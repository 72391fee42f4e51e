/**
 * `Tenfold.layer(config)`: the one typed runtime. It provides every Tenfold service an embedding
 * app or the `tenfold` binary needs; later concerns (cache, pools, telemetry) add their layers
 * here. Each service also has its own layer in its package for apps that want only one part.
 */
import {
  Auth,
  Dispatcher,
  EventStore,
  HttpServer,
  HttpTransport,
  PromptRegistry,
  type PromptDefinition,
  ResourceRegistry,
  type ResourceDefinition,
  type ResourceTemplateDefinition,
  Sessions,
  StdioTransport,
  type Tool,
  ToolRegistry
} from "@tenfold/mcp"
import { MemoryTier, PersistentTier, RedisTier, TieredCache } from "@tenfold/cache"
import type { Protocol } from "@tenfold/mcp"
import { Cause, Effect, Layer } from "effect"
import type { Config } from "./Config.ts"

/** What a runtime serves besides its configuration. */
export interface Registrations {
  readonly serverInfo?: Protocol.ServerInfo
  readonly tools?: ReadonlyArray<Tool.ToolDefinition<any, any>> // any: tools differ in their schema types
  readonly resources?: ReadonlyArray<ResourceDefinition>
  readonly resourceTemplates?: ReadonlyArray<ResourceTemplateDefinition>
  readonly prompts?: ReadonlyArray<PromptDefinition>
}

export const defaultServerInfo: Protocol.ServerInfo = { name: "tenfold", version: "0.1.0" }

const tokensOf = (config: Config) =>
  Effect.gen(function*() {
    const tokens = new Map<string, string>()
    if (config.tokensFile !== undefined) for (const [t, p] of yield* Auth.readTokensFile(config.tokensFile)) tokens.set(t, p)
    if (config.tokens !== undefined) for (const [t, p] of yield* Auth.parseInline(config.tokens)) tokens.set(t, p)
    return tokens
  })

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.")

/**
 * The tiered result cache as configured: L1 always, L2 with `redisUrl`, L4 unless `cacheDir` is
 * empty; nothing when `cache` is false (tool calls then always run).
 */
export const cacheLayer = (config: Config) => {
  if (!config.cache) return Layer.empty
  const tiers = Layer.mergeAll(
    MemoryTier.layer({ maxBytes: config.cacheMemoryMaxBytes, maxEntries: config.cacheMemoryMaxEntries }),
    config.redisUrl === undefined ? Layer.empty : RedisTier.layer({ url: config.redisUrl }),
    config.cacheDir === "" ? Layer.empty : PersistentTier.layer({ dir: config.cacheDir })
  )
  return TieredCache.layer().pipe(Layer.provideMerge(tiers))
}

/**
 * Every protocol service, configured: registries, result cache, dispatcher, sessions, event
 * store and both transports. Listening on a port is separate ({@link serveHttp}) so tests and embedding apps
 * can mount `HttpTransport.handle` on a server of their own.
 */
export const layer = (config: Config, registrations: Registrations = {}) => {
  const registries = Layer.mergeAll(
    ToolRegistry.layer(registrations.tools ?? [], {
      pageSize: config.pageSize,
      cache: { defaultTtlMs: config.cacheTtlMs, tools: config.cacheTools }
    }),
    ResourceRegistry.layer(registrations.resources ?? [], registrations.resourceTemplates ?? [], { pageSize: config.pageSize }),
    PromptRegistry.layer(registrations.prompts ?? [], { pageSize: config.pageSize })
  )
  const dispatcher = Dispatcher.layer({
    serverInfo: registrations.serverInfo ?? defaultServerInfo,
    onDefect: (cause, method) => console.error(`[tenfold] ${method} failed with a defect:\n${Cause.pretty(cause)}`)
  }).pipe(Layer.provideMerge(registries), Layer.provideMerge(cacheLayer(config)))
  const sessions = Sessions.layer({ idleMs: config.sessionIdleMs, maxSessions: config.maxSessions }).pipe(
    Layer.provideMerge(EventStore.layerMemory())
  )
  const http = Layer.unwrap(
    Effect.map(tokensOf(config), (tokens) =>
      HttpTransport.layer({
        path: config.path,
        maxBodyBytes: config.maxBodyBytes,
        dnsRebindingProtection: isLoopback(config.host) || config.allowedHosts.length > 0,
        allowedHosts: config.allowedHosts,
        allowedOrigins: config.allowedOrigins,
        tokens
      })
    )
  )
  return Layer.mergeAll(http, StdioTransport.layer).pipe(Layer.provideMerge(Layer.merge(dispatcher, sessions)))
}

/** Listens on `config.host:config.port` with the runtime's HTTP transport. */
export const serveHttp = (config: Config) =>
  HttpServer.layer({ host: config.host, port: config.port, shutdownGraceMs: config.shutdownGraceMs })
