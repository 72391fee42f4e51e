/**
 * An `Embedder` whose model runs in a worker thread, shared by the backends: texts wait in a
 * bounded queue, one actor fiber takes up to `maxBatch` of them at a time and sends them to the
 * worker as one batch (so requests arriving together are embedded together), and the event loop
 * only ever copies texts and vectors. A text embedded lately, or already waiting, is not embedded
 * again (`RecentVectors`). The worker starts on the first request, not before; a worker that dies
 * fails the batch it held with `WorkerCrashed` and the next batch starts a new one — at once after
 * one crash, but after crashes in a row no sooner than `restartDelayMs` later (1 s, doubling, at
 * most 30 s; batches meanwhile fail at once with `WorkerCrashed`), so a worker that cannot live
 * (a broken install, a text that kills it) does not cost a thread start and model load per call.
 */
import { Clock, Deferred, Effect, Exit, Queue } from "effect"
import type { Scope } from "effect"
import type { Worker } from "node:worker_threads"
import { EmbedError, Embedder } from "../Embedder.ts"
import type { EmbedFailure } from "../Embedder.ts"
import * as Guard from "../Guard.ts"
import { RecentVectors } from "./RecentVectors.ts"
import type { BatchReply, BatchRequest } from "./workerProtocol.ts"

/** How a backend runs in a worker: the model it names, its vector length, how to start its worker, and the bounds. */
export interface WorkerEmbedderOptions {
  readonly model: string
  readonly dimensions: number
  /** Starts one worker thread that speaks `workerProtocol`. */
  readonly startWorker: () => Worker
  /** The most texts sent to the worker in one batch (default 32: throughput stops rising past it). */
  readonly maxBatch?: number | undefined
  /** The most texts waiting or being embedded; a request that would pass it fails with `Overloaded` (default 1024). */
  readonly maxQueue?: number | undefined
  /**
   * Texts are NFKC-normalised and cut to this many characters, at a word boundary when one is near
   * (default: the Guard's `maxTextLength`, 1000 — the semantic tier never looks past it).
   */
  readonly maxTextLength?: number | undefined
  /**
   * How many of the texts embedded last are kept with their vectors and answered without the
   * model (default 1024, ≤ 4 MB at 512 dimensions and 1000 characters; 0 keeps none).
   */
  readonly cacheSize?: number | undefined
}

/** A worker-backed embedder and how many workers it has started (0 until the first request). */
export interface WorkerEmbedder {
  readonly embedder: Embedder["Service"]
  readonly workersStarted: () => number
}

/** How long after `crashes` crashes in a row (no batch served between them) the next worker may start. */
const restartDelayMs = (crashes: number): number => crashes < 2 ? 0 : Math.min(30_000, 1000 * 2 ** (crashes - 2))

interface Pending {
  readonly text: string
  readonly reply: Deferred.Deferred<Float32Array, EmbedError>
}

/** `text` cut to at most `max` characters, never inside a surrogate pair, at the last space of the final tenth when there is one. */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  let end = max
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end--
  const space = text.lastIndexOf(" ", end)
  return text.slice(0, space >= end - Math.floor(max / 10) && space > 0 ? space : end)
}

/**
 * The text a worker receives: NFKC-normalised (as tokenizers do) and cut to `max` characters after
 * normalising too, since NFKC can expand one character into eighteen and the tokenizer's cost grows
 * with what it sees (2000 × U+FDFA took 2.9 s in use-lite, its normalised cut 56 ms).
 */
export const prepare = (text: string, max: number): string => truncate(truncate(text, max).normalize("NFKC"), max)

/** Builds the embedder in the current scope; closing the scope stops the worker and fails what waits with `Closed`. */
export const make = (options: WorkerEmbedderOptions): Effect.Effect<WorkerEmbedder, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { maxBatch = 32, maxQueue = 1024, maxTextLength = Guard.maxTextLength, cacheSize = 1024 } = options
    const error = (reason: EmbedFailure, detail: string) => new EmbedError({ reason, model: options.model, detail })
    const queue = yield* Queue.unbounded<Pending>()
    const recent = new RecentVectors(cacheSize)
    /** Texts queued or being embedded, by text: a text asked again while it waits shares the wait. */
    const waiting = new Map<string, Pending>()
    let accepted = 0
    let inFlight: ReadonlyArray<Pending> = []
    let worker: Worker | undefined
    let started = 0
    /** Batches in a row whose worker crashed or could not start, and when the next worker may start. */
    let crashes = 0
    let restartAt = 0

    const failAll = (pending: ReadonlyArray<Pending>, failure: EmbedError) => {
      for (const p of pending) Deferred.doneUnsafe(p.reply, Exit.fail(failure))
    }

    let closed = false
    const closedError = () => error("Closed", "the embedder was shut down")
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        closed = true
        failAll([...(yield* Queue.clear(queue)), ...inFlight], closedError())
        waiting.clear()
        recent.clear()
        const stopping = worker
        worker = undefined
        if (stopping !== undefined) yield* Effect.promise(() => stopping.terminate())
      })
    )

    /** The running worker, started if there is none; one that fails or exits while idle is forgotten (its unheard "error" would crash the process). */
    const currentWorker = (): Worker => {
      if (worker !== undefined) return worker
      const fresh = options.startWorker()
      const forget = () => {
        if (worker === fresh) worker = undefined
      }
      fresh.on("error", forget)
      fresh.once("exit", forget)
      started++
      return (worker = fresh)
    }

    const runBatch = (texts: ReadonlyArray<string>) =>
      Effect.callback<Float32Array, EmbedError>((resume) => {
        let current: Worker
        try {
          current = currentWorker()
        } catch (cause) {
          return resume(Effect.fail(error("WorkerCrashed", `cannot start a worker: ${cause instanceof Error ? cause.message : String(cause)}`)))
        }
        const cleanup = () => {
          current.off("message", onMessage)
          current.off("error", onCrash)
          current.off("exit", onExit)
        }
        const onMessage = (reply: BatchReply) => {
          cleanup()
          if (reply._tag === "Failed") return resume(Effect.fail(error(reply.reason, reply.detail)))
          if (reply.data.length !== texts.length * options.dimensions) {
            return resume(Effect.fail(error("Backend", `${reply.data.length} values for ${texts.length} texts`)))
          }
          resume(Effect.succeed(reply.data))
        }
        // a worker's 'error' can arrive before a reply it posted just before dying; Node delivers
        // every message a worker sent before its 'exit', so the batch fails only at the exit
        let crash: unknown
        const onCrash = (cause: unknown) => {
          crash = cause
          void current.terminate()
        }
        const onExit = (code: number) => {
          cleanup()
          const cause = crash ?? `the worker exited with code ${code}`
          resume(Effect.fail(error("WorkerCrashed", cause instanceof Error ? cause.message : String(cause))))
        }
        current.on("message", onMessage)
        current.once("error", onCrash)
        current.once("exit", onExit)
        current.postMessage({ texts } satisfies BatchRequest)
        return Effect.sync(cleanup)
      })

    const serveOneBatch = Effect.gen(function*() {
      const batch = yield* Queue.takeBetween(queue, 1, maxBatch)
      inFlight = batch
      const now = yield* Clock.currentTimeMillis
      const result = worker === undefined && now < restartAt
        ? Exit.fail(error("WorkerCrashed", `the worker crashed ${crashes} times in a row; the next starts in ${Math.ceil((restartAt - now) / 1000)} s`))
        : yield* Effect.exit(runBatch(batch.map((p) => p.text)))
      if (Exit.isFailure(result) && worker === undefined) {
        if (now >= restartAt) {
          crashes++
          restartAt = (yield* Clock.currentTimeMillis) + restartDelayMs(crashes)
        }
      } else crashes = 0
      inFlight = []
      accepted -= batch.length
      for (const p of batch) waiting.delete(p.text)
      if (Exit.isFailure(result)) {
        for (const p of batch) Deferred.doneUnsafe(p.reply, result)
        return
      }
      const { dimensions } = options
      batch.forEach((p, i) => {
        const vector = result.value.slice(i * dimensions, (i + 1) * dimensions)
        recent.set(p.text, vector)
        Deferred.doneUnsafe(p.reply, Exit.succeed(vector))
      })
    })
    yield* Effect.forkScoped(Effect.forever(serveOneBatch))

    /** Each caller gets its own copy: a vector kept in `recent` or shared by several waiters must not change under them. */
    const copy = (vector: Float32Array) => vector.slice()

    /** Queues the texts that are neither kept nor already waiting (once each), bounded by `maxQueue`; answers in order. */
    const enqueue = (texts: ReadonlyArray<string>) =>
      Effect.suspend(() => {
        if (closed) return Effect.fail(closedError())
        const fresh = new Map<string, Pending>()
        const answers = texts.map((raw) => {
          const text = prepare(raw, maxTextLength)
          const known = recent.get(text) ?? (waiting.get(text) ?? fresh.get(text))?.reply
          if (known !== undefined) return known
          const pending: Pending = { text, reply: Deferred.makeUnsafe() }
          fresh.set(text, pending)
          return pending.reply
        })
        if (accepted + fresh.size > maxQueue) {
          return Effect.fail(error("Overloaded", `${accepted} texts waiting and ${fresh.size} more; at most ${maxQueue}`))
        }
        for (const pending of fresh.values()) waiting.set(pending.text, pending)
        Queue.offerAllUnsafe(queue, fresh.values())
        accepted += fresh.size
        return Effect.forEach(answers, (answer) =>
          answer instanceof Float32Array ? Effect.succeed(copy(answer)) : Effect.map(Deferred.await(answer), copy))
      })

    const embedder = Embedder.of({
      model: options.model,
      dimensions: options.dimensions,
      maxTextLength,
      embed: (texts) => (texts.length === 0 ? Effect.succeed([]) : enqueue(texts))
    })
    return { embedder, workersStarted: () => started }
  })
