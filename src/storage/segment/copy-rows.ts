/**
 * Builds a new in-memory segment from rows of others (what compaction and partitioning write): the
 * rows are appended in order, each one inserted into a fresh HNSW graph, and the result is frozen for
 * writing. The graph build is the costly part (hundreds of milliseconds for a few thousand rows), so
 * it runs in time slices that give the event loop a turn every `TimeSlicer` slice: foreground reads
 * and writes wait a few milliseconds behind a build, not for all of it.
 *
 * `copyColumns` copies the rows without a graph, for a build on the worker thread
 * (hnsw-build-thread.ts). The segment built is private to the caller until the caller swaps it in,
 * so no search can see a half-built graph. It never reads or writes files.
 */

import type { Clock } from '../../clock.ts';
import { TimeSlicer } from '../../time-slicer.ts';
import type { HnswBuildParams } from './hnsw-index.ts';
import { type SegmentColumns, SegmentMemory } from './segment-memory.ts';

/** Where a row comes from: a source segment's seq and the row number in it. */
export interface SourceRow {
  readonly seq: number;
  readonly row: number;
}

export interface CopySource {
  readonly seq: number;
  readonly memory: SegmentMemory;
}

/** The columns of `rows` of `sources`, in order, with no graph (none deleted); in time slices. */
export async function copyColumns(
  dimension: number,
  sources: readonly CopySource[],
  rows: readonly SourceRow[],
  clock: Clock,
): Promise<SegmentColumns> {
  const memoryOf = new Map(sources.map((s) => [s.seq, s.memory]));
  const ids: string[] = [];
  const metadataJson: string[] = [];
  const vectors = new Float32Array(rows.length * dimension);
  const slicer = new TimeSlicer(clock);
  for (const [i, { seq, row }] of rows.entries()) {
    const memory = memoryOf.get(seq) as SegmentMemory;
    ids.push(memory.id(row));
    metadataJson.push(JSON.stringify(memory.metadata(row)));
    vectors.set(memory.vector(row), i * dimension);
    if (slicer.due()) await slicer.yield();
  }
  return { rows: rows.length, ids, vectors, metadataJson, deleted: new Uint8Array(rows.length) };
}

/** Builds one frozen in-memory segment (HNSW graph included) from `rows` of `sources`, in order. */
export async function copyRows(
  params: HnswBuildParams,
  sources: readonly CopySource[],
  rows: readonly SourceRow[],
  clock: Clock,
): Promise<{ memory: SegmentMemory; columns: SegmentColumns }> {
  const memoryOf = new Map(sources.map((s) => [s.seq, s.memory]));
  const copy = SegmentMemory.createEmpty(params, Math.max(1, rows.length));
  const slicer = new TimeSlicer(clock);
  for (const { seq, row } of rows) {
    const memory = memoryOf.get(seq) as SegmentMemory;
    copy.append({
      id: memory.id(row),
      vector: memory.vector(row),
      metadataJson: JSON.stringify(memory.metadata(row)),
      bytes: memory.docBytes(row),
    });
    if (slicer.due()) await slicer.yield();
  }
  return { memory: copy, columns: copy.freeze() };
}
