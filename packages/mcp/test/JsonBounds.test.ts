import { assert, describe, it } from "@effect/vitest"
import { exceedsDepth, exceedsSize } from "../src/internal/JsonBounds.ts"

const depthOver = (text: string, max: number) => exceedsDepth(Buffer.from(text), max)

describe("JsonBounds", () => {
  describe("exceedsDepth", () => {
    it("counts arrays and objects open at once, not how many there are", () => {
      assert.isFalse(depthOver(`{"a":[1,{"b":[]}],"c":[[],[],[]]}`, 4))
      assert.isTrue(depthOver(`{"a":[1,{"b":[[]]}]}`, 4))
      assert.isFalse(depthOver(`${"[]".repeat(10_000)}`, 1))
      assert.isTrue(depthOver(`${"[".repeat(2_000_000)}`, 512))
    })

    it("answers at the bound exactly, also for messages no longer than it", () => {
      assert.isFalse(depthOver("[".repeat(8), 8))
      assert.isTrue(depthOver("[".repeat(9), 8))
      assert.isFalse(depthOver(`${"[".repeat(8)}${"]".repeat(8)}`, 8))
    })

    it("ignores brackets inside strings, escaped quotes and backslashes included", () => {
      assert.isFalse(depthOver(`{"a":"[[[[{{{{"}`, 1))
      assert.isFalse(depthOver(`{"a":"\\"[[[["}`, 1))
      assert.isFalse(depthOver(`{"a":"\\\\","b":"[[[["}`, 1))
      assert.isTrue(depthOver(`{"a":"\\\\",  "b":[[1]]}`, 2))
      assert.isFalse(depthOver(`{"a":"é[ü{🙂"}`, 1))
    })

    it("reads an unterminated string as running to the end", () => {
      assert.isFalse(depthOver(`{"a":"[[[[`, 1))
    })
  })

  describe("exceedsSize", () => {
    it("measures about the length of the JSON text, stopping once past the bound", () => {
      const value = { roots: { listChanged: true }, sampling: {}, list: ["abc", 1, null] }
      const size = JSON.stringify(value).length
      assert.isFalse(exceedsSize(value, size * 2))
      assert.isTrue(exceedsSize(value, size / 2))
      assert.isTrue(exceedsSize({ x: "c".repeat(2000) }, 1000))
      assert.isTrue(exceedsSize(new Array(1_000_000).fill(0), 1000))
    })

    it("walks values nested far deeper than the stack allows, without recursion", () => {
      let deep: unknown = 1
      for (let i = 0; i < 200_000; i++) deep = [deep]
      assert.isTrue(exceedsSize(deep, 100_000))
      assert.isFalse(exceedsSize(deep, 10_000_000))
    })
  })
})
