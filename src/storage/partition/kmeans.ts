/**
 * Seeded k-means for the partitioned layout: k-means++ initialisation and a bounded number of Lloyd
 * iterations over a seeded sample, in Float32Array arithmetic. Rows and centroids are flat
 * Float32Arrays (`count × dimension`). For the cosine metric callers pass normalised rows and get
 * normalised centroids (spherical k-means); l2 and ip train on squared Euclidean distance.
 *
 * Training 500 centroids on 50,000 rows takes tens of seconds of CPU, so the work is a generator that
 * pauses every `ROWS_PER_STEP` rows: compaction runs it in time slices (`trainCentroidsSliced`), so
 * foreground operations wait milliseconds behind it, not seconds; small trainings run in one piece.
 *
 * Pure computation: no I/O, no clock, and never `Math.random()` (every choice draws from the seed).
 */

import { Rng } from '../../random.ts';
import { runSliced, runToEnd, type SteppedWork, type TimeSlicer } from '../../time-slicer.ts';

/** Rows between two points where the work may pause (each row costs k distances). */
const ROWS_PER_STEP = 32;

export interface KMeansOptions {
  readonly dimension: number;
  /** Centroids wanted (at most the number of rows). */
  readonly k: number;
  readonly iterationsMax: number;
  readonly seed: number;
  /** Normalise centroids after each update (cosine). */
  readonly spherical: boolean;
}

/** Squared Euclidean distance between row `a` of `as` and row `b` of `bs`. */
export function squaredDistance(
  as: Float32Array,
  a: number,
  bs: Float32Array,
  b: number,
  dimension: number,
): number {
  let sum = 0;
  const ao = a * dimension;
  const bo = b * dimension;
  for (let i = 0; i < dimension; i++) {
    const d = (as[ao + i] as number) - (bs[bo + i] as number);
    sum += d * d;
  }
  return sum;
}

/** Normalises each row in place (rows of norm 0 stay 0). */
export function normaliseRows(rows: Float32Array, dimension: number): Float32Array {
  for (let offset = 0; offset < rows.length; offset += dimension) {
    let sum = 0;
    for (let i = 0; i < dimension; i++) sum += (rows[offset + i] as number) ** 2;
    if (sum === 0) continue;
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < dimension; i++) rows[offset + i] = (rows[offset + i] as number) * scale;
  }
  return rows;
}

/** Index of the centroid nearest to row `row` of `rows` by squared distance. */
function nearestCentroid(
  rows: Float32Array,
  row: number,
  centroids: Float32Array,
  k: number,
  dimension: number,
): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    const d = squaredDistance(rows, row, centroids, c, dimension);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

/** k-means++: each next centroid is a row drawn with probability proportional to D². */
function* initialCentroids(
  rows: Float32Array,
  count: number,
  options: KMeansOptions,
  rng: Rng,
): SteppedWork<Float32Array> {
  const { dimension, k } = options;
  const centroids = new Float32Array(k * dimension);
  const first = rng.nextInt(count);
  centroids.set(rows.subarray(first * dimension, (first + 1) * dimension), 0);
  const nearest = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let row = 0; row < count; row++) {
      const d = squaredDistance(rows, row, centroids, c - 1, dimension);
      if (d < (nearest[row] as number)) nearest[row] = d;
      total += nearest[row] as number;
      if (row % (ROWS_PER_STEP * 16) === 0) yield;
    }
    let pick = count - 1;
    let target = rng.next() * total;
    for (let row = 0; row < count; row++) {
      target -= nearest[row] as number;
      if (target < 0) {
        pick = row;
        break;
      }
    }
    centroids.set(rows.subarray(pick * dimension, (pick + 1) * dimension), c * dimension);
  }
  return centroids;
}

/** One Lloyd update; an empty cluster keeps its centroid. Returns the rows that changed cluster. */
function* lloydStep(
  rows: Float32Array,
  count: number,
  centroids: Float32Array,
  assignment: Int32Array,
  options: KMeansOptions,
): SteppedWork<number> {
  const { dimension, k } = options;
  let changed = 0;
  const sums = new Float64Array(k * dimension);
  const sizes = new Int32Array(k);
  for (let row = 0; row < count; row++) {
    const c = nearestCentroid(rows, row, centroids, k, dimension);
    if (c !== assignment[row]) changed++;
    assignment[row] = c;
    sizes[c] = (sizes[c] as number) + 1;
    const ro = row * dimension;
    const co = c * dimension;
    for (let i = 0; i < dimension; i++) sums[co + i] = (sums[co + i] as number) + (rows[ro + i] as number);
    if (row % ROWS_PER_STEP === 0) yield;
  }
  for (let c = 0; c < k; c++) {
    const size = sizes[c] as number;
    if (size === 0) continue;
    for (let i = 0; i < dimension; i++)
      centroids[c * dimension + i] = (sums[c * dimension + i] as number) / size;
  }
  if (options.spherical) normaliseRows(centroids, dimension);
  return changed;
}

/** Trains `k` centroids on `rows` (count × dimension) in one piece; deterministic for a given seed. */
export function trainCentroids(rows: Float32Array, options: KMeansOptions): Float32Array {
  return runToEnd(centroidSteps(rows, options));
}

/** The same centroids as `trainCentroids`, computed in `slicer`'s time slices. */
export function trainCentroidsSliced(
  rows: Float32Array,
  options: KMeansOptions,
  slicer: TimeSlicer,
): Promise<Float32Array> {
  return runSliced(centroidSteps(rows, options), slicer);
}

function* centroidSteps(rows: Float32Array, options: KMeansOptions): SteppedWork<Float32Array> {
  const count = rows.length / options.dimension;
  if (!Number.isInteger(count) || count < 1 || options.k < 1 || options.k > count) {
    throw new Error(`trainCentroids: ${count} rows cannot give ${options.k} centroids`);
  }
  const rng = new Rng(options.seed);
  const centroids = yield* initialCentroids(rows, count, options, rng);
  if (options.spherical) normaliseRows(centroids, options.dimension);
  const assignment = new Int32Array(count).fill(-1);
  for (let iteration = 0; iteration < options.iterationsMax; iteration++) {
    if ((yield* lloydStep(rows, count, centroids, assignment, options)) === 0) break;
  }
  return centroids;
}

/** A seeded sample of `sampleMax` distinct indices from [0, count), in ascending order. */
export function sampleIndices(count: number, sampleMax: number, seed: number): number[] {
  if (count <= sampleMax) return Array.from({ length: count }, (_, i) => i);
  // Partial Fisher–Yates over an index array: exact, seeded, O(count) memory.
  const rng = new Rng(seed);
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) indices[i] = i;
  for (let i = 0; i < sampleMax; i++) {
    const j = i + rng.nextInt(count - i);
    const t = indices[i] as number;
    indices[i] = indices[j] as number;
    indices[j] = t;
  }
  return Array.from(indices.subarray(0, sampleMax)).sort((a, b) => a - b);
}
