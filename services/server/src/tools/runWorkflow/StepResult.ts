/**
 * What a step's tool call answers, as a workflow keeps it: the value later steps' references
 * read (structured content, else text, else the content blocks), held within a per-step and a
 * per-workflow byte budget; an `isError` answer, a refusal or a budget overrun is the step's failure.
 */
import type { ToolCaller } from "@tenfold/mcp"
import { Data, Effect } from "effect"

/** Largest result one step may answer (JSON bytes); a larger one fails the step. */
export const MAX_STEP_RESULT_BYTES = 1024 * 1024
/** Largest sum of the results one workflow keeps and answers (JSON bytes); a step past it fails. */
export const MAX_WORKFLOW_RESULT_BYTES = 4 * 1024 * 1024
/** Longest failure message kept from a step's `isError` answer. */
const MAX_FAILURE_TEXT = 2000

/** What a step's tool call answers. */
export type CallToolResult = Effect.Success<ReturnType<ToolCaller["Service"]["call"]>>

/** A step's failure, with the message its report shows. */
export class StepFailed extends Data.TaggedError("StepFailed")<{ readonly message: string }> {}

/** What a finished step hands to the steps that read it. */
export interface StepValue {
  readonly value: unknown
}

/**
 * What references read of a result, and what the answer shows of it: the structured content
 * when there is some, else the text (blocks joined by newlines), else the content blocks.
 */
export const valueOf = (result: CallToolResult): unknown => {
  if (result.structuredContent !== undefined) return result.structuredContent
  const content = result.content ?? []
  return content.every((block) => block.type === "text") ? content.map((block) => block.text).join("\n") : content
}

/** The text of a failed result (its message), bounded. */
const failureText = (result: CallToolResult): string => {
  const text = (result.content ?? []).flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n")
  return text.length === 0 ? "The tool failed" : text.length > MAX_FAILURE_TEXT ? `${text.slice(0, MAX_FAILURE_TEXT)}…` : text
}

const mib = (bytes: number) => `${bytes / (1024 * 1024)} MiB`

/** The results of one workflow: `accept` takes a step's answer as its value, or fails the step. */
export const budget = () => {
  let keptBytes = 0
  return {
    accept: (result: CallToolResult): Effect.Effect<StepValue, StepFailed> => {
      if (result.isError === true) return Effect.fail(new StepFailed({ message: failureText(result) }))
      const value = valueOf(result)
      // a result the dispatcher parsed from JSON: serializing it again is safe
      const bytes = Buffer.byteLength(JSON.stringify(value) ?? "")
      if (bytes > MAX_STEP_RESULT_BYTES) {
        return Effect.fail(new StepFailed({ message: `Its result is ${bytes} bytes, more than the ${mib(MAX_STEP_RESULT_BYTES)} a step may answer; ask the tool for less` }))
      }
      if (keptBytes + bytes > MAX_WORKFLOW_RESULT_BYTES) {
        return Effect.fail(new StepFailed({ message: `The workflow's results would pass ${mib(MAX_WORKFLOW_RESULT_BYTES)}; ask the tools for less` }))
      }
      keptBytes += bytes
      return Effect.succeed({ value })
    }
  }
}
