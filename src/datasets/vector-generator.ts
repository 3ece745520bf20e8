/**
 * Seeded embedding generators for tests, benchmarks and the load harness: `uniform` (every component
 * uniform in [-1, 1)) and `clustered` (Gaussian clusters around uniformly placed centres, the shape of
 * real embedding sets, where nearest neighbours share a cluster). The same seed and options always
 * give the same vectors, in the same order, on every machine.
 */

import { checkInteger } from '../errors.ts';
import { boolean, checkOptions, integer, number, oneOf } from '../options.ts';
import { Rng } from '../random.ts';

export type VectorDistribution = 'uniform' | 'clustered';

export interface VectorGeneratorOptions {
  seed: number;
  dimension: number;
  /** @default 'clustered' */
  distribution?: VectorDistribution;
  /** Clustered: number of clusters. @default 100 */
  clusters?: number;
  /** Clustered: standard deviation of each component around its centre (centres span [-1, 1)). @default 0.15 */
  clusterStdDev?: number;
  /** Scale every vector to unit length (for cosine and inner-product collections). @default false */
  normalize?: boolean;
}

export const VECTOR_GENERATOR_DEFAULTS = Object.freeze({
  distribution: 'clustered' as VectorDistribution,
  clusters: 100,
  clusterStdDev: 0.15,
  normalize: false,
});

const DIMENSION_MAX = 4096;
const CLUSTERS_MAX = 1_000_000;

/** What each generator option may be; any other key is rejected. */
export const VECTOR_GENERATOR_LIMITS = Object.freeze({
  seed: integer(0, 2 ** 32 - 1),
  dimension: integer(1, DIMENSION_MAX),
  distribution: oneOf(['uniform', 'clustered']),
  clusters: integer(1, CLUSTERS_MAX),
  clusterStdDev: number(0, 100),
  normalize: boolean(),
});

export class VectorGenerator {
  readonly dimension: number;
  readonly distribution: VectorDistribution;
  readonly #rng: Rng;
  readonly #centres: Float32Array | undefined;
  readonly #clusters: number;
  readonly #stdDev: number;
  readonly #normalize: boolean;

  constructor(options: VectorGeneratorOptions) {
    const checked = checkOptions(options, VECTOR_GENERATOR_LIMITS, VECTOR_GENERATOR_DEFAULTS);
    const { seed, distribution } = checked;
    this.dimension = checked.dimension;
    this.distribution = distribution;
    this.#clusters = checked.clusters;
    this.#stdDev = checked.clusterStdDev;
    this.#normalize = checked.normalize;
    const root = new Rng(seed);
    this.#rng = root.fork('points');
    if (distribution === 'clustered') {
      const centreRng = root.fork('centres');
      this.#centres = new Float32Array(this.#clusters * this.dimension);
      for (let i = 0; i < this.#centres.length; i++) this.#centres[i] = centreRng.nextFloat(-1, 1);
    }
  }

  /** The next vector of the stream. */
  next(): Float32Array {
    const vector = new Float32Array(this.dimension);
    const rng = this.#rng;
    if (this.#centres === undefined) {
      for (let i = 0; i < this.dimension; i++) vector[i] = rng.nextFloat(-1, 1);
    } else {
      const offset = rng.nextInt(this.#clusters) * this.dimension;
      for (let i = 0; i < this.dimension; i++) {
        vector[i] = (this.#centres[offset + i] as number) + rng.nextGaussian() * this.#stdDev;
      }
    }
    if (this.#normalize) normalizeInPlace(vector);
    return vector;
  }

  /** The next `count` vectors. */
  take(count: number): Float32Array[] {
    checkInteger('count', count, 0, 100_000_000);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < count; i++) vectors.push(this.next());
    return vectors;
  }
}

function normalizeInPlace(vector: Float32Array): void {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const length = Math.sqrt(sum);
  if (length === 0) {
    vector[0] = 1;
    return;
  }
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / length;
}

/** `count` vectors from a fresh generator: the one-call form for tests and fixtures. */
export function generateVectors(options: VectorGeneratorOptions & { count: number }): Float32Array[] {
  const { count, ...rest } = options;
  return new VectorGenerator(rest).take(count);
}
