/**
 * The program every pool worker thread runs. Its source is a string evaluated by
 * `new Worker(source, { eval: true })`, so no worker file has to sit beside the caller's
 * `import.meta.url` (the server is bundled into one file); the task's module is imported by its
 * URL. One task at a time: `{ url, export, args }` in, `{ ok, value }` or `{ ok: false, message }`
 * out. An export that returns an Effect is run with the `effect` package found beside its module.
 * Unless started with `workerData.normalPriority`, the thread lowers its own scheduling priority
 * (Linux: nice is per thread), so when the cores are contended the event loop's thread runs first.
 */

/** A task as posted to a worker. */
export interface WorkerRequest {
  readonly url: string
  readonly export: string
  readonly args: unknown
}

/** A worker's answer to one task. */
export type WorkerReply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

/** The worker's program (CommonJS, as `eval` workers are). */
export const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const { createRequire } = require("node:module")
const { pathToFileURL } = require("node:url")
try {
  if (workerData?.normalPriority !== true) require("node:os").setPriority(0, require("node:os").constants.priority.PRIORITY_BELOW_NORMAL)
} catch {
  // not permitted here: the thread keeps the process's priority
}
const modules = new Map()
const runtimes = new Map()
const messageOf = (error) => {
  const message = error !== null && typeof error === "object" && typeof error.message === "string" ? error.message : String(error)
  return message.slice(0, 4000)
}
const exportOf = async (url, name) => {
  let loading = modules.get(url)
  if (loading === undefined) {
    loading = import(url)
    modules.set(url, loading)
    loading.catch(() => modules.delete(url))
  }
  const module = await loading
  if (!(name in module)) throw new Error("Module " + url + " has no export named " + name)
  if (typeof module[name] !== "function") throw new Error("Export " + name + " of " + url + " is not a function")
  return module[name]
}
const isEffect = (value) => value !== null && typeof value === "object" && "~effect/Effect" in value
const runEffect = async (url, effect) => {
  let loading = runtimes.get(url)
  if (loading === undefined) {
    loading = import(pathToFileURL(createRequire(url).resolve("effect")).href)
    runtimes.set(url, loading)
  }
  const { Effect, Exit, Cause } = await loading
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}
parentPort.on("message", async (task) => {
  let value
  try {
    const run = await exportOf(task.url, task.export)
    value = run(task.args)
    value = isEffect(value) ? await runEffect(task.url, value) : await value
  } catch (error) {
    parentPort.postMessage({ ok: false, message: messageOf(error) })
    return
  }
  try {
    parentPort.postMessage({ ok: true, value })
  } catch (error) {
    parentPort.postMessage({ ok: false, message: "The result cannot be sent back from the worker thread: " + messageOf(error) })
  }
})
`
