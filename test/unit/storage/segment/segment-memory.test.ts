import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../../../src/storage/filter.ts';
import { norm } from '../../../../src/storage/segment/distance.ts';
import type { HnswBuildParams } from '../../../../src/storage/segment/hnsw-index.ts';
import { HNSW_MEMORY_MODEL, hnswNativeBytes } from '../../../../src/storage/segment/hnsw-memory.ts';
import { SegmentMemory } from '../../../../src/storage/segment/segment-memory.ts';
import { type ValidDocument, validateDocuments } from '../../../../src/storage/validation.ts';
import { seededVector } from '../../../helpers/storage-fixtures.ts';

const params: HnswBuildParams = { metric: 'l2', dimension: 8, m: 8, efConstruction: 64, seed: 1 };

function docs(count: number, start = 0): ValidDocument[] {
  return validateDocuments(
    Array.from({ length: count }, (_, i) => ({
      id: `d${start + i}`,
      vector: seededVector(start + i + 1, params.dimension),
      metadata: { n: start + i, even: (start + i) % 2 === 0 },
    })),
    params.dimension,
    'l2',
  );
}

function filled(count: number): SegmentMemory {
  const memory = SegmentMemory.createEmpty(params, 4);
  for (const doc of docs(count)) memory.append(doc);
  return memory;
}

describe('SegmentMemory', () => {
  it('grows past its initial capacity and keeps every row', () => {
    const memory = filled(100);
    expect(memory.rows).toBe(100);
    expect(memory.liveRows).toBe(100);
    expect(memory.id(77)).toBe('d77');
    expect(memory.vector(77)).toEqual(seededVector(78, params.dimension));
    expect(memory.metadataCopy(77)).toEqual({ n: 77, even: false });
  });

  it('parses the metadata of each row once, in any order, and keeps it across growth', () => {
    const memory = SegmentMemory.createEmpty(params, 4);
    for (const doc of docs(3)) memory.append(doc);
    const first = memory.metadata(2);
    expect(first).toEqual({ n: 2, even: true });
    for (const doc of docs(2_000, 3)) memory.append(doc);
    // Grown from 4 rows to 2,048: the row parsed before is the same frozen object.
    expect(memory.metadata(2)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const late = memory.metadata(1_999);
    expect(late).toEqual({ n: 1_999, even: false });
    expect(memory.metadata(1_999)).toBe(late);
    expect(memory.metadata(0)).toEqual({ n: 0, even: true });
  });

  it('returns metadata copies the caller may mutate', () => {
    const memory = filled(1);
    const copy = memory.metadataCopy(0);
    copy.n = 999;
    expect(memory.metadataCopy(0).n).toBe(0);
  });

  it('exact search returns the true nearest rows in order, skipping deleted and filtered rows', () => {
    const memory = filled(60);
    const query = seededVector(5, params.dimension);
    const all = memory.exactSearch(query, norm(query, 0, 8), 5);
    expect(all[0]).toMatchObject({ row: 4, id: 'd4', distance: 0 });
    for (let i = 1; i < all.length; i++)
      expect(all[i]?.distance).toBeGreaterThanOrEqual(all[i - 1]?.distance as number);
    expect(memory.markDeleted(4)).toBe(true);
    expect(memory.markDeleted(4)).toBe(false);
    expect(memory.liveRows).toBe(59);
    expect(memory.exactSearch(query, norm(query, 0, 8), 5).map((h) => h.id)).not.toContain('d4');
    const odd = compileFilter({ even: false });
    expect(
      memory.exactSearch(query, norm(query, 0, 8), 5, odd).every((h) => Number(h.id.slice(1)) % 2 === 1),
    ).toBe(true);
  });

  it('HNSW search finds the exact neighbours on a small segment and honours deletions and filters', () => {
    const memory = filled(200);
    const query = seededVector(11, params.dimension);
    const exact = memory.exactSearch(query, norm(query, 0, 8), 10).map((h) => h.id);
    expect(memory.annSearch(Array.from(query), 10, 100).map((h) => h.id)).toEqual(exact);
    memory.markDeleted(10);
    expect(memory.annSearch(Array.from(query), 10, 100).map((h) => h.id)).not.toContain('d10');
    const filter = compileFilter({ n: { $lt: 50 } });
    const hits = memory.annSearch(Array.from(query), 10, 100, filter);
    expect(hits.length).toBe(10);
    expect(hits.every((h) => Number(h.id.slice(1)) < 50)).toBe(true);
  });

  it('after freeze, keeps deletions out of the graph until the index is written, yet hides them', () => {
    const memory = filled(30);
    memory.markDeleted(0);
    const columns = memory.freeze();
    expect(Array.from(columns.deleted.subarray(0, 3))).toEqual([1, 0, 0]);
    memory.markDeleted(1);
    expect(columns.deleted[1]).toBe(0);
    const query = seededVector(2, params.dimension);
    expect(memory.annSearch(Array.from(query), 5, 50).map((h) => h.id)).not.toContain('d1');
    memory.indexWritten(1234);
    expect(memory.annSearch(Array.from(query), 5, 50).map((h) => h.id)).not.toContain('d1');
    expect(memory.indexFileBytes).toBe(1234);
    // The hot budget counts hnswlib's native memory (fixed cost included), not the file's size.
    expect(memory.bytes().index).toBe(hnswNativeBytes(params, 32, 30));
    expect(() => memory.append((docs(1, 99) as ValidDocument[])[0] as ValidDocument)).toThrow(/frozen/);
  });

  it('estimates how many rows match a filter from a sample', () => {
    const memory = filled(1000);
    expect(memory.estimateMatches(compileFilter({ even: true }) as never, 256)).toBeCloseTo(500, -2);
    expect(memory.estimateMatches(compileFilter({ n: 3 }) as never, 256)).toBeLessThan(10);
  });

  it('accounts bytes for vectors and metadata', () => {
    const memory = filled(10);
    const bytes = memory.bytes();
    expect(bytes.vectors).toBe(10 * 8 * 4);
    const expectedMetadata = docs(10).reduce((sum, doc) => sum + doc.bytes - 32, 0);
    expect(bytes.metadata).toBe(expectedMetadata);
    expect(bytes.index).toBeGreaterThan(bytes.vectors);
  });

  it('counts each index at its native fixed cost plus a per-row cost that grows with the dimension', () => {
    const empty = hnswNativeBytes({ dimension: 128, m: 16 }, 1, 0);
    expect(empty).toBeGreaterThanOrEqual(HNSW_MEMORY_MODEL.fixedBytes);
    const perRow =
      (hnswNativeBytes({ dimension: 128, m: 16 }, 1_000, 1_000) -
        hnswNativeBytes({ dimension: 128, m: 16 }, 1_000, 0)) /
      1_000;
    // Measured with RSS on hnswlib-node 3.0.0 at dimension 128, m 16: 737 to 847 bytes per row.
    expect(perRow).toBeGreaterThan(700);
    expect(perRow).toBeLessThan(900);
  });
});
