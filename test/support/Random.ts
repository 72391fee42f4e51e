/**
 * A small seeded generator (mulberry32): numbers in [0, 1), the same sequence on every run, so a
 * fuzz test's failing case or a benchmark's input can be replayed from its seed.
 */
export const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
