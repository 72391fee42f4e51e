/**
 * What the executor runs and how it can fail: a `Job` describes one tool (its name, timeout,
 * where its implementation lives), shared by the executor and its pluggable admission and
 * placement services, so none of them imports another for its types.
 */
import { Context, Data } from "effect"

/**
 * An implementation named by module URL, so a worker thread can import it by itself: `export`
 * names the module's export (default `handler`).
 */
export interface ModuleRef {
  readonly url: string | URL
  readonly export?: string
}

/** One kind of run, fixed per tool: built once when the tool is registered, not per call. */
export interface Job {
  /** The tool's name (for errors, logs and metrics). */
  readonly name: string
  /** Longest a run may take; undefined = the executor's default; 0 or Infinity = no limit. */
  readonly timeoutMs?: number | undefined
  /** Where a worker thread finds the implementation (see {@link ModuleRef}). */
  readonly module?: ModuleRef | undefined
  /** A hint for placement: CPU-bound work belongs on a worker thread, not the event loop. */
  readonly cpuBound?: boolean | undefined
}

/**
 * True while the current run was started by another run (a tool calling a tool, e.g. a workflow
 * step): admission never queues such a run, since the runs ahead of it in the queue may be the
 * very ones waiting on it (its caller holds a slot) — it starts when a slot is free, else it is
 * refused with `ServerBusy` at once.
 */
export const NestedRun = Context.Reference<boolean>("@tenfold/executor/NestedRun", { defaultValue: () => false })

/**
 * Admission refused a run: the bounded number running and the bounded queue are both full.
 * Answered as JSON-RPC `ServerBusy` (-32000) with `retryAfterMs`; never retried by the server.
 */
export class ServerBusy extends Data.TaggedError("ServerBusy")<{
  readonly job: string
  /** A hint for the client: try again after this many milliseconds. */
  readonly retryAfterMs: number
}> {
  override get message() {
    return `Server busy: too many tool calls running and queued; retry after ${this.retryAfterMs} ms`
  }
}

/** A run took longer than its timeout and was interrupted. */
export class ToolTimeout extends Data.TaggedError("ToolTimeout")<{
  readonly job: string
  readonly timeoutMs: number
}> {
  override get message() {
    return `Tool ${this.job} timed out after ${this.timeoutMs} ms`
  }
}

/** Imports a module's export (what the in-process default does on a tool's first call). */
export const importModule = async (ref: ModuleRef): Promise<unknown> => {
  const module = (await import(typeof ref.url === "string" ? ref.url : ref.url.href)) as Record<string, unknown>
  const name = ref.export ?? "handler"
  if (!(name in module)) throw new Error(`Module ${String(ref.url)} has no export named ${name}`)
  return module[name]
}
