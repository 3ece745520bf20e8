/**
 * What compaction does, decided without I/O: its options (`COMPACTION_DEFAULTS`, checked by
 * `resolveCompactionOptions`), which sealed segments are worth rewriting together (`planCompaction`:
 * small segments merged, segments with many deleted rows rewritten, in groups of at most
 * segmentVectorsMax live rows), and the shape of its result. compaction.ts does the writing; this
 * module must never read or write a file.
 */

import { checkInteger, checkNumber } from '../errors.ts';
import { PARTITION_DEFAULTS } from './partition/partition-defaults.ts';
import type { RebalanceStats } from './partition/partition-rebalance.ts';
import { checkOptionsObject } from './validation.ts';

export const COMPACTION_DEFAULTS = Object.freeze({
  /** A segment with fewer live rows than this fraction of `segmentVectorsMax` is merged with others. */
  smallSegmentRatio: 0.5,
  /** A segment with at least this fraction of its rows deleted is rewritten, even alone. */
  deletedRatioMin: 0.2,
});

export interface CompactionOptions {
  /** @default 0.5 */
  smallSegmentRatio?: number;
  /** @default 0.2 */
  deletedRatioMin?: number;
  /** Sealed live rows at which compaction first partitions the collection. @default PARTITION_DEFAULTS.partitionRowsMin */
  partitionRowsMin?: number;
  /** Rows a partition aims to hold when centroids are trained. @default PARTITION_DEFAULTS.targetPartitionRows */
  targetPartitionRows?: number;
}

/** What a compaction did to the partitioned layout (absent when it did nothing there). */
export interface PartitioningStats {
  /** True when this compaction trained the centroids (the first partitioning). */
  trained: boolean;
  partitions: number;
  /** Unpartitioned sealed segments whose rows were assigned to partitions. */
  segmentsPartitioned: number;
  rowsAssigned: number;
}

export interface CompactionResult {
  /** Sealed segments before and after. */
  segmentsBefore: number;
  segmentsAfter: number;
  /** Segments rewritten, and the segments written for them. */
  segmentsRewritten: number;
  segmentsWritten: number;
  /** Deleted rows dropped from the rewritten segments. */
  rowsDropped: number;
  partitioning?: PartitioningStats;
  /** Partitions split and merged (absent when none was). */
  rebalancing?: RebalanceStats;
}

export interface CompactionCandidate {
  readonly seq: number;
  readonly rows: number;
  readonly liveRows: number;
}

export function resolveCompactionOptions(input: unknown): Readonly<Required<CompactionOptions>> {
  const given = checkOptionsObject('compact options', input ?? {}, [
    ...Object.keys(COMPACTION_DEFAULTS),
    'partitionRowsMin',
    'targetPartitionRows',
  ]);
  return Object.freeze({
    smallSegmentRatio: checkNumber(
      'smallSegmentRatio',
      given.smallSegmentRatio ?? COMPACTION_DEFAULTS.smallSegmentRatio,
      0,
      1,
    ),
    deletedRatioMin: checkNumber(
      'deletedRatioMin',
      given.deletedRatioMin ?? COMPACTION_DEFAULTS.deletedRatioMin,
      0,
      1,
    ),
    partitionRowsMin: checkInteger(
      'partitionRowsMin',
      given.partitionRowsMin ?? PARTITION_DEFAULTS.partitionRowsMin,
      2,
      Number.MAX_SAFE_INTEGER,
    ),
    targetPartitionRows: checkInteger(
      'targetPartitionRows',
      given.targetPartitionRows ?? PARTITION_DEFAULTS.targetPartitionRows,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
  });
}

/** Groups of segments (by seq, in order) worth rewriting together. */
export function planCompaction(
  segments: readonly CompactionCandidate[],
  segmentVectorsMax: number,
  options: Readonly<Required<CompactionOptions>>,
): number[][] {
  const deletedHeavy = (s: CompactionCandidate) =>
    s.rows > 0 && (s.rows - s.liveRows) / s.rows >= options.deletedRatioMin && s.rows > s.liveRows;
  const candidates = segments.filter(
    (s) => s.liveRows < options.smallSegmentRatio * segmentVectorsMax || deletedHeavy(s),
  );
  const groups: CompactionCandidate[][] = [];
  let current: CompactionCandidate[] = [];
  let live = 0;
  for (const segment of candidates) {
    if (current.length > 0 && live + segment.liveRows > segmentVectorsMax) {
      groups.push(current);
      current = [];
      live = 0;
    }
    current.push(segment);
    live += segment.liveRows;
  }
  if (current.length > 0) groups.push(current);
  return groups
    .filter((group) => group.length > 1 || deletedHeavy(group[0] as CompactionCandidate))
    .map((group) => group.map((segment) => segment.seq));
}
