/**
 * Writes a segment built from rows of other segments (compaction, partitioning) and returns it
 * loaded. Normally the HNSW graph is built on the worker thread straight into the index file
 * (hnsw-build-thread.ts) and read back the way any sealed segment's index is, so the event loop only
 * copies columns (in time slices) and encodes the Arrow file. With synchronous index files (the
 * seeded simulation, where a worker's timing would break exact replay) the graph is built in-process,
 * in time slices of the injected clock. Both give the same graph. It writes only the new segment's
 * two files.
 */

import { join } from 'node:path';
import type { Clock } from '../../clock.ts';
import { type CopySource, copyColumns, copyRows, type SourceRow } from './copy-rows.ts';
import { buildIndexFile } from './hnsw-build-thread.ts';
import { type HnswBuildParams, HnswIndex, synchronousIndexFiles } from './hnsw-index.ts';
import { type SegmentDescriptor, type SegmentFileInfo, writeSegmentFiles } from './segment-file.ts';
import { SegmentMemory } from './segment-memory.ts';

let onThread = true;

/**
 * Builds graphs on the worker thread (on, the default) or in-process in time slices (off); for
 * benchmarks that compare the two. Returns the previous setting.
 */
export function setBuildOnThread(on: boolean): boolean {
  const previous = onThread;
  onThread = on;
  return previous;
}

export type BuiltSegmentInfo = Omit<
  SegmentFileInfo,
  'hnsw' | 'format' | 'formatVersion' | 'rows' | 'deletedRows'
>;

export async function writeBuiltSegment(
  dir: string,
  params: HnswBuildParams,
  sources: readonly CopySource[],
  rows: readonly SourceRow[],
  info: BuiltSegmentInfo,
  clock: Clock,
): Promise<{ memory: SegmentMemory; descriptor: SegmentDescriptor }> {
  const fileInfo = { ...info, rows: rows.length, deletedRows: 0 };
  if (synchronousIndexFiles() || !onThread) {
    const { memory, columns } = await copyRows(params, sources, rows, clock);
    const descriptor = await writeSegmentFiles(dir, memory, columns, fileInfo);
    memory.indexWritten(descriptor.hnsw.bytes);
    return { memory, descriptor };
  }
  const columns = await copyColumns(params.dimension, sources, rows, clock);
  const writer = {
    writeIndex: (path: string) => buildIndexFile(params, columns.vectors, columns.rows, path),
  };
  const descriptor = await writeSegmentFiles(dir, writer, columns, fileInfo);
  const index = await HnswIndex.read(join(dir, descriptor.hnsw.name), params.metric, params.dimension);
  return { memory: SegmentMemory.fromColumns(params, index, columns, descriptor.hnsw.bytes), descriptor };
}
