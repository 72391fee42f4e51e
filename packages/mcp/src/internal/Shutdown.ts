/**
 * Shutting a transport down: calls in flight get a grace period, then are interrupted; the
 * transport answers each interrupted one with this message.
 */
import { Effect, FiberSet } from "effect"

export const SHUTDOWN_MESSAGE = "The server is shutting down; the call was cancelled"

/** Waits for the calls in `running` to finish for at most `graceMs`, then interrupts what is left. */
export const drain = <A, E>(running: FiberSet.FiberSet<A, E>, graceMs: number) =>
  FiberSet.awaitEmpty(running).pipe(Effect.timeoutOrElse({ duration: graceMs, orElse: () => FiberSet.clear(running) }))

/** Fibers in `set` right now, read synchronously (`FiberSet.size` is an Effect; transports check the bound on every call). */
export const running = <A, E>(set: FiberSet.FiberSet<A, E>): number => (set.state._tag === "Open" ? set.state.backing.size : 0)
