/**
 * The documents and queries a tiervec load run uses: ids, seeded vectors addressed by index (so a
 * document can be regenerated instead of kept), and metadata with a `category` field that filtered
 * searches select on. Each tenant's ids carry its name, so a document seen by the wrong tenant is
 * recognisable. Pure: no store, no clock.
 */

import type { Rng } from '../../random.ts';
import { createVectorGenerator, type VectorGenerator } from '../workload.ts';
import type { TiervecTargetConfig } from './tiervec-config.ts';

/** Queries are drawn from indexes far above any document's, so they are fresh points of the same clusters. */
const QUERY_INDEX_BASE = 2 ** 31;

export interface DocumentShape {
  id: string;
  vector: Float32Array;
  metadata: { tenant: string; category: string; n: number; version: number };
}

export class TiervecWorkload {
  readonly #vectors: VectorGenerator;
  readonly #categories: number;
  readonly #kMin: number;
  readonly #kSpan: number;
  readonly #filterRatio: number;
  readonly ef: number | undefined;

  constructor(config: Pick<TiervecTargetConfig, 'data' | 'search' | 'seed'>) {
    const { data, search } = config;
    this.#vectors = createVectorGenerator({
      dimension: data.dimension,
      distribution: data.distribution,
      clusters: data.clusters,
      seed: config.seed,
    });
    this.#categories = data.categories;
    this.#kMin = search.kMin;
    this.#kSpan = search.kMax - search.kMin + 1;
    this.#filterRatio = search.filterRatio;
    this.ef = search.ef;
  }

  /** The id prefix of a tenant's documents. */
  static prefix(tenant: string): string {
    return `${tenant}.`;
  }

  /** Document number `n` of a tenant: preloaded ones are `…p<n>`, inserted ones `…n<n>`. */
  document(tenant: string, kind: 'p' | 'n', n: number, vectorIndex: number, version = 0): DocumentShape {
    return {
      id: `${TiervecWorkload.prefix(tenant)}${kind}${n}`,
      vector: this.#vectors.vectorAt(vectorIndex),
      metadata: this.metadata(tenant, n, version),
    };
  }

  /** The metadata of document number `n` at `version`; its category never changes. */
  metadata(tenant: string, n: number, version: number): DocumentShape['metadata'] {
    return { tenant, category: `c${n % this.#categories}`, n, version };
  }

  /** A new vector for an update of a document. */
  vector(index: number): Float32Array {
    return this.#vectors.vectorAt(index);
  }

  /** Everything a search needs, drawn synchronously from the operation's generator. */
  query(rng: Rng): { vector: Float32Array; k: number; filter: { category: string } | undefined } {
    const vector = this.#vectors.vectorAt(QUERY_INDEX_BASE + rng.nextInt(QUERY_INDEX_BASE - 1));
    const k = this.#kMin + rng.nextInt(this.#kSpan);
    const filtered = this.#filterRatio > 0 && rng.next() < this.#filterRatio;
    return { vector, k, filter: filtered ? { category: `c${rng.nextInt(this.#categories)}` } : undefined };
  }
}

/**
 * Splits `total` documents over tenants by weight: largest remainders, so the counts add up exactly
 * and the same weights always give the same split.
 */
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, i) => [value - Math.floor(value), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}
