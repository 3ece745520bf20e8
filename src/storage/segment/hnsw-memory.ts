/**
 * The native memory of one hnswlib index, as a model the hot budget can count (hnswlib allocates
 * outside the V8 heap, so `process.memoryUsage().heapUsed` never sees it). It only computes; it must
 * never allocate an index.
 *
 * Measured with RSS on hnswlib-node 3.0.0 (dimension 128, m 16; `scratch`-free reproduction in
 * test/unit/storage/segment/hnsw-memory.test.ts):
 * - every index, even of capacity 1, costs about 2.66 MB: hnswlib constructs 65,536 label-operation
 *   mutexes of 40 bytes each (2.62 MB) plus its visited-list pool, whatever the capacity;
 * - each allocated slot costs about 45 bytes once touched (a per-element mutex and level);
 * - each added row costs 737 to 847 bytes: the level-0 record (vector, 2m links, label), the label
 *   hash map entry and the expected 1 / (m − 1) upper-level link lists.
 */

import type { HnswBuildParams } from './hnsw-index.ts';

export const HNSW_MEMORY_MODEL = Object.freeze({
  /** Bytes every index costs whatever its size (65,536 mutexes × 40 B, plus pools), rounded up. */
  fixedBytes: 2_700_000,
  /** Bytes per allocated slot (mutex, level, link-list pointer). */
  slotBytes: 48,
  /** Bytes per row beyond the vector and links: label map entry and allocator overhead. */
  rowOverheadBytes: 96,
});

/** Modelled native bytes of an index with `capacity` slots holding `rows` rows. */
export function hnswNativeBytes(
  params: Pick<HnswBuildParams, 'dimension' | 'm'>,
  capacity: number,
  rows: number,
): number {
  const level0 = params.dimension * 4 + (2 * params.m + 1) * 4 + 8;
  const upper = ((params.m + 1) * 4) / Math.max(1, params.m - 1);
  const perRow = level0 + upper + HNSW_MEMORY_MODEL.rowOverheadBytes;
  return Math.round(HNSW_MEMORY_MODEL.fixedBytes + capacity * HNSW_MEMORY_MODEL.slotBytes + rows * perRow);
}
