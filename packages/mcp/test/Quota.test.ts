import { assert, describe, it } from "@effect/vitest"
import { Quota } from "../src/internal/Quota.ts"

describe("Quota", () => {
  it("bounds each key and the total, and names the bound that refused", () => {
    const quota = new Quota(3, 2)
    assert.isUndefined(quota.take("a"))
    assert.isUndefined(quota.take("a"))
    assert.strictEqual(quota.take("a"), "perKey")
    assert.isUndefined(quota.take("b"))
    assert.strictEqual(quota.take("c"), "total")
    assert.strictEqual(quota.total, 3)
  })

  it("gives slots back, and ignores keys that hold none", () => {
    const quota = new Quota(2, 1)
    quota.take("a")
    quota.release("a")
    quota.release("a")
    quota.release("never")
    assert.strictEqual(quota.total, 0)
    assert.isUndefined(quota.take("a"))
    assert.isUndefined(quota.take("b"))
  })
})
