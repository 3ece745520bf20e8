/**
 * Recall of the searches a load run makes, for the `recall_min` criterion. During the load a seeded
 * share of the searches is kept (query, options, the ids answered) and every id the run writes is
 * noted; after the load each kept search runs again with `exact: true` and the two answers are
 * compared. Documents the run wrote (inserted, updated or deleted) are left out of both answers:
 * the exact search runs after the load, when they may differ from what the sampled search saw, while
 * every other document is as it was. So for a sample whose answer kept m untouched documents, recall
 * is the share of them among the m nearest untouched documents the exact search finds; the figure is
 * the sum over samples of what was found over the sum of m (recall@k, k the searches' own).
 *
 * It keeps samples and ids only; it never searches during the load.
 */

import { Rng } from '../../random.ts';
import { LIMITS } from '../../storage/limits.ts';
import { RECALL_SAMPLING_DEFAULTS, type SearchConfig } from './tiervec-config.ts';
import type { Searcher } from './tiervec-replicas.ts';

/** What a sampled search asked and answered. */
export interface RecallSample {
  tenant: string;
  vector: Float32Array;
  options: { k: number; ef?: number; filter?: { category: string } };
  ids: readonly string[];
}

export interface RecallResult {
  /** Samples compared (those with at least one untouched document in their answer). */
  samples: number;
  /** Untouched documents answered, and how many of them the exact search also ranked in its top. */
  expected: number;
  found: number;
  recall: number;
  /** The k of the searches (the smallest and largest when they vary). */
  kMin: number;
  kMax: number;
}

/** Exact searches run at once while comparing (they share promotions of the segments they read). */
const EXACT_CONCURRENCY = 4;

export class RecallSampler {
  readonly #rng: Rng;
  readonly #ratio: number;
  readonly #samplesMax: number;
  readonly #samples: RecallSample[] = [];
  /** Ids the run wrote, per tenant. */
  readonly #written = new Map<string, Set<string>>();

  constructor(search: Pick<SearchConfig, 'recallSampleRatio' | 'recallSamplesMax'>, seed: number) {
    this.#rng = new Rng(seed).fork('recall-samples');
    this.#ratio = search.recallSampleRatio ?? RECALL_SAMPLING_DEFAULTS.ratio;
    this.#samplesMax = search.recallSamplesMax ?? RECALL_SAMPLING_DEFAULTS.samplesMax;
  }

  get samples(): readonly RecallSample[] {
    return this.#samples;
  }

  /** Whether to keep the search about to start; draw synchronously, before it awaits anything. */
  sampleNext(): boolean {
    if (this.#samples.length >= this.#samplesMax) return false;
    return this.#rng.next() < this.#ratio;
  }

  keep(sample: RecallSample): void {
    if (this.#samples.length < this.#samplesMax) this.#samples.push(sample);
  }

  /** Notes a write to `id` by the run (whether or not it was acknowledged). */
  written(tenant: string, id: string): void {
    let ids = this.#written.get(tenant);
    if (ids === undefined) {
      ids = new Set();
      this.#written.set(tenant, ids);
    }
    ids.add(id);
  }

  /** Runs every sample again with `exact: true`; undefined when no sample can be compared. */
  async compare(searcherOf: (tenant: string) => Searcher): Promise<RecallResult | undefined> {
    const result = { samples: 0, expected: 0, found: 0, kMin: Infinity, kMax: 0 };
    let next = 0;
    const worker = async () => {
      while (next < this.#samples.length) {
        const sample = this.#samples[next++] as RecallSample;
        const written = this.#written.get(sample.tenant) ?? new Set<string>();
        const kept = sample.ids.filter((id) => !written.has(id));
        if (kept.length === 0) continue;
        // Enough to skip every written id (up to the store's largest k).
        const k = Math.min(sample.options.k + written.size, LIMITS.kMax);
        const exact = await searcherOf(sample.tenant).search(sample.vector, {
          ...sample.options,
          k,
          exact: true,
        });
        const truth = new Set(
          exact
            .map((hit) => hit.id)
            .filter((id) => !written.has(id))
            .slice(0, kept.length),
        );
        result.samples++;
        result.expected += kept.length;
        result.found += kept.filter((id) => truth.has(id)).length;
        result.kMin = Math.min(result.kMin, sample.options.k);
        result.kMax = Math.max(result.kMax, sample.options.k);
      }
    };
    await Promise.all(Array.from({ length: EXACT_CONCURRENCY }, worker));
    if (result.samples === 0) return undefined;
    return { ...result, recall: result.found / result.expected };
  }
}
