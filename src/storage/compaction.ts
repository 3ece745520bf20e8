/**
 * Compaction: which sealed segments to rewrite, and the rewrite itself. Small segments (fewer live
 * rows than `smallSegmentRatio` × segmentVectorsMax) are merged, and segments with many deleted rows
 * (at least `deletedRatioMin` of their rows) are rewritten, in groups of at most segmentVectorsMax
 * live rows; the rewrite keeps only live rows and builds a fresh HNSW graph over them.
 *
 * The collection runs the rest (collection.ts, `compact()`): it holds the manifest lock so no seal
 * interleaves, writes the new segments' files and then the new manifest, swaps the segments in memory
 * once that manifest is durable (rows deleted meanwhile become tombstones of the new segment), and
 * only then removes the old files; the object store deletes what its new manifest no longer names
 * only after that manifest is durable there. This module does no I/O.
 */

import { checkNumber } from '../errors.ts';
import type { HnswBuildParams } from './segment/hnsw-index.ts';
import type { SegmentColumns, SegmentMemory } from './segment/segment-memory.ts';
import { SegmentMemory as Memory } from './segment/segment-memory.ts';
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
}

export interface CompactionCandidate {
  readonly seq: number;
  readonly rows: number;
  readonly liveRows: number;
}

export function resolveCompactionOptions(input: unknown): Readonly<Required<CompactionOptions>> {
  const given = checkOptionsObject('compact options', input ?? {}, Object.keys(COMPACTION_DEFAULTS));
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

/** Where a row of the merged segment came from. */
export interface RowOrigin {
  readonly seq: number;
  readonly row: number;
}

/**
 * Builds one segment from the rows of `sources` that `isLive` accepts, in order: a new in-memory
 * segment (HNSW graph included) frozen for writing, its columns, and each new row's origin.
 */
export function mergeSegments(
  params: HnswBuildParams,
  sources: readonly { seq: number; memory: SegmentMemory }[],
  isLive: (seq: number, row: number) => boolean,
): { memory: SegmentMemory; columns: SegmentColumns; origins: RowOrigin[] } {
  let expected = 0;
  for (const { memory } of sources) expected += memory.liveRows;
  const merged = Memory.createEmpty(params, Math.max(1, expected));
  const origins: RowOrigin[] = [];
  for (const { seq, memory } of sources) {
    for (let row = 0; row < memory.rows; row++) {
      if (!isLive(seq, row)) continue;
      merged.append({
        id: memory.id(row),
        vector: memory.vector(row),
        metadataJson: JSON.stringify(memory.metadata(row)),
        bytes: memory.docBytes(row),
      });
      origins.push({ seq, row });
    }
  }
  return { memory: merged, columns: merged.freeze(), origins };
}
