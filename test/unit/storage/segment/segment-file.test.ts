import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import type { HnswBuildParams } from '../../../../src/storage/segment/hnsw-index.ts';
import {
  decodeSegmentArrow,
  encodeSegmentArrow,
  readSegmentFiles,
  SEGMENT_FORMAT,
  SEGMENT_FORMAT_VERSION,
  writeSegmentFiles,
} from '../../../../src/storage/segment/segment-file.ts';
import { SegmentMemory } from '../../../../src/storage/segment/segment-memory.ts';
import { validateDocuments } from '../../../../src/storage/validation.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-segment-');
const params: HnswBuildParams = { metric: 'cosine', dimension: 6, m: 8, efConstruction: 32, seed: 3 };

async function writeSample(dir: string) {
  const memory = SegmentMemory.createEmpty(params, 8);
  const docs = validateDocuments(
    Array.from({ length: 20 }, (_, i) => ({
      id: `id-${i}`,
      vector: seededVector(i + 1, 6),
      metadata: { i },
    })),
    6,
    'cosine',
  );
  for (const doc of docs) memory.append(doc);
  memory.markDeleted(3);
  const columns = memory.freeze();
  const descriptor = await writeSegmentFiles(dir, memory, columns, {
    id: '0000000007',
    seq: 7,
    dimension: 6,
    metric: 'cosine',
    m: 8,
    efConstruction: 32,
    seed: 3,
    rows: columns.rows,
    deletedRows: 1,
    createdAtMs: 1_700_000_000_000,
  });
  memory.indexWritten(descriptor.hnsw.bytes);
  return { memory, descriptor };
}

describe('segment files', () => {
  it('write an Arrow file with the four columns and a self-describing header', async () => {
    const dir = await temp.make();
    const { descriptor } = await writeSample(dir);
    const table = tableFromIPC(await readFile(join(dir, '0000000007.arrow')));
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'id:Utf8',
      'vector:FixedSizeList[6]<Float32>',
      'metadata:Utf8',
      'deleted:Bool',
    ]);
    expect(table.numRows).toBe(20);
    expect(table.getChild('deleted')?.get(3)).toBe(true);
    expect(JSON.parse(table.getChild('metadata')?.get(5) as string)).toEqual({ i: 5 });
    const info = JSON.parse(table.schema.metadata.get('tiervec.segment') as string);
    expect(info).toMatchObject({
      format: SEGMENT_FORMAT,
      id: '0000000007',
      dimension: 6,
      metric: 'cosine',
      rows: 20,
    });
    expect(info.hnsw).toEqual(descriptor.hnsw);
  });

  it('read back into a segment with identical rows, deletions and search results', async () => {
    const dir = await temp.make();
    const { memory, descriptor } = await writeSample(dir);
    const loaded = await readSegmentFiles(dir, descriptor);
    expect(loaded.rows).toBe(20);
    expect(loaded.isDeleted(3)).toBe(true);
    expect(loaded.liveRows).toBe(19);
    for (const row of [0, 7, 19]) {
      expect(loaded.id(row)).toBe(memory.id(row));
      expect(loaded.vector(row)).toEqual(memory.vector(row));
      expect(loaded.metadataCopy(row)).toEqual(memory.metadataCopy(row));
    }
    const query = Array.from(seededVector(4, 6));
    // ef is set before every search (hnswlib resets it to 10 after readIndex).
    expect(loaded.annSearch(query, 5, 64)).toEqual(memory.annSearch(query, 5, 64));
  });

  it('refuse files that do not match their recorded CRC with CORRUPT_DATA', async () => {
    const dir = await temp.make();
    const { descriptor } = await writeSample(dir);
    const path = join(dir, descriptor.hnsw.name);
    const bytes = await readFile(path);
    bytes[100] = (bytes[100] as number) ^ 1;
    await writeFile(path, bytes);
    await expectTierVecError(
      () => readSegmentFiles(dir, descriptor),
      ErrorCode.CORRUPT_DATA,
      descriptor.hnsw.name,
    );
  });

  it('load flat without reading the index file, with the same rows and exact answers', async () => {
    const dir = await temp.make();
    const { memory, descriptor } = await writeSample(dir);
    // The index file is not even opened: damaging it does not matter to a flat load.
    await writeFile(join(dir, descriptor.hnsw.name), 'not an index');
    const flat = await readSegmentFiles(dir, descriptor, undefined, { index: false });
    expect(flat.indexed).toBe(false);
    expect(flat.bytes().index).toBe(0);
    expect(flat.liveRows).toBe(19);
    expect(flat.id(19)).toBe('id-19');
    expect(flat.metadataCopy(7)).toEqual({ i: 7 });
    const query = seededVector(4, 6);
    const queryNorm = Math.hypot(...query);
    expect(flat.exactSearch(query, queryNorm, 5)).toEqual(
      memory.exactSearch(query, queryNorm, 5).map((hit) => ({ ...hit, memory: flat })),
    );
    expect(() => flat.annSearch(Array.from(query), 5, 64)).toThrow(/flat/);
  });

  it('decode ids and metadata that are not ASCII', async () => {
    const dir = await temp.make();
    const memory = SegmentMemory.createEmpty(params, 4);
    const docs = validateDocuments(
      ['é', 'a', '日本', 'b'].map((id, i) => ({
        id,
        vector: seededVector(i + 1, 6),
        metadata: { t: `ü${id}` },
      })),
      6,
      'cosine',
    );
    for (const doc of docs) memory.append(doc);
    const columns = memory.freeze();
    const descriptor = await writeSegmentFiles(dir, memory, columns, {
      id: '0000000008',
      seq: 8,
      dimension: 6,
      metric: 'cosine',
      m: 8,
      efConstruction: 32,
      seed: 3,
      rows: 4,
      deletedRows: 0,
      createdAtMs: 1_700_000_000_000,
    });
    const loaded = await readSegmentFiles(dir, descriptor, undefined, { index: false });
    expect([0, 1, 2, 3].map((row) => [loaded.id(row), loaded.metadataCopy(row)])).toEqual([
      ['é', { t: 'üé' }],
      ['a', { t: 'üa' }],
      ['日本', { t: 'ü日本' }],
      ['b', { t: 'üb' }],
    ]);
  });

  it('refuse a missing file with CORRUPT_DATA', async () => {
    const dir = await temp.make();
    const { descriptor } = await writeSample(dir);
    await expectTierVecError(
      () => readSegmentFiles(dir, { ...descriptor, arrow: { ...descriptor.arrow, name: 'nope.arrow' } }),
      ErrorCode.CORRUPT_DATA,
      'nope.arrow',
    );
  });

  it('refuse an Arrow file with fewer vector values than its header says with CORRUPT_DATA', () => {
    // The vectors are used in place, not copied into an array of the header's size: a short
    // column must not load as rows of zeros.
    const bytes = encodeSegmentArrow(
      {
        rows: 2,
        ids: ['a', 'b'],
        vectors: new Float32Array(4),
        metadataJson: ['{}', '{}'],
        deleted: new Uint8Array(2),
      },
      {
        format: SEGMENT_FORMAT,
        formatVersion: SEGMENT_FORMAT_VERSION,
        id: '0000000009',
        seq: 9,
        dimension: 4,
        metric: 'l2',
        m: 8,
        efConstruction: 32,
        seed: 3,
        rows: 2,
        deletedRows: 0,
        createdAtMs: 1_700_000_000_000,
        hnsw: { name: '0000000009.hnsw', bytes: 0, crc32: 0 },
      },
    );
    expect(() => decodeSegmentArrow(bytes, 'short.arrow')).toThrow(
      expect.objectContaining({ code: ErrorCode.CORRUPT_DATA, message: expect.stringContaining('2 × 4') }),
    );
  });
});
