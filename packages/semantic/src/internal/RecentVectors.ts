/**
 * The vectors of the texts an embedder embedded last, so a text asked again — the semantic tier
 * embeds a query to look it up, then the same text again to store the call it missed — costs a
 * map lookup instead of a model run. Least recently used first out; at most `capacity` texts.
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

  clear(): void {
    this.vectors.clear()
  }
}
