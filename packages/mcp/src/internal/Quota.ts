/**
 * A bound on something clients hold (sessions, listen streams, connections): at most `max` in
 * total and `maxPerKey` per key (a principal, or a client address when there is none).
 */
export class Quota {
  readonly max: number
  readonly maxPerKey: number
  #total = 0
  readonly #byKey = new Map<string, number>()

  constructor(max: number, maxPerKey: number) {
    this.max = max
    this.maxPerKey = maxPerKey
  }

  get total(): number {
    return this.#total
  }

  /** Takes one slot for `key`; when a bound is reached, names it and takes nothing. */
  take(key: string): "total" | "perKey" | undefined {
    if (this.#total >= this.max) return "total"
    const held = this.#byKey.get(key) ?? 0
    if (held >= this.maxPerKey) return "perKey"
    this.#byKey.set(key, held + 1)
    this.#total++
    return undefined
  }

  /** Gives back a slot taken for `key`. */
  release(key: string): void {
    const held = this.#byKey.get(key)
    if (held === undefined) return
    if (held <= 1) this.#byKey.delete(key)
    else this.#byKey.set(key, held - 1)
    this.#total--
  }
}
