/**
 * @tenfold/semantic — Tenfold's semantic cache tier (L3): local embeddings, an HNSW vector index and a guard against wrong hits.
 */
export { cosine, EmbedError, Embedder } from "./Embedder.ts"
export type { EmbedFailure } from "./Embedder.ts"
export * as UseLiteEmbedder from "./UseLiteEmbedder.ts"
export { load as loadVectorIndex, make as makeVectorIndex, MAX_K, VectorIndex, VectorIndexError } from "./VectorIndex.ts"
export type { Vector, VectorHit, VectorIndexOptions } from "./VectorIndex.ts"
export * as TransformersEmbedder from "./TransformersEmbedder.ts"
export type { TransformersEmbedderOptions } from "./TransformersEmbedder.ts"
export * as Guard from "./Guard.ts"
export { droppedWrites, guardRefusals, SemanticTier } from "./SemanticTier.ts"
export type { SemanticTierOptions, SemanticTierStats } from "./SemanticTier.ts"
