/**
 * @tenfold/mcp — the MCP protocol core: registries for tools, resources and prompts, the
 * dispatcher, and the Streamable HTTP and stdio transports.
 */
export * as Auth from "./Auth.ts"
export { Dispatcher } from "./Dispatcher.ts"
export type { DispatcherOptions } from "./Dispatcher.ts"
export type { Answer, Outbound, Peer, SessionState } from "./Peer.ts"
export { EventNotFound, EventStore } from "./EventStore.ts"
export { HttpServer, ListenError } from "./HttpServer.ts"
export type { HttpServerOptions } from "./HttpServer.ts"
export { HttpTransport } from "./HttpTransport.ts"
export type { HttpTransportOptions } from "./HttpTransport.ts"
export * as JsonRpc from "./JsonRpc.ts"
export { PromptRegistry } from "./PromptRegistry.ts"
export type { PromptContext, PromptDefinition } from "./PromptRegistry.ts"
export * as Protocol from "./Protocol.ts"
export { ResourceRegistry } from "./ResourceRegistry.ts"
export type { ResourceDefinition, ResourceTemplateDefinition } from "./ResourceRegistry.ts"
export { Sessions } from "./Sessions.ts"
export { StdioTransport } from "./StdioTransport.ts"
export * as Tool from "./Tool.ts"
export { ToolRegistry } from "./ToolRegistry.ts"
