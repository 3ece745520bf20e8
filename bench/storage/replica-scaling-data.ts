/**
 * The vectors and queries of the replica-scaling benchmark, drawn from one seed so the replicas and
 * the raw-hnswlib ceiling search the same data with the same queries. It must never depend on
 * tiervec's storage.
 */

import { Rng } from '../../src/random.ts';

const QUERIES = 256;

/** `count` vectors of `dimension` uniform components in [-1, 1), in insertion order. */
export function scalingVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: dimension }, () => rng.nextFloat(-1, 1)),
  );
}

/** The queries every search process cycles through (the same draw in every process). */
export function scalingQueries(dimension: number, seed: number): Float32Array[] {
  return scalingVectors(QUERIES, dimension, seed);
}
