/**
 * One pool of weighted permits with a bounded FIFO wait queue: the semaphore under each of the
 * CPU, memory and network pools. A request takes its permits at once when nobody waits and they
 * are free; else it waits in arrival order (a large request is never overtaken, so it cannot
 * starve); when `maxQueued` already wait it is refused with `PoolFull` at once. Cheaper than
 * Effect's `Semaphore` on the uncontended path (no fiber lookup, no scheduled wake-up) and, unlike
 * it, bounded and strictly FIFO.
 */
import { Data, Effect } from "effect"
import { NestedRun } from "./Job.ts"

/** A pool's wait queue is full: the request was not queued. */
export class PoolFull extends Data.TaggedError("PoolFull")<{
  readonly pool: string
  /** When to try again: the configured hint, or one recent hold time when holds are longer. */
  readonly retryAfterMs: number
}> {
  override get message() {
    return `Pool ${this.pool} is full and its wait queue too; retry after ${this.retryAfterMs} ms`
  }
}

export interface WeightedPoolOptions {
  readonly name: string
  /** Permits in the pool. */
  readonly capacity: number
  /** Requests that may wait (default 256); past it, `PoolFull`. */
  readonly maxQueued?: number
  /** The least retry hint of a refusal (default 1000 ms); longer when holds are longer. */
  readonly retryAfterMs?: number
}

interface Waiter {
  readonly permits: number
  /** Called once with the permits handed over (fewer than asked if the pool shrank meanwhile). */
  readonly resume: (handed: number) => void
}

/** Weight of the newest hold time in the pool's mean hold time. */
const HOLD_WEIGHT = 0.1

export class WeightedPool {
  readonly name: string
  readonly maxQueued: number
  private capacityNow: number
  private held = 0
  private readonly waiting = new Set<Waiter>()
  private readonly minRetryAfterMs: number
  private meanHoldMs = 0
  private holds = 0

  constructor(options: WeightedPoolOptions) {
    this.name = options.name
    this.capacityNow = Math.max(0, options.capacity)
    this.maxQueued = Math.max(0, options.maxQueued ?? 256)
    this.minRetryAfterMs = options.retryAfterMs ?? 1000
  }

  /** Permits in use, the pool's size, and requests waiting. */
  load(): { readonly active: number; readonly capacity: number; readonly queued: number } {
    return { active: this.held, capacity: this.capacityNow, queued: this.waiting.size }
  }

  /** Permits not held. */
  free(): number {
    return Math.max(0, this.capacityNow - this.held)
  }

  capacity(): number {
    return this.capacityNow
  }

  /**
   * The retry hint of a refusal: the configured least hint, or about one recent hold time when
   * that is longer (at most 60 s). A hint shorter than the configured one brings a herd of
   * refused clients back before anything has freed up (measured: 10 times the refusals).
   */
  retryAfterMs(): number {
    return Math.round(Math.min(60_000, Math.max(this.minRetryAfterMs, this.meanHoldMs)))
  }

  /** Records how long a holder kept its permits (for the retry hint). */
  recordHold(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return
    this.meanHoldMs = this.holds++ === 0 ? ms : this.meanHoldMs + HOLD_WEIGHT * (ms - this.meanHoldMs)
  }

  /** A request larger than the pool asks for the whole pool (it then runs alone), never for more. */
  fit(permits: number): number {
    if (Number.isNaN(permits)) return 0
    return Math.min(Math.max(0, permits), this.capacityNow)
  }

  /** Takes `permits` if nobody waits and they are free; false otherwise. */
  tryTake(permits: number): boolean {
    const n = this.fit(permits)
    if (this.waiting.size > 0 || this.held + n > this.capacityNow) return false
    this.held += n
    return true
  }

  /**
   * Takes `permits`, waiting in FIFO order if needed; `PoolFull` when the queue is full, or when
   * the caller is a nested run (`NestedRun`), which never waits.
   * Interrupted while waiting, it leaves the queue (or gives back permits just handed to it).
   * Returns the permits taken (a request larger than the pool takes the whole pool).
   *
   * With `into`, the permits are handed to `into` the moment they are taken, and from then on
   * are the caller's to give back, also when it is interrupted before it sees them: the hand-over
   * cannot be lost between the wake-up and the caller's next step.
   */
  take(permits: number, into?: (taken: number) => void): Effect.Effect<number, PoolFull> {
    return Effect.suspend(() => {
      const n = this.fit(permits)
      if (this.tryTake(n)) {
        into?.(n)
        return Effect.succeed(n)
      }
      if (this.waiting.size >= this.maxQueued) return Effect.fail(new PoolFull({ pool: this.name, retryAfterMs: this.retryAfterMs() }))
      // a nested run queued here could wait forever behind the runs that wait on it (see NestedRun)
      return Effect.flatMap(Effect.service(NestedRun), (nested) =>
        nested ? Effect.fail(new PoolFull({ pool: this.name, retryAfterMs: this.retryAfterMs() })) : this.wait(n, into))
    })
  }

  private wait(permits: number, into: ((taken: number) => void) | undefined): Effect.Effect<number> {
    return Effect.callback<number>((resume) => {
      let handed = -1
      const waiter: Waiter = {
        permits,
        resume: (n) => {
          handed = n
          into?.(n)
          // it goes on after a yield, on its own stack: resumed here, a queue of holders that finish
          // at once would nest each in the previous one's release until the stack overflows
          resume(Effect.as(Effect.yieldNow, n))
        }
      }
      this.waiting.add(waiter)
      // handed over to `into`: those permits are its owner's to give back
      return Effect.sync(() => (handed < 0 ? this.leave(waiter) : into === undefined ? this.release(handed) : undefined))
    })
  }

  private leave(waiter: Waiter): void {
    // the head leaving may let the next ones in
    if (this.waiting.delete(waiter)) this.wake()
  }

  /** Gives back `permits` and hands free permits to the waiters at the head of the queue. */
  release(permits: number): void {
    this.held = Math.max(0, this.held - permits)
    this.wake()
  }

  /** Changes the pool's size (the monitor's adjustment); holders keep their permits. */
  resize(capacity: number): void {
    this.capacityNow = Math.max(0, capacity)
    this.wake()
  }

  private wake(): void {
    for (const waiter of this.waiting) {
      const n = this.fit(waiter.permits)
      if (this.held + n > this.capacityNow) return
      this.waiting.delete(waiter)
      this.held += n
      waiter.resume(n)
    }
  }
}
