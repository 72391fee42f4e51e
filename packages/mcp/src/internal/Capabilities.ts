/**
 * Client capabilities: what a tool or an embedded input request needs, and whether what a client
 * declared covers it (the -32021 checks).
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server"
import { isObject } from "../JsonRpc.ts"
import type { InputRequest } from "../Tool.ts"

/** The part of `required` that `declared` lacks, or undefined when nothing is missing. */
export const missingCapabilities = (required: ClientCapabilities | undefined, declared: ClientCapabilities) => {
  if (required === undefined) return undefined
  const missing = Object.fromEntries(Object.entries(required).filter(([key]) => (declared as Record<string, unknown>)[key] === undefined))
  return Object.keys(missing).length === 0 ? undefined : missing
}

/** The client capability an embedded input request needs (`elicitation` covers form mode). */
export const requiredCapabilityOf = (request: InputRequest): Record<string, unknown> => {
  switch (request.method) {
    case "elicitation/create":
      return request.params.mode === "url" ? { elicitation: { url: {} } } : { elicitation: { form: {} } }
    case "sampling/createMessage":
      return request.params.tools !== undefined || request.params.toolChoice !== undefined ? { sampling: { tools: {} } } : { sampling: {} }
    case "roots/list":
      return { roots: {} }
  }
}

/** True when `declared` covers `required` (a bare `elicitation: {}` counts as form support). */
export const covers = (declared: ClientCapabilities, required: Record<string, unknown>): boolean =>
  Object.entries(required).every(([key, sub]) => {
    const has = (declared as Record<string, unknown>)[key]
    if (!isObject(has)) return false
    if (key === "elicitation" && Object.keys(has).length === 0) return isObject(sub) && "form" in sub
    return !isObject(sub) || Object.keys(sub).every((k) => isObject(has[k]))
  })
