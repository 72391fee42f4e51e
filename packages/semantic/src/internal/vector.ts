/** Vector arithmetic shared by the main thread and the embedding workers (no Effect import, so workers stay light). */

/** Scales `vector` in place to unit length (a zero vector stays zero) and returns it. */
export const normalize = (vector: Float32Array): Float32Array => {
  let sum = 0
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!
  const norm = Math.sqrt(sum)
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm
  return vector
}

/** The dot product of two vectors of the same length: the cosine similarity when both are unit vectors. */
export const dot = (a: Float32Array, b: Float32Array): number => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum
}
