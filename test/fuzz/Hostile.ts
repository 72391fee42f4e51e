/**
 * JSON text an attacker would send, written as raw text so that what `JSON.stringify` cannot
 * produce (1e309, -0, duplicate keys, `__proto__` keys) is sent too.
 */
import type { Random } from "./Random.ts"

/** JSON text of an object from raw-text values (keys may repeat). */
export const obj = (entries: ReadonlyArray<readonly [string, string]>): string =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`

export const lit = (value: unknown): string => JSON.stringify(value)

/** Objects whose conversion to a string or number throws, or that poke at prototypes. */
export const TRAPS: ReadonlyArray<string> = [
  `{"toString":1}`,
  `{"valueOf":1}`,
  `{"toString":1,"valueOf":1}`,
  `{"toString":{},"valueOf":{}}`,
  `[{"toString":1}]`,
  `{"__proto__":{"toString":1}}`,
  `{"__proto__":null}`,
  `{"constructor":{"prototype":{"toString":1}}}`,
  `{"toJSON":1}`,
  `{"then":1}`,
  `{"length":1e309}`,
  `{"length":-1,"0":1}`,
  `{"hasOwnProperty":1,"isPrototypeOf":1}`,
  `{"a":1,"a":{"toString":1}}`
]

/** Numbers at the edges of what JSON parsers and integer checks agree on. */
export const NUMBERS: ReadonlyArray<string> = [
  "0", "-0", "1", "-1", "1.5", "1.0", "1e309", "-1e309", "1E400", "1e-400", "9007199254740993",
  "1e20", "123456789012345678901234567890", "0.0000001", "-9223372036854775808", "2e0"
]

/** Strings that look like something else. */
export const STRINGS: ReadonlyArray<string> = [
  `""`, `"x"`, `"NaN"`, `"Infinity"`, `"-0"`, `"1e309"`, `"__proto__"`, `"constructor"`, `"toString"`,
  `"\\u0000"`, `"\\ud800"`, `"\\udfff\\ud800"`, `"%s%n"`, `"../../etc/passwd"`, `"\\r\\nX-Injected: 1"`, `"2.0"`, `"null"`
]

export const SCALARS: ReadonlyArray<string> = ["null", "true", "false", "[]", "{}", "[1,2,3]", "[null]"]

/** Nesting `depth` deep, of arrays or objects. */
export const deep = (depth: number, kind: "array" | "object"): string =>
  kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : `{"a":`.repeat(depth) + "1" + "}".repeat(depth)

/** Any hostile value (small). */
export const hostile = (rng: Random): string => {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.pick(TRAPS)
    case 1:
      return rng.pick(NUMBERS)
    case 2:
      return rng.pick(STRINGS)
    case 3:
      return rng.pick(SCALARS)
    case 4:
      return lit(rng.unicode(rng.int(0, 40)))
    default:
      return deep(rng.int(2, 60), rng.pick(["array", "object"] as const))
  }
}

/** A hostile value that is not a JSON string. */
export const hostileNonString = (rng: Random): string => {
  for (;;) {
    const v = hostile(rng)
    if (!v.startsWith(`"`)) return v
  }
}

/** A hostile value that is not a JSON object (arrays, scalars, strings). */
export const hostileNonObject = (rng: Random): string => {
  for (;;) {
    const v = hostile(rng)
    if (!v.startsWith("{")) return v
  }
}

/** Some words of text. */
export const words = (rng: Random, n: number): string =>
  Array.from({ length: n }, () => rng.pick(["alpha", "beta", "gamma", "delta", "the", "Ünïcødé", "数据", "🙂", "end."])).join(" ")
