/**
 * The load balancer's score, as the seed defines it: each worker is scored on its current load
 * (0.4), its queue (0.3), its recent performance (0.2) and its affinity for the task (0.1); the
 * lowest score wins. Pure functions over a snapshot of the workers, so the pool decides with
 * one call and the choice is testable without threads.
 */

/** What the balancer knows of one worker when it chooses. */
export interface WorkerLoad {
  /** The share of the worker in use now, 0 (idle) to 1 (running a task). */
  readonly load: number
  /** Tasks waiting in the worker's mailbox. */
  readonly queued: number
  /** The mailbox's bound: a worker whose mailbox is full is never chosen. */
  readonly capacity: number
  /** Durations of its last tasks in milliseconds (most recent last). */
  readonly recentMs: ReadonlyArray<number>
  /** Affinity keys (module URL + export) the worker has already loaded. */
  readonly warm: ReadonlySet<string>
}

/** The seed's weights. */
export const weights = { load: 0.4, queue: 0.3, performance: 0.2, affinity: 0.1 } as const

/** The seed normalises the queue to 0-1 over ten waiting tasks. */
const QUEUE_SCALE = 10

/** How many recent durations count for performance (the seed's last ten). */
export const HISTORY = 10

const mean = (values: ReadonlyArray<number>): number | undefined => {
  const recent = values.slice(-HISTORY)
  return recent.length === 0 ? undefined : recent.reduce((a, b) => a + b, 0) / recent.length
}

/**
 * The mean recent duration over all workers: the reference a worker's own speed is measured
 * against (undefined while no worker has finished a task).
 */
export const poolMeanMs = (workers: ReadonlyArray<WorkerLoad>): number | undefined => {
  const means = workers.map((w) => mean(w.recentMs)).filter((m): m is number => m !== undefined)
  return means.length === 0 ? undefined : means.reduce((a, b) => a + b, 0) / means.length
}

/**
 * A worker's score for a task with affinity `key` (lower is better). Performance is the seed's
 * `1 / average performance`, with a worker's performance being the pool's mean duration over its
 * own (1 while either is unknown), so a worker twice as slow as the pool scores 2 there. Affinity
 * is 0 when the worker has already loaded the task's module, else 1.
 */
export const score = (worker: WorkerLoad, key: string, meanMs: number | undefined): number => {
  const own = mean(worker.recentMs)
  const performanceFactor = own === undefined || meanMs === undefined || meanMs <= 0 ? 1 : own / meanMs
  return (
    Math.min(Math.max(worker.load, 0), 1) * weights.load +
    Math.min(worker.queued / QUEUE_SCALE, 1) * weights.queue +
    performanceFactor * weights.performance +
    (worker.warm.has(key) ? 0 : 1) * weights.affinity
  )
}

/** The index of the worker with the lowest score that has room in its mailbox, or -1 when none has. */
export const choose = (workers: ReadonlyArray<WorkerLoad>, key: string): number => {
  const meanMs = poolMeanMs(workers)
  let best = -1
  let bestScore = Infinity
  for (let i = 0; i < workers.length; i++) {
    const worker = workers[i]!
    if (worker.queued >= worker.capacity) continue
    const s = score(worker, key, meanMs)
    if (s < bestScore) {
      best = i
      bestScore = s
    }
  }
  return best
}
