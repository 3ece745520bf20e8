/**
 * The workload: which operation each arrival runs (a weighted mix drawn from a seeded Rng) and the
 * seeded data generators targets use to build datasets and queries. Both are deterministic for a
 * given seed; neither reads a clock or touches a store.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { Rng } from '../random.ts';
import { enumField, fieldError, numberField, objectField, optionalNumberField } from './field-check.ts';

/** The most distinct operations one mix may name. */
export const MIX_OPERATIONS_MAX = 64;

export interface Mix {
  /** Operation names with a weight above 0, in the order given. */
  readonly operations: readonly string[];
  /** Their weights normalized to sum to 1. */
  readonly shares: readonly number[];
  /** Draws the index (into `operations`) of the next operation. */
  pick(): number;
}

/** Validates a `{ name: weight }` mix (any non-negative numbers, sum above 0) and builds its chooser. */
export function createMix(weights: unknown, rng: Rng, field = 'mix'): Mix {
  const mix = objectField(field, weights);
  const entries = Object.entries(mix);
  if (entries.length === 0 || entries.length > MIX_OPERATIONS_MAX) {
    throw fieldError(field, `an object with 1 to ${MIX_OPERATIONS_MAX} operations`, entries.length);
  }
  const operations: string[] = [];
  const raw: number[] = [];
  for (const [name, weight] of entries) {
    const value = numberField(`${field}.${name}`, weight, 0, 1e12);
    if (value > 0) {
      operations.push(name);
      raw.push(value);
    }
  }
  const total = raw.reduce((sum, w) => sum + w, 0);
  if (!(total > 0)) throw fieldError(field, 'weights that sum to more than 0', total);
  const shares = raw.map((w) => w / total);
  const cumulative = new Float64Array(shares.length);
  let running = 0;
  shares.forEach((share, i) => {
    running += share;
    cumulative[i] = running;
  });
  const lastIndex = shares.length - 1;
  return {
    operations,
    shares,
    pick() {
      const u = rng.next();
      for (let i = 0; i < lastIndex; i++) if (u < (cumulative[i] as number)) return i;
      return lastIndex;
    },
  };
}

export const VECTOR_DISTRIBUTIONS = ['uniform', 'clustered'] as const;
export type VectorDistribution = (typeof VECTOR_DISTRIBUTIONS)[number];

export interface VectorGeneratorOptions {
  /** Components per vector, 1 to 4096. */
  dimension: number;
  /** `uniform`: components uniform in [-1, 1); `clustered`: Gaussian noise around seeded centroids. @default 'uniform' */
  distribution?: VectorDistribution;
  /** Number of centroids of a clustered distribution. @default 16 */
  clusters?: number;
  /** Standard deviation of the noise around a centroid. @default 0.1 */
  spread?: number;
  seed: number;
}

export interface VectorGenerator {
  readonly dimension: number;
  /** Vector number `index`; the same index and seed always give the same vector. */
  vectorAt(index: number): Float32Array;
}

/** A seeded, index-addressable vector generator: datasets need not be kept to be regenerated. */
export function createVectorGenerator(options: VectorGeneratorOptions): VectorGenerator {
  const dimension = numberField('data.dimension', options.dimension, 1, 4096, { integer: true });
  const distribution = enumField(
    'data.distribution',
    options.distribution ?? 'uniform',
    VECTOR_DISTRIBUTIONS,
  );
  const clusters = optionalNumberField('data.clusters', options.clusters, 1, 65_536, 16, { integer: true });
  const spread = optionalNumberField('data.spread', options.spread, 0, 10, 0.1);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed >= 2 ** 32) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`seed\` to be an integer from 0 to ${2 ** 32 - 1}, got ${options.seed}`,
    );
  }
  const root = new Rng(options.seed);
  const centroids: Float32Array[] = [];
  if (distribution === 'clustered') {
    const centroidRng = root.fork('centroids');
    for (let c = 0; c < clusters; c++) centroids.push(uniformVector(centroidRng, dimension));
  }
  return {
    dimension,
    vectorAt(index: number): Float32Array {
      const rng = new Rng((Math.imul(index + 1, 0x9e3779b1) ^ options.seed) >>> 0);
      if (distribution === 'uniform') return uniformVector(rng, dimension);
      const centroid = centroids[rng.nextInt(clusters)] as Float32Array;
      const vector = new Float32Array(dimension);
      for (let d = 0; d < dimension; d++) vector[d] = (centroid[d] as number) + spread * rng.nextGaussian();
      return vector;
    },
  };
}

function uniformVector(rng: Rng, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let d = 0; d < dimension; d++) vector[d] = rng.nextFloat(-1, 1);
  return vector;
}
