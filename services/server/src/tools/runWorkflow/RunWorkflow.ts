/**
 * The `run_workflow` tool's implementation: the checked plan becomes one `ParallelExecutor` task
 * per step (io: a step is a tool call through `ToolCaller`, placed by the `ToolExecutor` like any
 * other), each step's arguments resolved from the results it depends on when it starts, and each
 * result recorded and reported as progress in the order steps finish.
 */
import { JsonRpc, type Tool } from "@tenfold/mcp"
import { type Task, type TaskEvent, validate } from "@tenfold/scheduler"
import { Effect, Option, Stream } from "effect"
import { MAX_WORKFLOW_TIMEOUT_MS, type RunWorkflowInput, type RunWorkflowServices } from "./index.ts"
import * as Plan from "./Plan.ts"
import * as Report from "./Report.ts"
import { budget, StepFailed, type StepValue } from "./StepResult.ts"

/** Most steps of one workflow running at once. */
export const MAX_STEPS_AT_ONCE = 16

/** Runs `run_workflow` calls with `services`. */
export const handler = (services: RunWorkflowServices) => (input: RunWorkflowInput, context: Tool.ToolContext) =>
  Effect.gen(function*() {
    const steps = Plan.plan(input.steps, (name) => services.registry.catalog.get(name) !== undefined)
    if (steps instanceof Plan.InvalidPlan) return yield* JsonRpc.invalidParams(`run_workflow: ${steps.message}`)
    const results = budget()
    const started = new Set<string>()

    const runStep = (step: Plan.PlannedStep) => (inputs: Readonly<Record<string, unknown>>): Effect.Effect<StepValue, StepFailed> =>
      Effect.suspend(() => {
        started.add(step.id)
        const args = Plan.resolveArguments(step, (id) => (inputs[id] as StepValue | undefined)?.value)
        if (args instanceof Plan.UnresolvedReference) return Effect.fail(new StepFailed({ message: args.message }))
        return services.caller.call(context, step.tool, args).pipe(
          Effect.mapError((error) => new StepFailed({ message: error.message })),
          Effect.flatMap(results.accept)
        )
      })

    const tasks: ReadonlyArray<Task<StepValue, StepFailed>> = steps.map((step) => ({
      id: step.id,
      dependencies: step.dependsOn,
      type: "io",
      timeoutMs: step.timeoutMs,
      run: runStep(step)
    }))
    // cycles: refused before anything runs, in the executor's words
    yield* validate(tasks).pipe(Effect.mapError((invalid) => JsonRpc.invalidParams(`run_workflow: ${invalid.detail}`)))

    const toolOf = new Map(steps.map((step) => [step.id, step.tool]))
    const reports = new Map<string, Report.StepReport>()
    let firstFailed: string | undefined
    const record = (event: TaskEvent<StepValue, StepFailed>): Effect.Effect<void> => {
      if (event._tag === "Item") return Effect.void
      const report = Report.reportOf(event, toolOf.get(event.id)!)
      if (report.status === "error") firstFailed ??= report.id
      reports.set(report.id, report)
      return context.progress(reports.size, steps.length, Report.progressMessage(report, reports.size, steps.length))
    }

    yield* context.progress(0, steps.length, `Workflow of ${steps.length} steps started`)
    const timeoutMs = input.timeoutMs ?? MAX_WORKFLOW_TIMEOUT_MS
    const finished = yield* services.executor.stream(tasks, { concurrency: MAX_STEPS_AT_ONCE }).pipe(
      Stream.tap(record),
      Stream.takeUntil((event) => input.failFast === true && event._tag === "Failure"),
      Stream.runDrain,
      Effect.mapError((error) => JsonRpc.invalidParams(`run_workflow: ${error.message}`)),
      Effect.timeoutOption(timeoutMs)
    )
    const stopReason = Option.isNone(finished) ? `the workflow timed out after ${timeoutMs} ms` : `step ${firstFailed} failed and failFast is set`
    return Report.answerOf(steps, reports, started, stopReason)
  })
