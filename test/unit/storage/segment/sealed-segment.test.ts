import { describe, expect, it } from 'vitest';
import type { SealedSegment } from '../../../../src/storage/segment/sealed-segment.ts';
import { seededVector, useTempDirs, writeSealedSegment } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-sealed-');

function sealedSample(dir: string): Promise<SealedSegment> {
  const docs = Array.from({ length: 12 }, (_, i) => ({ id: `d${i}`, vector: seededVector(i + 1, 4) }));
  return writeSealedSegment(dir, 1, 4, docs);
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
