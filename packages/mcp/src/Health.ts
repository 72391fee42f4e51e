/**
 * Liveness and readiness: `/healthz` answers while the process serves at all; `/readyz` answers
 * 200 only while every registered check passes (the server listening and not shutting down, Redis
 * reachable when configured), so a load balancer stops sending before it matters.
 */
import { Context, Effect, Layer } from "effect"
import type { ServerResponse } from "node:http"
import { HttpRoutes } from "./HttpRoutes.ts"

/** One readiness check: true when the part it watches can serve. */
export type Check = Effect.Effect<boolean>

export interface Readiness {
  readonly ready: boolean
  /** Each check by name: true when it passed. */
  readonly checks: Readonly<Record<string, boolean>>
}

/** The readiness checks of this instance; each layer registers the ones it owns. */
export class Health extends Context.Service<Health, {
  /** Adds (or replaces) the check called `name`. */
  readonly register: (name: string, check: Check) => Effect.Effect<void>
  /** Runs every check; a check that fails or dies counts as not ready. */
  readonly readiness: Effect.Effect<Readiness>
}>()("@tenfold/mcp/Health") {
  static layer = Layer.sync(Health, () => make())

  /** Mounts `/healthz` and `/readyz` (GET or HEAD) in the route table. */
  static routes = Layer.effectDiscard(Effect.gen(function*() {
    const health = yield* Health
    const routes = yield* HttpRoutes
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    yield* routes.add({ path: "/healthz", handle: (req, res) => answer(req.method, res, 200, `{"status":"ok"}`) })
    yield* routes.add({
      path: "/readyz",
      handle: (req, res) =>
        void runFork(health.readiness).addObserver((exit) => {
          const readiness: Readiness = exit._tag === "Success" ? exit.value : { ready: false, checks: {} }
          answer(req.method, res, readiness.ready ? 200 : 503, JSON.stringify(readiness))
        })
    })
  }))
}

const answer = (method: string | undefined, res: ServerResponse, status: number, body: string) => {
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end()
    return
  }
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "cache-control": "no-store" })
  res.end(method === "HEAD" ? undefined : body)
}

/** A check that has not answered in this long counts as failed. */
const CHECK_TIMEOUT_MS = 2000

export const make = () => {
  const checks = new Map<string, Check>()
  return Health.of({
    register: (name, check) => Effect.sync(() => void checks.set(name, check)),
    readiness: Effect.suspend(() =>
      Effect.forEach([...checks], ([name, check]) =>
        check.pipe(
          Effect.timeoutOrElse({ duration: CHECK_TIMEOUT_MS, orElse: () => Effect.succeed(false) }),
          Effect.catchCause(() => Effect.succeed(false)),
          Effect.map((ok) => [name, ok] as const)
        ), { concurrency: "unbounded" })
    ).pipe(Effect.map((results) => ({ ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) })))
  })
}
