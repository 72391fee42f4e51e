/**
 * @tenfold/streaming — Tenfold's chunked streaming of large results, with backpressure and
 * compression: the `Streamer` service, the serialisation it uses, `Accept-Encoding` negotiation
 * and zlib compressors, a backpressured writer for Node streams, and the streaming metrics.
 */
export * as Compression from "./Compression.ts"
export * as Serialize from "./Serialize.ts"
export * as StreamMetrics from "./StreamMetrics.ts"
export { DEFAULT_BUFFER_BYTES, DEFAULT_CHUNK_BYTES, defaultStreamer, Streamer } from "./Streamer.ts"
export type { StreamerOptions } from "./Streamer.ts"
export * as Writer from "./Writer.ts"
export * as Hold from "./Hold.ts"
