/**
 * Vectors kept by a string key, at most `capacity`, least recently used first out: the embedder's
 * recent texts (a text asked again costs a map lookup instead of a model run) and the semantic
 * tier's looked-up calls (by digest, taken back to store the call after it ran).
 */
export class RecentVectors {
  private readonly vectors = new Map<string, Float32Array>()
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  /** The vector of `text`, now the most recently used; undefined when it is not kept. */
  get(text: string): Float32Array | undefined {
    const vector = this.vectors.get(text)
    if (vector !== undefined) {
      this.vectors.delete(text)
      this.vectors.set(text, vector)
    }
    return vector
  }

  /** Keeps `vector` for `text`, dropping the least recently used text past the capacity. */
  set(text: string, vector: Float32Array): void {
    if (this.capacity <= 0) return
    this.vectors.delete(text)
    this.vectors.set(text, vector)
    if (this.vectors.size > this.capacity) this.vectors.delete(this.vectors.keys().next().value!)
  }

  /** The vector of `text`, no longer kept; undefined when it is not kept. */
  take(text: string): Float32Array | undefined {
    const vector = this.vectors.get(text)
    this.vectors.delete(text)
    return vector
  }

  clear(): void {
    this.vectors.clear()
  }
}
