/**
 * @tenfold/semantic — Tenfold's semantic cache tier (L3): local embeddings, an HNSW vector index and a guard against wrong hits.
 */
export {}
