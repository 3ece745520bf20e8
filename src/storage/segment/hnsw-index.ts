/**
 * The one place tiervec talks to hnswlib-node, so its pitfalls are handled once:
 * - it takes plain arrays only (never typed arrays), so vectors are converted here;
 * - `searchKnn` is synchronous and throws when k exceeds the capacity, so k is clamped;
 * - `ef` resets to 10 after `readIndex`, so it is set before every search;
 * - deleted points still count in `getCurrentCount` and capacity, so counts here are rows, not live
 *   documents, and growth uses `resizeIndex` before the capacity is reached;
 * - `markDelete` throws on an already deleted label, so callers track deletions themselves.
 * Labels are segment row numbers (0, 1, 2, …); the segment maps them to ids.
 */

import hnswlib from 'hnswlib-node';
import type { Metric } from '../metric.ts';

const { HierarchicalNSW } = hnswlib;
type NativeIndex = InstanceType<typeof HierarchicalNSW>;

let synchronousFiles = false;

/**
 * Reads and writes index files synchronously (on) or on hnswlib's worker thread (off, the default).
 * For the seeded simulation: a worker thread's completion races with the simulated clock, so a run
 * would not replay exactly. Returns the previous setting.
 */
export function setSynchronousIndexFiles(on: boolean): boolean {
  const previous = synchronousFiles;
  synchronousFiles = on;
  return previous;
}

/** Whether index files are read, written and built synchronously (see setSynchronousIndexFiles). */
export function synchronousIndexFiles(): boolean {
  return synchronousFiles;
}

export interface HnswBuildParams {
  metric: Metric;
  dimension: number;
  m: number;
  efConstruction: number;
  /** Seed of hnswlib's level generator, so a segment's graph is reproducible. */
  seed: number;
}

export interface HnswSearchResult {
  labels: number[];
  distances: number[];
}

/** hnswlib's space for each metric: 'cosine' normalizes internally and reports 1 − similarity. */
function spaceFor(metric: Metric): 'cosine' | 'l2' | 'ip' {
  return metric;
}

export class HnswIndex {
  readonly #native: NativeIndex;
  readonly dimension: number;
  #capacity: number;
  /** No point added yet (searches answer nothing without a call into hnswlib). */
  #empty: boolean;
  /** The ef last set on the native index: a search sets it only when it changes. */
  #ef = -1;

  private constructor(native: NativeIndex, dimension: number, capacity: number) {
    this.#native = native;
    this.dimension = dimension;
    this.#capacity = capacity;
    this.#empty = native.getCurrentCount() === 0;
  }

  static create(params: HnswBuildParams, capacity: number): HnswIndex {
    const native = new HierarchicalNSW(spaceFor(params.metric), params.dimension);
    native.initIndex(Math.max(1, capacity), params.m, params.efConstruction, params.seed, false);
    return new HnswIndex(native, params.dimension, Math.max(1, capacity));
  }

  /** Reads an index file written by `write`. */
  static async read(path: string, metric: Metric, dimension: number): Promise<HnswIndex> {
    const native = new HierarchicalNSW(spaceFor(metric), dimension);
    if (synchronousFiles) native.readIndexSync(path, false);
    else await native.readIndex(path, false);
    return new HnswIndex(native, dimension, native.getMaxElements());
  }

  /** Rows in the graph, deleted ones included. */
  get count(): number {
    return this.#native.getCurrentCount();
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Adds a vector under `label`, doubling the capacity first when it is full. */
  add(vector: Float32Array, label: number): void {
    if (this.#native.getCurrentCount() >= this.#capacity) {
      this.#capacity *= 2;
      this.#native.resizeIndex(this.#capacity);
    }
    this.#native.addPoint(Array.from(vector), label);
    this.#empty = false;
  }

  markDeleted(label: number): void {
    this.#native.markDelete(label);
  }

  /**
   * The k nearest non-deleted labels, closest first. `query` must already be a plain array (convert
   * once per search, not once per segment). `filter` runs synchronously for each candidate label.
   */
  search(query: number[], k: number, ef: number, filter?: (label: number) => boolean): HnswSearchResult {
    if (this.#empty) return { labels: [], distances: [] };
    const wanted = Math.max(ef, k);
    if (wanted !== this.#ef) {
      this.#native.setEf(wanted);
      this.#ef = wanted;
    }
    const result = this.#native.searchKnn(query, Math.min(k, this.#capacity), filter);
    return { labels: result.neighbors, distances: result.distances };
  }

  /** Writes the index to `path` (callers write to a temporary path and rename). */
  async write(path: string): Promise<void> {
    if (synchronousFiles) this.#native.writeIndexSync(path);
    else await this.#native.writeIndex(path);
  }
}
