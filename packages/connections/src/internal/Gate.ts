/**
 * A resizable counting gate with a first-come queue, in plain JavaScript: the request path takes
 * and returns slots from callbacks, without an Effect per step (the pool's hot path is one
 * `Effect.callback` per attempt). Shrinking keeps the slots already taken; new takers wait until
 * enough are returned.
 */

export interface Gate {
  /** Takes a slot now if one is free and nobody is waiting. */
  readonly tryTake: () => boolean
  /** Queues `granted`, called once a slot is taken for it; the returned function gives up waiting. */
  readonly wait: (granted: () => void) => () => void
  /** Returns a slot (to the first waiter, if any). */
  readonly release: () => void
  readonly resize: (capacity: number) => void
}

export const make = (initial: number): Gate => {
  let capacity = initial
  let taken = 0
  /** In arrival order (a Set iterates in insertion order). */
  const waiters = new Set<() => void>()
  const grant = () => {
    for (const waiter of waiters) {
      if (taken >= capacity) return
      waiters.delete(waiter)
      taken++
      waiter()
    }
  }
  return {
    tryTake: () => {
      if (waiters.size > 0 || taken >= capacity) return false
      taken++
      return true
    },
    wait: (granted) => {
      waiters.add(granted)
      return () => void waiters.delete(granted)
    },
    release: () => {
      taken--
      grant()
    },
    resize: (next) => {
      capacity = next
      grant()
    }
  }
}
