/**
 * Shutting a transport down: calls in flight get a grace period, then are interrupted; the
 * transport answers each interrupted one with this message.
 */
import { Effect, Fiber } from "effect"

export const SHUTDOWN_MESSAGE = "The server is shutting down; the call was cancelled"

/** Waits for `running` to finish for at most `graceMs`, then interrupts what is left. */
export const drain = (running: ReadonlyArray<Fiber.Fiber<unknown, unknown>>, graceMs: number) =>
  Effect.forEach(running, (f) => Fiber.await(f), { discard: true, concurrency: "unbounded" }).pipe(
    Effect.timeoutOrElse({
      duration: graceMs,
      orElse: () => Effect.forEach(running, (f) => Fiber.interrupt(f), { discard: true })
    })
  )
