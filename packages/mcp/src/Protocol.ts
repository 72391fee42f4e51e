/**
 * The protocol facts Tenfold speaks: revisions, `_meta` keys, revision-specific error codes and
 * the server's identity. Spec words are code words here; constants the SDK defines come from it.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  LATEST_PROTOCOL_VERSION,
  LOG_LEVEL_META_KEY,
  type LoggingLevel,
  PROTOCOL_VERSION_META_KEY,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  SUBSCRIPTION_ID_META_KEY
} from "@modelcontextprotocol/server"

/** The stateless revision: per-request `_meta` envelope, no initialize, no sessions. */
export const STATELESS_REVISION = "2026-07-28"

/** The newest session-based revision (initialize, Mcp-Session-Id, SSE streams). */
export const SESSION_REVISION = LATEST_PROTOCOL_VERSION

/** Session-based revisions accepted in `initialize`, newest first. */
export const SESSION_REVISIONS: ReadonlyArray<string> = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

export const STATELESS_REVISIONS: ReadonlyArray<string> = [STATELESS_REVISION]

export const MetaKey = {
  protocolVersion: PROTOCOL_VERSION_META_KEY,
  clientInfo: CLIENT_INFO_META_KEY,
  clientCapabilities: CLIENT_CAPABILITIES_META_KEY,
  logLevel: LOG_LEVEL_META_KEY,
  serverInfo: SERVER_INFO_META_KEY,
  subscriptionId: SUBSCRIPTION_ID_META_KEY
} as const

/** Error codes defined by the 2026-07-28 revision and by Streamable HTTP sessions. */
export const McpErrorCode = {
  /** MCP-Protocol-Version header missing or different from `_meta`; Mcp-Method/Mcp-Name mismatch. */
  HeaderMismatch: -32020,
  /** The call needs a client capability the request's `_meta` does not declare. */
  MissingRequiredClientCapability: ProtocolErrorCode.MissingRequiredClientCapability,
  /** The requested protocol version is not served here; `data` lists the supported ones. */
  UnsupportedProtocolVersion: ProtocolErrorCode.UnsupportedProtocolVersion,
  /** The Mcp-Session-Id names no live session. */
  SessionNotFound: -32001
} as const

/** The tasks extension (SEP-2663): declared under `capabilities.extensions` by 2026-07-28 clients and servers. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks"

/** The `_meta` key that ties a 2025-11-25 `tasks/result` answer to its task. */
export const RELATED_TASK_META_KEY = "io.modelcontextprotocol/related-task"

/** Methods that exist only in the session revisions; a stateless request for one is "not found". */
export const SESSION_ONLY_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe"
])

/** The `subscriptions/listen` filter flag that asks for each list-changed notification. */
export const LIST_CHANGED_FILTER: Readonly<Record<string, string>> = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged"
}

export type { LoggingLevel }

const LEVELS: ReadonlyArray<LoggingLevel> = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

export const isLoggingLevel = (u: unknown): u is LoggingLevel => typeof u === "string" && LEVELS.includes(u as LoggingLevel)

/** True when a message at `level` passes a client's `threshold`. */
export const levelPasses = (level: LoggingLevel, threshold: LoggingLevel): boolean =>
  LEVELS.indexOf(level) >= LEVELS.indexOf(threshold)

/** The name and version a server reports in `initialize` and in each stateless result's `_meta`. */
export interface ServerInfo {
  readonly name: string
  readonly version: string
  readonly title?: string
  /** Shown to clients as guidance on using this server. */
  readonly instructions?: string
}
