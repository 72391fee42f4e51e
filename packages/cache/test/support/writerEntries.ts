/** What the kill -9 writer (sqlite-writer.ts) stores, so the test can tell a whole entry from a torn one. */

/** How many keys the writer cycles through (it overwrites them, so the database stays small). */
export const KEY_COUNT = 32

/** Characters in every value: large enough that one entry spans many SQLite pages. */
export const VALUE_LENGTH = 256 * 1024

/** The key of the writer's `n`th write. */
export const writerKey = (n: number): string => `writer-${n % KEY_COUNT}-é`

/** The only value the writer ever stores under `key`: the key repeated to VALUE_LENGTH characters. */
export const writerValue = (key: string): string => key.repeat(Math.ceil(VALUE_LENGTH / key.length)).slice(0, VALUE_LENGTH)
