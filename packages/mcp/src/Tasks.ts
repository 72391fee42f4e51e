/**
 * MCP tasks: a long tool call runs in the background while the client polls it (`tasks/get`), is
 * notified of it, fetches its result, answers its input requests and cancels it. The store is
 * bounded — tasks per owner and in total, each kept for its TTL (the client's request capped by
 * `maxTtlMs`), kept results by bytes — and a `Schedule` sweep removes expired tasks, interrupting
 * any still running. Task ids are unguessable and scoped to the owner (principal or session) that
 * created them: to anyone else a task does not exist. The runs are fibers of a `FiberSet` owned
 * by the layer, so cancellation, expiry and shutdown all interrupt them.
 */
import { Cause, Clock, Context, Deferred, Effect, Fiber, FiberSet, Layer, Schedule } from "effect"
import { randomBytes } from "node:crypto"
import { ErrorCode, ProtocolError } from "./JsonRpc.ts"

/** Where a task is: running, waiting on the client, or done (the last three are terminal). */
export type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled"

/** True for the statuses a task never leaves. */
export const isTerminal = (status: TaskStatus): boolean => status === "completed" || status === "failed" || status === "cancelled"

/** A protocol-level failure of a task's work, in JSON-RPC error shape. */
export interface TaskError {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/** How a task's work ends. */
export type TaskOutcome =
  /** The work produced a result (a tool's own failure is a result with `isError`). */
  | { readonly _tag: "Completed"; readonly result: Record<string, unknown> }
  /** The work failed at the protocol level. */
  | { readonly _tag: "Failed"; readonly error: TaskError }
  /**
   * The work finished before the task was created (in its first synchronous step) with an answer
   * the creating request gives itself — e.g. a first input round — so no task is created.
   */
  | { readonly _tag: "Inline"; readonly value: unknown }

/** A task as clients see it. Read-only to everyone but the store. */
export interface Task {
  readonly taskId: string
  readonly status: TaskStatus
  readonly statusMessage: string | undefined
  /** Epoch milliseconds. */
  readonly createdAt: number
  readonly lastUpdatedAt: number
  /** How long after `createdAt` the task is kept. */
  readonly ttlMs: number
  readonly pollIntervalMs: number
  /** The result, once `completed`. */
  readonly result: Record<string, unknown> | undefined
  /** The failure, once `failed`. */
  readonly error: TaskError | undefined
  /** The input requests still unanswered, by key, while `input_required`. */
  readonly inputRequests: Readonly<Record<string, unknown>> | undefined
}

/** What a task's work can do to its task while it runs. */
export interface TaskControl {
  readonly taskId: string
  /** False during the work's first synchronous step, before the task exists for the client. */
  readonly created: boolean
  /** Sets the task's `statusMessage` (cut at {@link MAX_STATUS_MESSAGE_LENGTH} characters). */
  readonly report: (message: string) => void
  /**
   * Parks the task in `input_required` with `requests` until the client has answered every one
   * (`tasks/update`), then returns the answers by key and the task is `working` again.
   */
  readonly awaitInput: (requests: Readonly<Record<string, unknown>>) => Effect.Effect<Record<string, unknown>>
  /** Runs `effect` (a request to the client) with the task `input_required` meanwhile, `working` again after. */
  readonly asking: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

/** What creating a task needs. */
export interface TaskInit {
  /** Whose task it is: only this owner can see, list, update or cancel it. */
  readonly owner: string
  /** The TTL the client asked for (capped by `maxTtlMs`; the default when absent). */
  readonly ttlMs?: number | undefined
  /** Called on every status change (for status notifications). */
  readonly onStatus?: ((task: Task) => void) | undefined
  /** The work; it starts at once and runs until it ends, or the task is cancelled or expires. */
  readonly work: (control: TaskControl) => Effect.Effect<TaskOutcome>
}

/** What `create` did: a task was created, or the work answered at once (see `TaskOutcome` Inline). */
export type Creation =
  | { readonly _tag: "Created"; readonly task: Task }
  | { readonly _tag: "Inline"; readonly value: unknown }

/** A page of an owner's tasks, oldest first. */
export interface TaskPage {
  readonly tasks: ReadonlyArray<Task>
  readonly nextCursor: string | undefined
}

export interface TasksOptions {
  /** Tasks kept at once on this instance, running or finished (default 10000). */
  readonly maxTasks?: number
  /** Tasks one owner (principal or session) may hold at once (default 256). */
  readonly maxTasksPerOwner?: number
  /** TTL of a task whose client asked for none (default 10 minutes). */
  readonly defaultTtlMs?: number
  /** Longest TTL granted, whatever the client asks (default 1 hour). */
  readonly maxTtlMs?: number
  /** How often clients are told to poll (`pollInterval`, default 1000 ms). */
  readonly pollIntervalMs?: number
  /** Bytes of results kept in memory across all tasks (default 64 MiB). */
  readonly maxResultBytes?: number
  /** Largest single result kept (default 4 MiB); a larger one fails its task with a clear error. */
  readonly maxResultBytesPerTask?: number
  /** How often expired tasks are swept (default 1000 ms). */
  readonly sweepIntervalMs?: number
  /** Called with every defect (bug) a task's work died of, for logging. */
  readonly onDefect?: (cause: Cause.Cause<unknown>) => void
}

/** Longest `statusMessage` kept. */
export const MAX_STATUS_MESSAGE_LENGTH = 1000

/** Tasks per `tasks/list` page. */
export const TASKS_PAGE_SIZE = 50

interface Entry {
  readonly taskId: string
  readonly owner: string
  readonly seq: number
  status: TaskStatus
  statusMessage: string | undefined
  readonly createdAt: number
  lastUpdatedAt: number
  readonly ttlMs: number
  readonly pollIntervalMs: number
  result: Record<string, unknown> | undefined
  error: TaskError | undefined
  inputRequests: Record<string, unknown> | undefined
  created: boolean
  /** Requests to the client in flight (`asking`): the task is input_required while any is. */
  asking: number
  resultBytes: number
  fiber: Fiber.Fiber<unknown> | undefined
  /** Answers gathered for the pending input requests, and the wake-up of the waiting work. */
  input: { readonly answers: Record<string, unknown>; readonly resume: Deferred.Deferred<Record<string, unknown>> } | undefined
  readonly done: Deferred.Deferred<void>
  readonly onStatus: ((task: Task) => void) | undefined
}

/** The task store of one server. */
export class Tasks extends Context.Service<Tasks, {
  /** Creates a task for `init.owner` and starts its work, or fails with -32000 naming the bound that refused it. */
  readonly create: (init: TaskInit) => Effect.Effect<Creation, ProtocolError>
  /** The owner's task, or undefined (unknown, expired, or someone else's). */
  readonly get: (owner: string, taskId: string) => Task | undefined
  /** The owner's tasks after `cursor`, oldest first; fails with -32602 for a cursor this store did not give. */
  readonly list: (owner: string, cursor: string | undefined) => Effect.Effect<TaskPage, ProtocolError>
  /** Cancels the owner's task (interrupting its work); a terminal task is left as it is. Undefined when not found. */
  readonly cancel: (owner: string, taskId: string) => Effect.Effect<Task | undefined>
  /**
   * Hands the client's answers to the owner's task; keys it is not waiting on are ignored. When
   * the last pending request is answered the work resumes. Undefined when not found.
   */
  readonly update: (owner: string, taskId: string, responses: Readonly<Record<string, unknown>>) => Effect.Effect<Task | undefined>
  /** Waits until the owner's task is terminal; undefined when not found or once it expired. */
  readonly awaitTerminal: (owner: string, taskId: string) => Effect.Effect<Task | undefined>
  /** Removes every task of `owner` (a closed session), interrupting running ones; returns how many. */
  readonly dropOwner: (owner: string) => Effect.Effect<number>
  /** Removes the expired tasks (interrupting their work); returns how many. */
  readonly sweep: Effect.Effect<number>
  /** Calls `listener` with the owner and the task on every status change of any task (status notifications); returns the unsubscribe. */
  readonly watch: (listener: (owner: string, task: Task) => void) => () => void
  /** Tasks held now. */
  readonly size: () => number
  /** Bytes of results held now. */
  readonly resultBytes: () => number
  readonly pollIntervalMs: number
}>()("@tenfold/mcp/Tasks") {
  /** A store with its expiry sweep running every `sweepIntervalMs`; closing the layer interrupts every task's work. */
  static layer = (options: TasksOptions = {}) =>
    Layer.effect(
      Tasks,
      Effect.gen(function*() {
        const tasks = yield* make(options)
        yield* Effect.forkScoped(Effect.repeat(tasks.sweep, Schedule.spaced(options.sweepIntervalMs ?? 1000)))
        return tasks
      })
    )
}

const busy = (message: string, data: Record<string, unknown>) => new ProtocolError({ code: ErrorCode.ServerBusy, message, data })

const cursorOf = (seq: number) => Buffer.from(`t${seq}`).toString("base64url")

const seqOf = (cursor: string): number | undefined => {
  if (cursor.length > 32) return undefined
  const text = Buffer.from(cursor, "base64url").toString()
  return /^t\d{1,15}$/.test(text) ? Number(text.slice(1)) : undefined
}

/** A store without its sweep loop (the layer adds it; tests drive `sweep` directly). */
export const make = (options: TasksOptions = {}) =>
  Effect.gen(function*() {
    const maxTasks = options.maxTasks ?? 10_000
    const maxPerOwner = options.maxTasksPerOwner ?? 256
    const defaultTtlMs = options.defaultTtlMs ?? 600_000
    const maxTtlMs = options.maxTtlMs ?? 3_600_000
    const pollIntervalMs = options.pollIntervalMs ?? 1000
    const maxResultBytes = options.maxResultBytes ?? 64 * 1024 * 1024
    const maxResultBytesPerTask = Math.min(options.maxResultBytesPerTask ?? 4 * 1024 * 1024, maxResultBytes)
    const clock = yield* Clock.Clock
    const fibers = yield* FiberSet.make<unknown>()
    const entries = new Map<string, Entry>()
    const byOwner = new Map<string, Set<Entry>>()
    const watchers = new Set<(owner: string, task: Task) => void>()
    let heldBytes = 0
    let nextSeq = 0

    const now = () => clock.currentTimeMillisUnsafe()
    const expired = (entry: Entry, at: number) => at >= entry.createdAt + entry.ttlMs

    const find = (owner: string, taskId: string): Entry | undefined => {
      const entry = entries.get(taskId)
      return entry === undefined || entry.owner !== owner || expired(entry, now()) ? undefined : entry
    }

    const changed = (entry: Entry, status: TaskStatus) => {
      entry.lastUpdatedAt = now()
      if (entry.status === status) return
      entry.status = status
      if (!entry.created) return
      entry.onStatus?.(entry)
      for (const watcher of watchers) watcher(entry.owner, entry)
    }

    /** Ends the task with `outcome`, unless it already ended (cancelled while the work finished). */
    const settle = (entry: Entry, outcome: TaskOutcome) => {
      if (isTerminal(entry.status) || outcome._tag === "Inline") return
      entry.inputRequests = undefined
      entry.input = undefined
      if (outcome._tag === "Completed") {
        const bytes = Buffer.byteLength(JSON.stringify(outcome.result))
        if (bytes > maxResultBytesPerTask || heldBytes + bytes > maxResultBytes) {
          entry.error = {
            code: ErrorCode.ServerBusy,
            message: bytes > maxResultBytesPerTask
              ? `The result (${bytes} bytes) is larger than a task may keep (${maxResultBytesPerTask} bytes)`
              : `The result (${bytes} bytes) does not fit in the memory kept for task results now; retry later`,
            data: { resultBytes: bytes, maxResultBytesPerTask }
          }
          changed(entry, "failed")
        } else {
          heldBytes += bytes
          entry.resultBytes = bytes
          entry.result = outcome.result
          changed(entry, "completed")
        }
      } else {
        entry.error = outcome.error
        changed(entry, "failed")
      }
      Deferred.doneUnsafe(entry.done, Effect.void)
    }

    const remove = (entry: Entry) => {
      entries.delete(entry.taskId)
      const owned = byOwner.get(entry.owner)
      owned?.delete(entry)
      if (owned?.size === 0) byOwner.delete(entry.owner)
      heldBytes -= entry.resultBytes
      entry.resultBytes = 0
      Deferred.doneUnsafe(entry.done, Effect.void)
      // interrupted without waiting for it to end: work that holds off interruption must not stall
      // the sweep (every other expired task) or a session's close; the FiberSet keeps it until it ends
      if (entry.fiber !== undefined && entry.fiber.pollUnsafe() === undefined) entry.fiber.interruptUnsafe()
    }

    const controlOf = (entry: Entry): TaskControl => ({
      taskId: entry.taskId,
      get created() {
        return entry.created
      },
      report: (message) => {
        entry.statusMessage = message.length > MAX_STATUS_MESSAGE_LENGTH ? `${message.slice(0, MAX_STATUS_MESSAGE_LENGTH)}…` : message
        entry.lastUpdatedAt = now()
      },
      asking: (effect) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            entry.asking++
            changed(entry, "input_required")
          }),
          () => effect,
          () =>
            Effect.sync(() => {
              entry.asking--
              if (entry.asking === 0 && !isTerminal(entry.status)) changed(entry, "working")
            })
        ),
      awaitInput: (requests) =>
        Effect.suspend(() => {
          const resume = Deferred.makeUnsafe<Record<string, unknown>>()
          entry.inputRequests = { ...requests }
          entry.input = { answers: {}, resume }
          changed(entry, "input_required")
          return Deferred.await(resume)
        })
    })

    const create = (init: TaskInit): Effect.Effect<Creation, ProtocolError> =>
      Effect.suspend(() => {
        const owned = byOwner.get(init.owner)
        if ((owned?.size ?? 0) >= maxPerOwner) {
          const oldest = owned!.values().next().value!
          return Effect.fail(busy(`Too many tasks for this client (at most ${maxPerOwner} kept at once); cancel some or wait until they expire`, {
            maxTasksPerOwner: maxPerOwner,
            retryAfterMs: Math.max(0, oldest.createdAt + oldest.ttlMs - now())
          }))
        }
        if (entries.size >= maxTasks) {
          return Effect.fail(busy(`Too many tasks on this server (at most ${maxTasks}); retry later`, { maxTasks, retryAfterMs: pollIntervalMs }))
        }
        const at = now()
        const requested = init.ttlMs
        const entry: Entry = {
          taskId: randomBytes(18).toString("base64url"),
          owner: init.owner,
          seq: nextSeq++,
          status: "working",
          statusMessage: undefined,
          createdAt: at,
          lastUpdatedAt: at,
          ttlMs: requested === undefined ? Math.min(defaultTtlMs, maxTtlMs) : Math.max(1, Math.min(Math.floor(requested), maxTtlMs)),
          pollIntervalMs,
          result: undefined,
          error: undefined,
          inputRequests: undefined,
          created: false,
          asking: 0,
          resultBytes: 0,
          fiber: undefined,
          input: undefined,
          done: Deferred.makeUnsafe<void>(),
          onStatus: init.onStatus
        }
        let inline: { value: unknown } | undefined
        const body = init.work(controlOf(entry)).pipe(
          Effect.map((outcome) => {
            if (outcome._tag === "Inline" && !entry.created) inline = { value: outcome.value }
            else settle(entry, outcome)
          }),
          Effect.catchCause((cause) => {
            if (Cause.hasInterruptsOnly(cause)) return Effect.void
            options.onDefect?.(cause)
            settle(entry, { _tag: "Failed", error: { code: ErrorCode.InternalError, message: "Internal error while running the task" } })
            return Effect.void
          })
        )
        return Effect.map(FiberSet.run(fibers, body, { startImmediately: true }), (fiber): Creation => {
          if (inline !== undefined) return { _tag: "Inline", value: inline.value }
          entry.fiber = fiber
          entry.created = true
          entries.set(entry.taskId, entry)
          const set = byOwner.get(entry.owner) ?? new Set<Entry>()
          set.add(entry)
          byOwner.set(entry.owner, set)
          return { _tag: "Created", task: entry }
        })
      })

    const list = (owner: string, cursor: string | undefined): Effect.Effect<TaskPage, ProtocolError> => {
      const after = cursor === undefined ? -1 : seqOf(cursor)
      if (after === undefined) return Effect.fail(new ProtocolError({ code: ErrorCode.InvalidParams, message: "Invalid cursor for tasks/list" }))
      const at = now()
      const page: Array<Entry> = []
      let more = false
      for (const entry of byOwner.get(owner) ?? []) {
        if (entry.seq <= after || expired(entry, at)) continue
        if (page.length === TASKS_PAGE_SIZE) {
          more = true
          break
        }
        page.push(entry)
      }
      return Effect.succeed({ tasks: page, nextCursor: more ? cursorOf(page[page.length - 1]!.seq) : undefined })
    }

    const cancel = (owner: string, taskId: string): Effect.Effect<Task | undefined> =>
      Effect.suspend(() => {
        const entry = find(owner, taskId)
        if (entry === undefined) return Effect.succeed(undefined)
        if (isTerminal(entry.status)) return Effect.succeed(entry)
        entry.inputRequests = undefined
        entry.input = undefined
        entry.statusMessage = "Cancelled by the client"
        changed(entry, "cancelled")
        Deferred.doneUnsafe(entry.done, Effect.void)
        const fiber = entry.fiber
        return fiber === undefined ? Effect.succeed(entry) : Effect.as(Fiber.interrupt(fiber), entry)
      })

    const update = (owner: string, taskId: string, responses: Readonly<Record<string, unknown>>): Effect.Effect<Task | undefined> =>
      Effect.sync(() => {
        const entry = find(owner, taskId)
        const input = entry?.input
        if (entry === undefined || input === undefined || entry.inputRequests === undefined) return entry
        const pending = entry.inputRequests
        for (const key of Object.keys(responses)) {
          if (!Object.hasOwn(pending, key)) continue
          input.answers[key] = responses[key]
          delete pending[key]
        }
        if (Object.keys(pending).length > 0) {
          entry.lastUpdatedAt = now()
          return entry
        }
        entry.inputRequests = undefined
        entry.input = undefined
        changed(entry, "working")
        Deferred.doneUnsafe(input.resume, Effect.succeed(input.answers))
        return entry
      })

    const awaitTerminal = (owner: string, taskId: string): Effect.Effect<Task | undefined> =>
      Effect.suspend(() => {
        const entry = find(owner, taskId)
        if (entry === undefined) return Effect.succeed(undefined)
        return Effect.map(Deferred.await(entry.done), () => find(owner, taskId))
      })

    const sweep = Effect.suspend(() => {
      const at = now()
      const gone = [...entries.values()].filter((entry) => expired(entry, at))
      for (const entry of gone) remove(entry)
      return Effect.succeed(gone.length)
    })

    const dropOwner = (owner: string) =>
      Effect.suspend(() => {
        const owned = [...(byOwner.get(owner) ?? [])]
        for (const entry of owned) remove(entry)
        return Effect.succeed(owned.length)
      })

    return Tasks.of({
      create,
      dropOwner,
      get: find,
      list,
      cancel,
      update,
      awaitTerminal,
      sweep,
      watch: (listener) => {
        watchers.add(listener)
        return () => void watchers.delete(listener)
      },
      size: () => entries.size,
      resultBytes: () => heldBytes,
      pollIntervalMs
    })
  })
