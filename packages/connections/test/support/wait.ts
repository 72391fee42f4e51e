/** Waiting in tests for something a real server or socket does, on the real clock (also under TestClock). */
import { Effect } from "effect"

const tick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))

/** Succeeds once `condition` holds; dies after ~10 s so a broken test fails instead of hanging. */
export const until = (condition: () => boolean, what = "condition"): Effect.Effect<void> =>
  Effect.suspend(function loop(n = 0): Effect.Effect<void> {
    if (condition()) return Effect.void
    if (n > 2000) return Effect.die(new Error(`timed out waiting for ${what}`))
    return Effect.andThen(tick, () => loop(n + 1))
  })
