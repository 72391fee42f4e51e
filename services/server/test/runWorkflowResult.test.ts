/**
 * How `run_workflow` keeps a step's answer: the value references read, and the per-step and
 * per-workflow byte budgets (a step past either fails, the others keep what they had).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { budget, type CallToolResult, MAX_STEP_RESULT_BYTES, MAX_WORKFLOW_RESULT_BYTES, StepFailed, valueOf } from "../src/tools/runWorkflow/StepResult.ts"

const text = (t: string): CallToolResult => ({ content: [{ type: "text", text: t }] })

/** The JSON of a string of `bytes` bytes is `bytes + 2` (its quotes). */
const ofBytes = (bytes: number) => text("x".repeat(bytes - 2))

const failureOf = (exit: Exit.Exit<unknown, StepFailed>) => {
  if (Exit.isSuccess(exit)) return assert.fail("expected the step to fail")
  return String((exit.cause.reasons[0] as { error?: StepFailed }).error?.message)
}

describe("valueOf", () => {
  it("is the structured content, else the text, else the content blocks", () => {
    assert.deepStrictEqual(valueOf({ content: [{ type: "text", text: "{}" }], structuredContent: { a: 1 } }), { a: 1 })
    assert.strictEqual(valueOf({ content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }), "a\nb")
    const image = { type: "image" as const, data: "AA==", mimeType: "image/png" }
    assert.deepStrictEqual(valueOf({ content: [{ type: "text", text: "a" }, image] }), [{ type: "text", text: "a" }, image])
    assert.strictEqual(valueOf({ content: [] }), "")
  })
})

describe("budget", () => {
  it.effect("fails an isError answer with its text, and an empty one with a generic message", () =>
    Effect.gen(function*() {
      const results = budget()
      assert.strictEqual(failureOf(yield* Effect.exit(results.accept({ ...text("upstream down"), isError: true }))), "upstream down")
      assert.strictEqual(failureOf(yield* Effect.exit(results.accept({ content: [], isError: true }))), "The tool failed")
    }))

  it.effect("refuses a step's result past the per-step bound", () =>
    Effect.gen(function*() {
      const results = budget()
      assert.deepStrictEqual(yield* results.accept(ofBytes(MAX_STEP_RESULT_BYTES)), { value: "x".repeat(MAX_STEP_RESULT_BYTES - 2) })
      assert.include(failureOf(yield* Effect.exit(results.accept(ofBytes(MAX_STEP_RESULT_BYTES + 1)))), "more than the 1 MiB a step may answer")
    }))

  it.effect("refuses the step that would take the workflow's results past their bound; smaller ones still fit", () =>
    Effect.gen(function*() {
      const results = budget()
      const steps = MAX_WORKFLOW_RESULT_BYTES / MAX_STEP_RESULT_BYTES
      for (let i = 0; i < steps - 1; i++) yield* results.accept(ofBytes(MAX_STEP_RESULT_BYTES))
      yield* results.accept(ofBytes(MAX_STEP_RESULT_BYTES - 10))
      assert.include(failureOf(yield* Effect.exit(results.accept(ofBytes(11)))), "would pass 4 MiB")
      yield* results.accept(ofBytes(10))
    }))
})
