import { describe, expect, it } from 'vitest';
import { ActiveSegment } from '../../../../src/storage/segment/active-segment.ts';
import type { HnswBuildParams } from '../../../../src/storage/segment/hnsw-index.ts';
import type { SealedSegment } from '../../../../src/storage/segment/sealed-segment.ts';
import { writeSegmentFiles } from '../../../../src/storage/segment/segment-file.ts';
import { validateDocuments } from '../../../../src/storage/validation.ts';
import { seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-sealed-');
const params: HnswBuildParams = { metric: 'l2', dimension: 4, m: 8, efConstruction: 32, seed: 1 };

async function sealedSample(dir: string): Promise<SealedSegment> {
  const active = new ActiveSegment(1, '0000000001', params, 16, 0);
  const docs = validateDocuments(
    Array.from({ length: 12 }, (_, i) => ({ id: `d${i}`, vector: seededVector(i + 1, 4) })),
    4,
    'l2',
  );
  for (const doc of docs) active.append(doc);
  const { segment, columns } = active.freeze(dir);
  const memory = segment.loaded();
  if (memory === undefined) throw new Error('a frozen segment is loaded');
  const descriptor = await writeSegmentFiles(dir, memory, columns, {
    id: segment.id,
    seq: 1,
    dimension: 4,
    metric: 'l2',
    m: 8,
    efConstruction: 32,
    seed: 1,
    rows: 12,
    deletedRows: 0,
    createdAtMs: 0,
  });
  memory.indexWritten(descriptor.hnsw.bytes);
  expect(segment.unload()).toBe(false);
  segment.markSealed(descriptor);
  return segment;
}

describe('SealedSegment', () => {
  it('unloads to warm and loads back to hot from its files, with one read for concurrent loads', async () => {
    const dir = await temp.make();
    const segment = await sealedSample(dir);
    expect(segment.tier).toBe('hot');
    expect(segment.unload()).toBe(true);
    expect(segment.tier).toBe('warm');
    expect(segment.loaded()).toBeUndefined();
    const [a, b] = await Promise.all([segment.load(), segment.load()]);
    expect(a).toBe(b);
    expect(segment.loads).toBe(1);
    expect(segment.tier).toBe('hot');
    expect(a.vector(5)).toEqual(seededVector(6, 4));
  });

  it('keeps tombstones made while warm and applies them when loaded', async () => {
    const dir = await temp.make();
    const segment = await sealedSample(dir);
    segment.unload();
    expect(segment.tombstone(2)).toBe(true);
    expect(segment.tombstone(2)).toBe(false);
    expect(segment.isDeleted(2)).toBe(true);
    expect(segment.liveRows).toBe(11);
    const memory = await segment.load();
    expect(memory.isDeleted(2)).toBe(true);
    const query = Array.from(seededVector(3, 4));
    expect(memory.annSearch(query, 3, 32).map((h) => h.id)).not.toContain('d2');
  });

  it('reports memory bytes when hot and file bytes when warm', async () => {
    const dir = await temp.make();
    const segment = await sealedSample(dir);
    const descriptor = segment.descriptor;
    expect(segment.bytes().memory?.vectors).toBe(12 * 16);
    segment.unload();
    expect(segment.bytes()).toEqual({
      memory: undefined,
      filesBytes: (descriptor?.arrow.bytes ?? 0) + (descriptor?.hnsw.bytes ?? 0),
    });
  });
});
