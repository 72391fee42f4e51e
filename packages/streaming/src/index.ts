/**
 * @tenfold/streaming — Tenfold's chunked streaming of large results, with backpressure and compression.
 */
export {}
