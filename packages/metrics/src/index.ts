/**
 * @tenfold/metrics — Tenfold's telemetry: request and process metrics, alerts, Prometheus and
 * OpenTelemetry export, and a live dashboard.
 */
export type * as Snapshot from "./Snapshot.ts"
