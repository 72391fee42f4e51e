/**
 * A seeded pseudo-random source for the fuzz tests: the same seed gives the same requests, so a
 * failure seen in CI replays locally with `FUZZ_SEED=<seed>`.
 */

/** Seeded generator (sfc32) with the few draws the request generators need. */
export class Random {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    for (let i = 0; i < 15; i++) this.next()
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0
    this.#c = (this.#c + t) >>> 0
    return t / 4294967296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<A>(items: ReadonlyArray<A>): A {
    return items[Math.floor(this.next() * items.length)]!
  }

  /** One of `items`, each drawn in proportion to its weight. */
  weighted<A>(items: ReadonlyArray<readonly [A, number]>): A {
    let r = this.next() * items.reduce((sum, [, w]) => sum + w, 0)
    for (const [item, weight] of items) {
      r -= weight
      if (r < 0) return item
    }
    return items[0]![0]
  }

  /** A printable ASCII string of `length` characters. */
  ascii(length: number): string {
    let out = ""
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.int(32, 126))
    return out
  }

  /** Any UTF-16 code units, lone surrogates and control characters included. */
  unicode(length: number): string {
    let out = ""
    for (let i = 0; i < length; i++) {
      out += String.fromCharCode(this.pick([this.int(0, 31), this.int(32, 126), this.int(0x80, 0x7ff), this.int(0xd800, 0xdfff), this.int(0xe000, 0xffff)]))
    }
    return out
  }
}

/** The seed of this run: `FUZZ_SEED` when set (to replay a failure), else a fresh one. */
export const fuzzSeed = (): number => {
  const given = process.env.FUZZ_SEED
  if (given !== undefined && given !== "") {
    const n = Number(given)
    if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${given}`)
    return n >>> 0
  }
  return Math.floor(Math.random() * 4294967296) >>> 0
}
