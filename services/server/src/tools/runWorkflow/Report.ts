/**
 * What `run_workflow` answers: one report per step, in the order the client gave them — ok with
 * its result, error with the reason, or skipped with the reason — and counts; `isError` when any
 * step did not succeed. Steps the run never reported (stopped by the workflow's timeout or by
 * failFast) are errors when they had started and skipped when they had not.
 */
import { TaskTimeout, type TaskResult } from "@tenfold/scheduler"
import type { PlannedStep } from "./Plan.ts"
import type { StepFailed, StepValue } from "./StepResult.ts"

/** One step in the answer. */
export type StepReport =
  | { readonly id: string; readonly tool: string; readonly status: "ok"; readonly durationMs: number; readonly result: unknown }
  | { readonly id: string; readonly tool: string; readonly status: "error"; readonly durationMs?: number; readonly error: string }
  | { readonly id: string; readonly tool: string; readonly status: "skipped"; readonly reason: string }

/** Why a step failed, in words (a step's own timeout named as such). */
const errorText = (error: unknown): string =>
  error instanceof TaskTimeout ? `Timed out after ${error.timeoutMs} ms (its timeoutMs)` : error instanceof Error ? error.message : "The step failed"

/** The report of a step of tool `tool` the run finished with `result`. */
export const reportOf = (result: TaskResult<StepValue, StepFailed>, tool: string): StepReport => {
  switch (result._tag) {
    case "Success":
      return { id: result.id, tool, status: "ok", durationMs: Math.round(result.durationMs), result: result.value.value }
    case "Failure":
      return { id: result.id, tool, status: "error", durationMs: Math.round(result.durationMs), error: errorText(result.error) }
    case "Skipped":
      return { id: result.id, tool, status: "skipped", reason: result.reason }
  }
}

/** The progress message after `report`, with `done` of `total` steps finished. */
export const progressMessage = (report: StepReport, done: number, total: number) => `Step ${report.id} (${report.tool}): ${report.status} — ${done} of ${total} done`

/** The tool's answer: every step's report (stopped ones said so with `stopReason`), counts, and `isError` unless all succeeded. */
export const answerOf = (
  steps: ReadonlyArray<PlannedStep>,
  reports: ReadonlyMap<string, StepReport>,
  started: ReadonlySet<string>,
  stopReason: string
) => {
  const answer = steps.map((step): StepReport =>
    reports.get(step.id) ??
      (started.has(step.id)
        ? { id: step.id, tool: step.tool, status: "error", error: `Stopped: ${stopReason}` }
        : { id: step.id, tool: step.tool, status: "skipped", reason: `Not started: ${stopReason}` })
  )
  const counts = { ok: 0, error: 0, skipped: 0 }
  for (const report of answer) counts[report.status]++
  const structured = { ...counts, steps: answer }
  return { content: [{ type: "text" as const, text: JSON.stringify(structured) }], structuredContent: structured, isError: counts.ok < steps.length }
}
