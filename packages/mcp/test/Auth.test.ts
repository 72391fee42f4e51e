import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuthConfigError, parseInline, principalOf, readTokensFile } from "../src/Auth.ts"
import { tempFile } from "../../../test/support/TempFile.ts"

const tokensFile = (text: string) => tempFile("tokens.txt", text)

describe("Auth", () => {
  describe("parseInline", () => {
    it.effect("parses token=principal pairs", () =>
      Effect.gen(function*() {
        const tokens = yield* parseInline("t1=alice,t2=bob")
        assert.deepStrictEqual([...tokens], [["t1", "alice"], ["t2", "bob"]])
      }))

    it.effect("skips empty entries and trims spaces", () =>
      Effect.gen(function*() {
        const tokens = yield* parseInline(" t1=alice , ,t2=bob,")
        assert.deepStrictEqual([...tokens], [["t1", "alice"], ["t2", "bob"]])
        assert.strictEqual((yield* parseInline("")).size, 0)
      }))

    it.effect("fails naming TENFOLD_TOKENS and the entry for a pair without a principal", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(parseInline("t1=alice,lonely"))
        assert.instanceOf(error, AuthConfigError)
        assert.include(error.message, "TENFOLD_TOKENS:2")
      }))
  })

  describe("readTokensFile", () => {
    it.effect("reads token principal lines, skipping blanks and comments", () =>
      Effect.gen(function*() {
        const file = yield* tokensFile("# tokens\n\nabc alice\r\n  def   bob  \n")
        const tokens = yield* readTokensFile(file)
        assert.deepStrictEqual([...tokens], [["abc", "alice"], ["def", "bob"]])
      }))

    it.effect("fails naming the file and line of a malformed line", () =>
      Effect.gen(function*() {
        const file = yield* tokensFile("abc alice\n# ok\nabc alice extra\n")
        const error = yield* Effect.flip(readTokensFile(file))
        assert.instanceOf(error, AuthConfigError)
        assert.include(error.message, `${file}:3`)
      }))

    it.effect("fails with AuthConfigError when the file cannot be read", () =>
      Effect.gen(function*() {
        const missing = join(tmpdir(), "tenfold-auth-does-not-exist", "tokens.txt")
        const error = yield* Effect.flip(readTokensFile(missing))
        assert.instanceOf(error, AuthConfigError)
        assert.include(error.message, missing)
      }))
  })

  describe("principalOf", () => {
    const tokens = new Map([["secret-1", "alice"]])

    it("maps a known bearer token to its principal", () => {
      assert.strictEqual(principalOf(tokens, "Bearer secret-1"), "alice")
      assert.strictEqual(principalOf(tokens, "Bearer secret-1  "), "alice")
      assert.strictEqual(principalOf(tokens, "bearer secret-1"), "alice") // the scheme is case-insensitive
    })

    it("answers undefined for a missing header, another scheme or an unknown token", () => {
      assert.isUndefined(principalOf(tokens, undefined))
      assert.isUndefined(principalOf(tokens, "Basic secret-1"))
      assert.isUndefined(principalOf(tokens, "secret-1"))
      assert.isUndefined(principalOf(tokens, "Bearer unknown"))
      assert.isUndefined(principalOf(tokens, "Bearer "))
      assert.isUndefined(principalOf(new Map(), "Bearer secret-1"))
    })
  })
})
