import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { InvalidWorkflow, ParallelExecutor, type Task } from "../src/index.ts"
import { random } from "../../../test/support/Random.ts"

interface Shape {
  readonly size: number
  /** dependencies[i]: indexes below i (a DAG by construction). */
  readonly dependencies: ReadonlyArray<ReadonlyArray<number>>
  readonly durations: ReadonlyArray<number>
  readonly failing: ReadonlySet<number>
}

const shapeOf = (seed: number): Shape => {
  const next = random(seed)
  const size = 1 + Math.floor(next() * 60)
  const dependencies = Array.from({ length: size }, (_, i) => {
    const own = new Set<number>()
    const count = i === 0 ? 0 : Math.floor(next() * Math.min(i, 4))
    for (let k = 0; k < count; k++) own.add(Math.floor(next() * i))
    return [...own]
  })
  const durations = Array.from({ length: size }, () => Math.floor(next() * 50))
  const failing = new Set(Array.from({ length: size }, (_, i) => i).filter(() => next() < 0.08))
  return { size, dependencies, durations, failing }
}

/** Task ids shuffled away from index order, so the executor cannot lean on the order given. */
const idOf = (i: number) => `t${(i * 7919) % 100_003}`

describe("ParallelExecutor on random DAGs", () => {
  it.effect("every task ends once, after all its dependencies succeeded; failures skip exactly their descendants", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      for (let seed = 1; seed <= 150; seed++) {
        const shape = shapeOf(seed)
        const started = new Map<number, number>()
        const ended = new Map<number, number>()
        const tasks: Array<Task<number, string>> = shape.dependencies.map((dependencies, i) => ({
          id: idOf(i),
          dependencies: dependencies.map(idOf),
          priority: i % 3,
          run: (inputs) =>
            Effect.gen(function*() {
              started.set(i, yield* Clock.currentTimeMillis)
              // every input is the value of a dependency, which has already ended
              for (const j of dependencies) assert.strictEqual(inputs[idOf(j)], j)
              yield* Effect.sleep(shape.durations[i]!)
              ended.set(i, yield* Clock.currentTimeMillis)
              if (shape.failing.has(i)) return yield* Effect.fail(`task ${i} fails`)
              return i
            })
        }))
        const base = yield* Clock.currentTimeMillis
        const order = [...tasks].reverse() // dependants before dependencies in the list
        const fiber = yield* Effect.forkChild(parallel.run(order, { concurrency: seed % 2 === 0 ? undefined : 1 + (seed % 5) }))
        yield* TestClock.adjust(100_000)
        const results = yield* Fiber.join(fiber)
        assert.strictEqual(results.length, shape.size, `seed ${seed}`)
        assert.strictEqual(new Set(results.map((r) => r.id)).size, shape.size, `seed ${seed}`)
        // which tasks must be skipped: descendants of a failing task
        const skipped = new Set<number>()
        for (let i = 0; i < shape.size; i++) {
          if (shape.dependencies[i]!.some((j) => shape.failing.has(j) || skipped.has(j))) skipped.add(i)
        }
        for (const result of results) {
          const i = tasks.findIndex((t) => t.id === result.id)
          if (skipped.has(i)) {
            assert.strictEqual(result._tag, "Skipped", `seed ${seed} task ${i}`)
            assert.isFalse(started.has(i))
            continue
          }
          assert.strictEqual(result._tag, shape.failing.has(i) ? "Failure" : "Success", `seed ${seed} task ${i}`)
          for (const j of shape.dependencies[i]!) assert.isAtLeast(started.get(i)!, ended.get(j)!, `seed ${seed}: ${i} started before ${j} ended`)
          // with no concurrency bound a task starts the moment its last dependency ends
          if (seed % 2 === 0) {
            const ready = Math.max(base, ...shape.dependencies[i]!.map((j) => ended.get(j)!))
            assert.strictEqual(started.get(i), ready, `seed ${seed}: ${i} waited`)
          }
        }
      }
    }).pipe(Effect.provide(ParallelExecutor.layer)))

  it.effect("random DAGs with a back edge are rejected as cycles; random garbage is rejected, never thrown", () =>
    Effect.gen(function*() {
      const parallel = yield* ParallelExecutor
      for (let seed = 1; seed <= 150; seed++) {
        const next = random(seed)
        const shape = shapeOf(seed)
        if (shape.size < 2) continue
        // a back edge from an ancestor to a descendant closes a loop
        const child = 1 + Math.floor(next() * (shape.size - 1))
        const chain = [child]
        while (shape.dependencies[chain.at(-1)!]!.length > 0) chain.push(shape.dependencies[chain.at(-1)!]![0]!)
        const ancestor = chain.at(-1)!
        const tasks: Array<Task> = shape.dependencies.map((dependencies, i) => ({
          id: idOf(i),
          dependencies: [...dependencies, ...(i === ancestor ? [child] : [])].map(idOf),
          run: () => Effect.void
        }))
        const error = yield* Effect.flip(parallel.run(tasks))
        assert.instanceOf(error, InvalidWorkflow)
        assert.strictEqual(error._tag === "InvalidWorkflow" ? error.reason : undefined, "cycle", `seed ${seed}`)
        const garbage = [null, 1, "x", { id: 5 }, { id: "a", dependencies: [1] }, { id: "a", run: 1, module: 2 }, { id: "" }]
        const bad = [garbage[seed % garbage.length], ...tasks.slice(0, seed % 3)] as unknown as Array<Task>
        const rejected = yield* Effect.flip(parallel.run(bad))
        assert.instanceOf(rejected, InvalidWorkflow)
      }
    }).pipe(Effect.provide(ParallelExecutor.layer)))
})
