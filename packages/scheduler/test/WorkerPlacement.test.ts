import { assert, describe, it } from "@effect/vitest"
import { Admission, ToolExecutor, ToolTimeout } from "@tenfold/executor"
import { Effect, Layer } from "effect"
import { threadId } from "node:worker_threads"
import { WorkerPlacement, WorkerPool, WorkerTaskFailed } from "../src/index.ts"

const url = new URL("./fixtures/tasks.ts", import.meta.url).href

const executor = ToolExecutor.layer({ defaultTimeoutMs: 0 }).pipe(
  Layer.provideMerge(Layer.merge(Admission.layerUnbounded, WorkerPlacement.layerPool({ size: 1 })))
)

describe("WorkerPlacement", () => {
  it.live("cpuBound jobs with a module run on the pool with their arguments; the others in-process", () =>
    Effect.gen(function*() {
      const tools = yield* ToolExecutor
      const onWorker = (yield* tools.run({ name: "square", cpuBound: true, module: { url, export: "square" } }, 9, Effect.die("in-process"))) as {
        value: number
        threadId: number
      }
      assert.strictEqual(onWorker.value, 81)
      assert.notStrictEqual(onWorker.threadId, threadId)
      // a module without cpuBound, or cpuBound without a module, stays on this thread
      assert.strictEqual(yield* tools.run({ name: "a", module: { url, export: "square" } }, 9, Effect.succeed("here")), "here")
      assert.strictEqual(yield* tools.run({ name: "b", cpuBound: true }, 9, Effect.succeed("here")), "here")
      const failed = yield* Effect.flip(tools.run({ name: "broken", cpuBound: true, module: { url, export: "fail" } }, "bad input", Effect.void))
      assert.instanceOf(failed, WorkerTaskFailed)
      assert.strictEqual((failed as Error).message, "bad input")
    }).pipe(Effect.provide(executor)))

  it.live("the executor's timeout stops the worker running the job; the next job runs on a fresh thread", () =>
    Effect.gen(function*() {
      const tools = yield* ToolExecutor
      const pool = yield* WorkerPool
      const timedOut = yield* Effect.flip(tools.run({ name: "spin", cpuBound: true, timeoutMs: 300, module: { url, export: "spin" } }, 60_000, Effect.void))
      assert.instanceOf(timedOut, ToolTimeout)
      assert.strictEqual((timedOut as ToolTimeout).message, "Tool spin timed out after 300 ms")
      const next = (yield* tools.run({ name: "square", cpuBound: true, module: { url, export: "square" } }, 3, Effect.void)) as unknown as { value: number }
      assert.strictEqual(next.value, 9)
      assert.deepInclude(pool.stats()[0], { busy: false, queued: 0, crashes: 0 })
    }).pipe(Effect.provide(executor)))
})
