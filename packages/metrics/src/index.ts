/**
 * @tenfold/metrics — Tenfold's telemetry: request and process metrics, alerts, Prometheus and
 * OpenTelemetry export, and a live dashboard.
 */
export { Alerts } from "./Alerts.ts"
export { Dashboard } from "./Dashboard.ts"
export type { DashboardOptions, DashboardRoute, Point as DashboardPoint } from "./Dashboard.ts"
export type { AlertRule, AlertTargets } from "./Alerts.ts"
export * as Logging from "./Logging.ts"
export * as Otlp from "./Otlp.ts"
export * as ProcessMetrics from "./ProcessMetrics.ts"
export * as Prometheus from "./Prometheus.ts"
export { RequestMetrics } from "./RequestMetrics.ts"
export type { Recorder } from "./RequestMetrics.ts"
export type * as Snapshot from "./Snapshot.ts"
export type { TelemetrySnapshot } from "./Snapshot.ts"
export { Telemetry } from "./Telemetry.ts"
/** A snapshot cut to the busiest tools and methods (and the newest alerts), as the dashboard sends it: for answers that must stay small. */
export { trimmed as trimmedSnapshot } from "./internal/Frame.ts"
export type { TelemetryOptions } from "./Telemetry.ts"
export * as Tracing from "./Tracing.ts"
export { ToolCallTracing } from "./Tracing.ts"
