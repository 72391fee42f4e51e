/**
 * Prometheus text exposition of every Effect metric in the registry (effect's
 * `PrometheusMetrics.formatUnsafe`), as a request handler a route table can mount at `/metrics`.
 * The handler is plain `node:http`, so `@tenfold/metrics` stays free of the MCP packages.
 */
import { Effect } from "effect"
import { PrometheusMetrics } from "effect/observability"
import type { IncomingMessage, ServerResponse } from "node:http"

/** The content type of the Prometheus text format, version 0.0.4. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * A handler answering `GET`/`HEAD` with the registry of the context it was made in, as
 * Prometheus text (anything else: 405). Mount it with `HttpRoutes.route({ path: "/metrics", handle })`.
 */
export const handler = Effect.map(Effect.context<never>(), (context) => (req: IncomingMessage, res: ServerResponse): void => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end()
    return
  }
  const body = PrometheusMetrics.formatUnsafe(context)
  res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" })
  res.end(req.method === "HEAD" ? undefined : body)
})
