/**
 * The streamer's Effect metrics: bytes and chunks sent, the duration of each stream, and the
 * streams open now. The telemetry layer exports them with every other metric.
 */
import { Metric } from "effect"

/** Bytes of serialised output every stream has emitted. */
export const bytes = Metric.counter("tenfold_streaming_bytes_total", { description: "Bytes emitted by streamed results" })

/** Chunks every stream has emitted (each at most `chunkBytes`). */
export const chunks = Metric.counter("tenfold_streaming_chunks_total", { description: "Chunks emitted by streamed results" })

/** How long each stream ran, from its first pull to its end, in milliseconds. */
export const duration = Metric.histogram("tenfold_streaming_duration_ms", {
  description: "Duration of one streamed result in milliseconds",
  boundaries: [1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 60_000]
})

/** Streams running now. */
export const active = Metric.gauge("tenfold_streaming_active", { description: "Streamed results in progress" })
