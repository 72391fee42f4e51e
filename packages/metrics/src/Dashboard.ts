/**
 * The live dashboard: `GET /dashboard`, a self-contained page (uPlot inline from the installed
 * package, nothing fetched from elsewhere), and `GET /dashboard/events`, an SSE stream that sends a {@link Point} and the latest
 * telemetry snapshot once a second. A short history is kept server-side, so a freshly opened page
 * shows its charts at once. The routes are plain `node:http` handlers; the runtime mounts them in
 * its route table, behind the same gate (Host/Origin, bearer auth) as the MCP endpoint.
 */
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import { page } from "./internal/dashboard/Page.ts"
import { event, EventClients } from "./internal/EventClients.ts"
import { type Point, pointOf, trimmed } from "./internal/Frame.ts"
import { Ring } from "./internal/Ring.ts"
import type { TelemetrySnapshot } from "./Snapshot.ts"
import { Telemetry } from "./Telemetry.ts"

export type { Point } from "./internal/Frame.ts"

/** One path of the dashboard and what answers it (shaped like a route of the HTTP route table). */
export interface DashboardRoute {
  readonly path: string
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
}

/** Where the dashboard is served, how often it updates and how much it keeps; every field has a default. */
export interface DashboardOptions {
  /** Path of the page (default `/dashboard`); the event stream is at `<path>/events`. */
  readonly path?: string
  /** Time between two frames (default 1 second). */
  readonly interval?: Duration.Input
  /** Frames kept for a freshly opened page (default 300: five minutes at one a second). */
  readonly historySize?: number
  /** Dashboard event streams open at once; past it 503 with Retry-After (default 16). */
  readonly maxClients?: number
}

/** Bytes a dashboard stream may have waiting to be sent before it is closed as not reading. */
const MAX_BUFFERED_BYTES = 1024 * 1024

/** The dashboard's routes and its state, for the route table and for tests. */
export class Dashboard extends Context.Service<Dashboard, {
  /** The page and its event stream, to mount in the HTTP route table. */
  readonly routes: ReadonlyArray<DashboardRoute>
  /** The kept points, oldest first. */
  readonly history: Effect.Effect<ReadonlyArray<Point>>
  /** Event streams open now. */
  readonly clients: Effect.Effect<number>
}>()("@tenfold/metrics/Dashboard") {
  /** The dashboard over the `Telemetry` service's snapshots; sampling runs for the layer's lifetime. */
  static layer = (options: DashboardOptions = {}) =>
    Layer.effect(Dashboard, Telemetry.use((telemetry) => make(telemetry.snapshot, options)))
}

/** Builds the dashboard over `snapshot`: samples it every interval into the history and to every open stream. */
export const make = (snapshot: Effect.Effect<TelemetrySnapshot>, options: DashboardOptions = {}) =>
  Effect.gen(function*() {
    const path = options.path ?? "/dashboard"
    const eventsPath = `${path}/events`
    const history = new Ring<Point>(options.historySize ?? 300)
    const clients = new EventClients({ maxClients: options.maxClients ?? 16, maxBufferedBytes: MAX_BUFFERED_BYTES })
    let latest: TelemetrySnapshot | undefined

    const sample = snapshot.pipe(
      Effect.map((taken) => {
        // the telemetry loop and this one are not in phase: a frame that finds no newer reading sends nothing
        if (latest !== undefined && taken.at === latest.at) return
        const point = pointOf(taken)
        history.push(point)
        latest = trimmed(taken)
        if (clients.size > 0) clients.broadcast(event("tick", JSON.stringify({ point, snapshot: latest })))
      }),
      Effect.catchCause((cause) => Effect.logWarning("dashboard: taking a telemetry snapshot failed", cause))
    )
    yield* Effect.forkScoped(sample.pipe(Effect.repeat(Schedule.fixed(options.interval ?? "1 second"))))
    yield* Effect.addFinalizer(() => Effect.sync(() => clients.closeAll()))

    const html = page(eventsPath)
    const routes: ReadonlyArray<DashboardRoute> = [
      {
        path,
        handle: (req, res) => {
          if (req.method !== "GET" && req.method !== "HEAD") return notAllowed(res, "GET, HEAD")
          const { body, headers } = html()
          res.writeHead(200, headers)
          res.end(req.method === "HEAD" ? undefined : body)
        }
      },
      {
        path: eventsPath,
        handle: (req, res) => {
          if (req.method !== "GET") return notAllowed(res, "GET")
          clients.attach(req, res, event("history", JSON.stringify({ points: history.toArray(), snapshot: latest ?? null })))
        }
      }
    ]
    return Dashboard.of({ routes, history: Effect.sync(() => history.toArray()), clients: Effect.sync(() => clients.size) })
  })

const notAllowed = (res: ServerResponse, allow: string) => void res.writeHead(405, { allow }).end()
