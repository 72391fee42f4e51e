/**
 * One worker thread fronted by an actor: a fiber that owns the thread and its figures and reads
 * a bounded mailbox, running one task at a time. A task whose thread dies fails with
 * `WorkerCrashed` and the thread is replaced; a task interrupted while it runs terminates the
 * thread (the only way to stop a synchronous loop), which is replaced too. The thread starts on
 * the actor's first task, so a pool costs nothing until CPU work arrives.
 */
import { Cause, Effect, Queue, type Scope } from "effect"
import type { Worker } from "node:worker_threads"
import type { WorkerLoad } from "../LoadBalancer.ts"
import { HISTORY } from "../LoadBalancer.ts"
import { WorkerCrashed, type WorkerError, WorkerTaskFailed } from "../WorkerError.ts"
import type { WorkerReply, WorkerRequest } from "./workerProgram.ts"

/** One task on its way through an actor. */
export interface Envelope {
  readonly request: WorkerRequest
  /** For errors: the tool's name or the module URL. */
  readonly name: string
  /** The balancer's affinity key: module URL and export. */
  readonly key: string
  state: "queued" | "running" | "cancelled" | "done"
  /** Hands the outcome to the caller (once). */
  readonly resume: (outcome: Effect.Effect<unknown, WorkerError>) => void
}

/** What the pool sees of an actor. */
export interface WorkerActor extends WorkerLoad {
  readonly id: number
  /** Tasks finished (successfully or not) and threads lost while running one. */
  readonly completed: number
  readonly crashes: number
  /** Puts a task in the mailbox; false when the mailbox is full. */
  readonly tell: (envelope: Envelope) => boolean
  /** The caller gave up: a queued task is skipped, a running one's thread is terminated. */
  readonly cancel: (envelope: Envelope) => void
}

type Outcome = { readonly _tag: "Reply"; readonly reply: WorkerReply } | { readonly _tag: "Exit"; readonly reason: string }

/** Starts an actor in the current scope; its thread starts on the first task and is terminated when the scope closes. */
export const make = (id: number, capacity: number, spawn: () => Worker): Effect.Effect<WorkerActor, never, Scope.Scope> =>
  Effect.gen(function*() {
    const mailbox = yield* Queue.bounded<Envelope>(capacity)
    let thread: Worker | undefined
    /** The last uncaught error of the current thread: the reason its exit is reported with. */
    let lastError: string | undefined
    let current: Envelope | undefined
    const recentMs: Array<number> = []
    const actor = {
      id,
      capacity,
      load: 0,
      queued: 0,
      recentMs,
      warm: new Set<string>(),
      completed: 0,
      crashes: 0,
      tell: (envelope: Envelope) => {
        if (!Queue.offerUnsafe(mailbox, envelope)) return false
        actor.queued++
        return true
      },
      cancel: (envelope: Envelope) => {
        if (envelope.state === "running") void thread?.terminate()
        if (envelope.state === "queued" || envelope.state === "running") envelope.state = "cancelled"
      }
    }

    /** Where the current thread's answer or exit goes: the task being served, if any. */
    let deliver: ((outcome: Outcome) => void) | undefined

    /**
     * A thread with its listeners attached once (not per task): an uncaught error is recorded as
     * the reason of the exit that follows (an `error` event without a listener would throw here).
     */
    const started = () => {
      const worker = spawn()
      lastError = undefined
      worker.on("error", (error) => void (lastError = error instanceof Error ? error.message : String(error)))
      worker.on("message", (reply: WorkerReply) => {
        if (worker === thread) deliver?.({ _tag: "Reply", reply })
      })
      worker.on("exit", (code) => {
        if (worker === thread) deliver?.({ _tag: "Exit", reason: lastError ?? `the thread exited with code ${code}` })
      })
      return worker
    }
    /** After a crash or a cancel: the next task starts a fresh thread. */
    const replace = () => {
      void thread?.terminate()
      actor.warm.clear()
      thread = undefined
    }

    /** Runs the envelope's task on the thread until it answers or the thread exits. */
    const serve = (envelope: Envelope) =>
      Effect.callback<Outcome>((resume) => {
        let worker: Worker
        try {
          worker = thread ??= started()
        } catch (error) {
          // no thread (out of threads or memory): the task fails, and the next one tries again
          return resume(Effect.succeed({ _tag: "Exit", reason: `the worker thread could not be started: ${error instanceof Error ? error.message : String(error)}` }))
        }
        deliver = (outcome) => {
          deliver = undefined
          resume(Effect.succeed(outcome))
        }
        try {
          worker.postMessage(envelope.request)
        } catch (error) {
          deliver({ _tag: "Reply", reply: { ok: false, message: `The arguments cannot be sent to a worker thread: ${error instanceof Error ? error.message : String(error)}` } })
        }
        return Effect.sync(() => void (deliver = undefined))
      })

    const settle = (envelope: Envelope, outcome: Outcome) => {
      if (outcome._tag === "Exit" && envelope.state !== "cancelled") actor.crashes++
      // a task cancelled while it ran had its thread terminated, even when its answer came first
      if (outcome._tag === "Exit" || envelope.state === "cancelled") replace()
      if (envelope.state === "cancelled") return
      envelope.state = "done"
      if (outcome._tag === "Exit") {
        return envelope.resume(Effect.fail(new WorkerCrashed({ task: envelope.name, workerId: id, reason: outcome.reason })))
      }
      actor.warm.add(envelope.key)
      const reply = outcome.reply
      envelope.resume(reply.ok ? Effect.succeed(reply.value) : Effect.fail(new WorkerTaskFailed({ task: envelope.name, detail: reply.message })))
    }

    const step = Effect.gen(function*() {
      const envelope = yield* Queue.take(mailbox)
      actor.queued--
      if (envelope.state === "cancelled") return
      envelope.state = "running"
      current = envelope
      actor.load = 1
      const start = performance.now()
      const outcome = yield* serve(envelope)
      actor.load = 0
      current = undefined
      actor.completed++
      if (outcome._tag === "Reply") {
        recentMs.push(performance.now() - start)
        if (recentMs.length > HISTORY) recentMs.shift()
      }
      settle(envelope, outcome)
    })

    /** At scope close: the thread is terminated and every task still held fails (no caller waits forever). */
    const shutdown = Effect.gen(function*() {
      void thread?.terminate()
      const held = [...(current === undefined ? [] : [current]), ...(yield* Queue.clear(mailbox))]
      for (const envelope of held) {
        if (envelope.state === "cancelled" || envelope.state === "done") continue
        envelope.state = "done"
        envelope.resume(Effect.fail(new WorkerCrashed({ task: envelope.name, workerId: id, reason: "the worker pool shut down" })))
      }
    })
    yield* Effect.addFinalizer(() => shutdown)
    /** A defect of a step fails the task it held rather than ending the actor (whose mailbox would then fill for good). */
    const guarded = Effect.catchCause(step, (cause) =>
      Cause.hasInterrupts(cause) ? Effect.failCause(cause) : Effect.sync(() => {
        const envelope = current
        current = undefined
        actor.load = 0
        replace()
        if (envelope === undefined || envelope.state === "cancelled" || envelope.state === "done") return
        envelope.state = "done"
        envelope.resume(Effect.fail(new WorkerCrashed({ task: envelope.name, workerId: id, reason: `the worker's actor failed: ${String(Cause.squash(cause))}` })))
      }))
    yield* Effect.forkScoped(Effect.forever(guarded))
    return actor
  })
