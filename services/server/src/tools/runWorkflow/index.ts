/**
 * `run_workflow`: runs a DAG of calls to the server's registered tools in one request. Each step
 * starts as soon as the steps it depends on have finished; a step's arguments can use earlier
 * results (`"${steps.<id>.<path>}"`, see `Reference.ts`); progress is reported as steps finish.
 * Every step is a call through `ToolCaller` — the client's own path (validation, cache, executor
 * admission and timeout) as the calling principal — scheduled by the `ParallelExecutor`. The tool
 * needs those services, so a layer registers it once the runtime is built; its implementation is
 * imported on the first call.
 */
import { Tool, ToolCaller, ToolRegistry } from "@tenfold/mcp"
import { ParallelExecutor } from "@tenfold/scheduler"
import { Effect, Layer, Schema } from "effect"

/** Most steps in one workflow. */
export const MAX_STEPS = 100
/** Longest a workflow may run (`timeoutMs`'s ceiling and its default). */
export const MAX_WORKFLOW_TIMEOUT_MS = 600_000
/** Longest one step may be given (`steps[].timeoutMs`'s ceiling). */
const MAX_STEP_TIMEOUT_MS = MAX_WORKFLOW_TIMEOUT_MS

const STEP_ID = "^[A-Za-z0-9_-]{1,64}$"
const StepId = Schema.String.check(
  Schema.isPattern(new RegExp(STEP_ID), { message: "a step id is 1-64 letters, digits, _ or -", toJsonSchema: () => ({ pattern: STEP_ID }) })
)

const Step = Schema.Struct({
  id: StepId.annotate({ description: "The step's id (1-64 letters, digits, _ or -), unique in the workflow" }),
  tool: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256)).annotate({ description: "The name of the tool to call" }),
  arguments: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.Unknown).annotate({
      description:
        "The tool's arguments. A string value that is exactly \"${steps.<id>}\" is replaced by that step's result (its structured content, else its text); \"${steps.<id>.field[0].name}\" by a part of it. Referencing a step makes this step wait for it."
    })
  ),
  dependsOn: Schema.optionalKey(
    Schema.Array(StepId).check(Schema.isMaxLength(MAX_STEPS)).annotate({ description: "Ids of steps that must finish first (needed only for order without data)" })
  ),
  timeoutMs: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_STEP_TIMEOUT_MS })).annotate({ description: "Longest this step may run, in milliseconds" })
  )
})

const RunWorkflowInput = Schema.Struct({
  steps: Schema.Array(Step).check(Schema.isMinLength(1), Schema.isMaxLength(MAX_STEPS)).annotate({
    description: `The steps (1-${MAX_STEPS}); they run in parallel except where one depends on another`
  }),
  failFast: Schema.optionalKey(Schema.Boolean.annotate({
    description: "Stop the whole workflow at the first failed step (default false: only the steps that depend on it are skipped)"
  })),
  timeoutMs: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_WORKFLOW_TIMEOUT_MS })).annotate({
      description: `Longest the whole workflow may run, in milliseconds (default and most ${MAX_WORKFLOW_TIMEOUT_MS}); steps still running then are stopped and reported`
    })
  )
})
/** The arguments of one `run_workflow` call, decoded. */
export type RunWorkflowInput = typeof RunWorkflowInput.Type

/** What a workflow's steps are run with. */
export interface RunWorkflowServices {
  readonly caller: ToolCaller["Service"]
  readonly registry: ToolRegistry["Service"]
  readonly executor: ParallelExecutor["Service"]
}

/** The `run_workflow` tool over `services`. */
export const runWorkflowTool = (services: RunWorkflowServices) =>
  Tool.make({
    name: "run_workflow",
    title: "Run a workflow of tool calls",
    description:
      "Runs several calls to this server's tools in one request, in parallel where they do not depend on each other. Each step names a tool and its arguments; a string argument that is exactly \"${steps.<id>}\" or \"${steps.<id>.<path>}\" (e.g. \"${steps.page.topTerms[0].term}\") is replaced by that earlier step's result (structured content, else text), and the step waits for it. Answers each step's status (ok, error or skipped with the reason), result and duration; reports progress as steps finish. A failed step skips only the steps that depend on it unless failFast is set.",
    input: RunWorkflowInput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    // the workflow's own timeoutMs stops it and reports what finished; this only backs it up
    timeoutMs: MAX_WORKFLOW_TIMEOUT_MS + 10_000,
    // a client that supports tasks may run a long workflow as one and poll it; progress becomes its statusMessage
    taskSupport: "optional",
    load: () => import("./RunWorkflow.ts").then((m) => m.handler(services))
  })

/** Registers `run_workflow` in the runtime's tool registry, over its dispatcher (a `ToolCaller`) and a `ParallelExecutor`. */
export const runWorkflowLayer = Layer.effectDiscard(Effect.gen(function*() {
  const registry = yield* ToolRegistry
  const caller = yield* ToolCaller
  const executor = yield* ParallelExecutor
  yield* registry.register(runWorkflowTool({ caller, registry, executor }))
})).pipe(Layer.provide(Layer.merge(ToolCaller.layer, ParallelExecutor.layer)))
