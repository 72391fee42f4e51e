/**
 * What a tool handler returned, as a `CallToolResult`: structured output encoded with the output
 * schema, plain text, content blocks, or a whole result passed through.
 */
import { Exit } from "effect"
import { isObject, type ProtocolError } from "../JsonRpc.ts"
import type { ToolReturn } from "../Tool.ts"
import type { RegisteredTool } from "../ToolRegistry.ts"

/** The `type`s of MCP content blocks. */
export const CONTENT_TYPES = new Set(["text", "image", "audio", "resource_link", "resource"])

const isCallToolResult = (u: unknown): u is { content: ReadonlyArray<unknown> } => isObject(u) && Array.isArray(u.content)

/** Turns a handler's return value into a `CallToolResult` object. */
export const toCallToolResult = (tool: RegisteredTool, value: unknown): Exit.Exit<Record<string, unknown>, ProtocolError> => {
  if (tool.encodeOutput !== undefined) {
    return Exit.map(tool.encodeOutput(value), (structured) => ({
      content: [{ type: "text", text: JSON.stringify(structured) }],
      structuredContent: structured
    }))
  }
  const v = value as ToolReturn
  if (typeof v === "string") return Exit.succeed({ content: [{ type: "text", text: v }] })
  if (Array.isArray(v)) return Exit.succeed({ content: v })
  if (isCallToolResult(v)) return Exit.succeed(v as Record<string, unknown>)
  if (typeof v === "object" && v !== null && CONTENT_TYPES.has((v as { type?: unknown }).type as string)) {
    return Exit.succeed({ content: [v] })
  }
  return Exit.succeed({ content: [{ type: "text", text: JSON.stringify(v) }] })
}
