/**
 * A fixed-capacity ring of the most recent items: the dashboard's short history, so memory stays
 * bounded however long the process runs.
 */

/** The last `capacity` items pushed, oldest first. */
export class Ring<A> {
  readonly capacity: number
  private readonly items: Array<A>
  private next = 0
  private filled = false

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Ring capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
    this.items = new Array<A>(capacity)
  }

  get size(): number {
    return this.filled ? this.capacity : this.next
  }

  push(item: A): void {
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
    if (this.next === 0) this.filled = true
  }

  /** The items, oldest first. */
  toArray(): Array<A> {
    return this.filled ? [...this.items.slice(this.next), ...this.items.slice(0, this.next)] : this.items.slice(0, this.next)
  }
}
