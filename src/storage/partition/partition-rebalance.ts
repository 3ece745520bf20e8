/**
 * The decisions of splitting and merging partitions (SPFresh/LIRE style), without I/O: each
 * partition's live rows, which partition to split or merge next, and the routing index after a split
 * (seeded 2-means on the partition's live rows) or a merge (the partition's centroid removed, later
 * partitions renumbered down by one). compaction.ts moves the rows: it assigns the split or merged
 * partition's live rows over the new routing index, so each goes to its nearest centroid (after a
 * split, a row nearer a neighbour's centroid than both new ones moves to that neighbour), and writes
 * them as segments of those partitions. Rows of neighbouring partitions stay where they are (LIRE's
 * reassignment of neighbours' boundary rows is not done: it would rewrite partitions that did not
 * change, and the `nprobe` nearest partitions a search reads cover those rows).
 *
 * It only reads segment memory; it must never change a segment or choose anything without the seed.
 */

import { Rng } from '../../random.ts';
import type { SealedSegment } from '../segment/sealed-segment.ts';
import type { RowOrigin } from '../segment-table.ts';
import { normaliseRows, sampleIndices, trainCentroids } from './kmeans.ts';
import { PARTITION_DEFAULTS } from './partition-defaults.ts';
import type { PartitionSource } from './partition-plan.ts';
import type { RoutingIndex } from './routing-index.ts';

export type RebalanceStep =
  | { readonly kind: 'split'; readonly partition: number }
  | { readonly kind: 'merge'; readonly partition: number };

/** What the splits and merges of one compaction did. */
export interface RebalanceStats {
  splits: number;
  merges: number;
  /** Live rows rewritten into new segments by those splits and merges. */
  rowsMoved: number;
  /** Partitions after them. */
  partitions: number;
}

/** Live rows per partition now (deletes included), summed over the sealed segments each names. */
export function partitionLiveRows(
  routing: RoutingIndex,
  sealed: readonly Pick<SealedSegment, 'id' | 'liveRows'>[],
): number[] {
  const rows = new Array<number>(routing.count).fill(0);
  for (const segment of sealed) {
    const p = routing.partitionOf(segment.id);
    if (p !== undefined) rows[p] = (rows[p] as number) + segment.liveRows;
  }
  return rows;
}

/** Live rows above which a partition is split. */
export function splitRowsAbove(targetPartitionRows: number): number {
  return PARTITION_DEFAULTS.splitRowsRatio * targetPartitionRows;
}

/** Live rows below which a partition is merged into its neighbours. */
export function mergeRowsBelow(targetPartitionRows: number): number {
  return PARTITION_DEFAULTS.mergeRowsRatio * targetPartitionRows;
}

/**
 * The next split or merge: the largest partition above the split threshold first, else the smallest
 * below the merge threshold (ties to the lower index); `skipped` partitions were found unsplittable.
 * Nothing is split at `partitionsMax` partitions, and the last partition is never merged.
 */
export function nextRebalanceStep(
  liveRows: readonly number[],
  targetPartitionRows: number,
  skipped: ReadonlySet<number> = new Set(),
): RebalanceStep | undefined {
  let split: number | undefined;
  let merge: number | undefined;
  liveRows.forEach((rows, p) => {
    if (rows > splitRowsAbove(targetPartitionRows) && !skipped.has(p)) {
      if (split === undefined || rows > (liveRows[split] as number)) split = p;
    }
    if (rows < mergeRowsBelow(targetPartitionRows)) {
      if (merge === undefined || rows < (liveRows[merge] as number)) merge = p;
    }
  });
  if (split !== undefined && liveRows.length < PARTITION_DEFAULTS.partitionsMax) {
    return { kind: 'split', partition: split };
  }
  if (merge !== undefined && liveRows.length > 1) return { kind: 'merge', partition: merge };
  return undefined;
}

/** The seed of partition `p`'s split: the partition defaults' seed and its first segment's seq. */
export function splitSeed(sources: readonly PartitionSource[]): number {
  const firstSeq = Math.min(...sources.map((s) => s.seq));
  return new Rng(PARTITION_DEFAULTS.seed).fork(`split-${firstSeq}`).nextUint32();
}

/**
 * The routing index with partition `p` split in two by seeded 2-means on the live rows of
 * `sources` (its segments), or undefined when the split is not worth making: the rows do not fall
 * into two groups that each keep at least the merge threshold once every row is assigned to its
 * nearest centroid (many equal vectors, say). For cosine the rows are normalised first.
 */
export function splitRouting(
  routing: RoutingIndex,
  p: number,
  sources: readonly PartitionSource[],
  isLive: (seq: number, row: number) => boolean,
  targetPartitionRows: number,
): RoutingIndex | undefined {
  const { dimension, metric } = routing;
  const origins: RowOrigin[] = [];
  for (const { seq, memory } of sources) {
    for (let row = 0; row < memory.rows; row++) if (isLive(seq, row)) origins.push({ seq, row });
  }
  if (origins.length < 2) return undefined;
  const memoryOf = new Map(sources.map((s) => [s.seq, s.memory]));
  const seed = splitSeed(sources);
  const picked = sampleIndices(origins.length, PARTITION_DEFAULTS.trainingSampleRowsMax, seed);
  const rows = new Float32Array(picked.length * dimension);
  picked.forEach((index, i) => {
    const { seq, row } = origins[index] as RowOrigin;
    rows.set(memoryOf.get(seq)?.vector(row) as Float32Array, i * dimension);
  });
  const spherical = metric === 'cosine';
  if (spherical) normaliseRows(rows, dimension);
  const halves = trainCentroids(rows, {
    dimension,
    k: 2,
    iterationsMax: PARTITION_DEFAULTS.iterationsMax,
    seed,
    spherical,
  });
  const next = routing.withSplit(p, halves);
  const counts = [0, 0];
  for (const { seq, row } of origins) {
    const vector = memoryOf.get(seq)?.vector(row) as Float32Array;
    let sum = 0;
    for (const x of vector) sum += x * x;
    const q = next.assign(vector, Math.sqrt(sum));
    if (q === p) counts[0] = (counts[0] as number) + 1;
    else if (q === routing.count) counts[1] = (counts[1] as number) + 1;
  }
  const smaller = Math.min(...counts);
  return smaller === 0 || smaller < mergeRowsBelow(targetPartitionRows) ? undefined : next;
}
