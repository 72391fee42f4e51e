/**
 * @tenfold/connections — Tenfold's outbound HTTP connection pools on undici, with profiles and adaptive sizing.
 */
export {}
