/**
 * Exact distances, computed the way hnswlib reports them so that exact and HNSW results can be merged
 * and compared: `l2` is the squared Euclidean distance, `ip` is 1 − dot product, and `cosine` is
 * 1 − cosine similarity. Lower is closer for every metric.
 */

import type { Metric } from '../metric.ts';

/** Euclidean norm of `vector[offset .. offset + dimension)`. */
export function norm(vector: Float32Array, offset: number, dimension: number): number {
  let sum = 0;
  for (let i = 0; i < dimension; i++) {
    const x = vector[offset + i] as number;
    sum += x * x;
  }
  return Math.sqrt(sum);
}

/**
 * Distance between `query` and the row at `offset` in `rows`. `queryNorm` and `rowNorm` are used by
 * the cosine metric only (pass the precomputed norms).
 */
export function distance(
  metric: Metric,
  query: Float32Array,
  queryNorm: number,
  rows: Float32Array,
  offset: number,
  rowNorm: number,
): number {
  const dimension = query.length;
  if (metric === 'l2') {
    let sum = 0;
    for (let i = 0; i < dimension; i++) {
      const d = (query[i] as number) - (rows[offset + i] as number);
      sum += d * d;
    }
    return sum;
  }
  let dot = 0;
  for (let i = 0; i < dimension; i++) dot += (query[i] as number) * (rows[offset + i] as number);
  if (metric === 'ip') return 1 - dot;
  return 1 - dot / (queryNorm * rowNorm);
}

/**
 * Distance between `query` and the row at `offset` in `rows`, as `distance` computes it, with the
 * row's norm (cosine) summed in the same pass: an exact scan keeps no per-row norms, so a segment
 * loaded from disk for one scan costs no extra pass over its vectors. The extra sum is nearly free (the
 * loop waits on its additions, not on memory).
 */
export function rowDistance(
  metric: Metric,
  query: Float32Array,
  queryNorm: number,
  rows: Float32Array,
  offset: number,
): number {
  if (metric !== 'cosine') return distance(metric, query, queryNorm, rows, offset, 1);
  const dimension = query.length;
  let dot = 0;
  let squares = 0;
  for (let i = 0; i < dimension; i++) {
    const x = rows[offset + i] as number;
    dot += (query[i] as number) * x;
    squares += x * x;
  }
  return 1 - dot / (queryNorm * Math.sqrt(squares));
}
