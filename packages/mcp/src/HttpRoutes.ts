/**
 * The route table of the HTTP server: paths besides the MCP endpoint (`/healthz`, `/readyz`, and
 * later `/metrics`, `/dashboard`), each added by the layer that owns it. Every route sits behind
 * the same gate as MCP (Host/Origin, auth, connection limits) and gets the caller's principal.
 */
import { Context, Effect, Layer } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"

/** One path and what answers it; the request has passed the gate when `handle` runs. */
export interface Route {
  readonly path: string
  readonly handle: (req: IncomingMessage, res: ServerResponse, principal: string | undefined) => void
}

/** The routes mounted beside the MCP endpoint. */
export class HttpRoutes extends Context.Service<HttpRoutes, {
  readonly add: (route: Route) => Effect.Effect<void>
  /** The route for a request path (without the query), if any. */
  readonly find: (path: string) => Route | undefined
}>()("@tenfold/mcp/HttpRoutes") {
  /** An empty table; route layers add to it. */
  static layer = Layer.sync(HttpRoutes, () => {
    const table = new Map<string, Route>()
    return HttpRoutes.of({ add: (route) => Effect.sync(() => void table.set(route.path, route)), find: (path) => table.get(path) })
  })

  /** A layer that mounts `route` (for the layer that owns it, e.g. metrics or a dashboard). */
  static route = (route: Route) => Layer.effectDiscard(HttpRoutes.use((routes) => routes.add(route)))
}
