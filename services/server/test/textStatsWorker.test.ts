import { assert, describe, it } from "@effect/vitest"
import { Placement } from "@tenfold/executor"
import { Config, Tenfold } from "@tenfold/runtime"
import { Effect } from "effect"
import { textStats } from "../src/tools/index.ts"

const job = { name: textStats.name, cpuBound: textStats.cpuBound, module: textStats.module }

describe("text_stats on the worker pool", () => {
  it.live("the runtime's placement runs it on a worker thread from its declared module", () =>
    Effect.gen(function*() {
      const placement = yield* Placement
      const result = yield* placement.place(job, { text: "One fish. Two fish!", top: 1 }, Effect.die("ran in-process"))
      assert.deepStrictEqual(result, {
        characters: 19,
        words: 4,
        sentences: 2,
        uniqueWords: 3,
        averageWordLength: 3.5,
        readingTimeSeconds: 2,
        topTerms: [{ term: "fish", count: 2 }]
      })
    }).pipe(Effect.provide(Tenfold.placementLayer(Config.resolve({ workers: 1 })))))

  it.live("with workers 0 it runs in-process", () =>
    Effect.gen(function*() {
      const placement = yield* Placement
      assert.strictEqual(yield* placement.place(job, { text: "x" }, Effect.succeed("in-process")), "in-process")
    }).pipe(Effect.provide(Tenfold.placementLayer(Config.resolve({ workers: 0 })))))
})
