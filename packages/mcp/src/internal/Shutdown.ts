/**
 * Shutting a transport down: calls in flight get a grace period, then are interrupted; the
 * transport answers each interrupted one with this message.
 */
import { Effect, FiberSet } from "effect"

export const SHUTDOWN_MESSAGE = "The server is shutting down; the call was cancelled"

/** Waits for the calls in `running` to finish for at most `graceMs`, then interrupts what is left. */
export const drain = <A, E>(running: FiberSet.FiberSet<A, E>, graceMs: number) =>
  FiberSet.awaitEmpty(running).pipe(Effect.timeoutOrElse({ duration: graceMs, orElse: () => FiberSet.clear(running) }))
