import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import type { Collection } from '../../../src/storage/collection.ts';
import { LIMITS } from '../../../src/storage/limits.ts';
import { openStore, type Store } from '../../../src/storage/store.ts';
import type { StoreOptions } from '../../../src/storage/store-options.ts';
import type { StoreWarning } from '../../../src/storage/store-warning.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-collection-');
const DIMENSION = 8;

interface Opened {
  store: Store;
  docs: Collection;
  warnings: StoreWarning[];
  dir: string;
}

async function open(dir?: string, options: Partial<StoreOptions> = {}, create = true): Promise<Opened> {
  const storeDir = dir ?? (await temp.make());
  const warnings: StoreWarning[] = [];
  const store = await openStore({ dir: storeDir, onWarning: (w) => warnings.push(w), ...options });
  const docs = create
    ? await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' })
    : store.collection('docs');
  return { store, docs, warnings, dir: storeDir };
}

function doc(i: number, metadata: Record<string, unknown> = { i, group: i % 3 }) {
  return { id: `d${i}`, vector: seededVector(i + 1, DIMENSION), metadata: metadata as never };
}

function range(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => doc(from + k));
}

function collectionDir(dir: string): string {
  return join(dir, 'tenants', 'default', 'collections', 'docs');
}

describe('Collection write path', () => {
  it('stores documents and returns exact copies from get', async () => {
    const { store, docs } = await open();
    expect(await docs.insert([doc(1), doc(2, { lang: 'en', nested: { a: [1, null] } })])).toEqual({
      inserted: 2,
    });
    const got = await docs.get('d2');
    expect(got).toEqual({
      id: 'd2',
      vector: seededVector(3, DIMENSION),
      metadata: { lang: 'en', nested: { a: [1, null] } },
    });
    (got?.metadata as Record<string, unknown>).lang = 'changed';
    expect((await docs.get('d2'))?.metadata.lang).toBe('en');
    expect(await docs.get('missing')).toBeUndefined();
    expect(docs.stats().vectors).toBe(2);
    await store.close();
  });

  it('refuses an insert of an existing id with DUPLICATE_ID naming it, writing none of the call', async () => {
    const { store, docs } = await open();
    await docs.insert([doc(1)]);
    const walRecords = docs.stats().wal.records;
    const error = await expectTierVecError(
      () => docs.insert([doc(5), doc(1)]),
      ErrorCode.DUPLICATE_ID,
      '"d1"',
    );
    expect(error.details).toEqual({ id: 'd1' });
    expect(await docs.get('d5')).toBeUndefined();
    expect(docs.stats()).toMatchObject({ vectors: 1, wal: { records: walRecords } });
    await store.close();
  });

  it('lets exactly one of two concurrent inserts of the same id succeed', async () => {
    const { store, docs } = await open();
    const results = await Promise.allSettled([docs.insert([doc(7)]), docs.insert([doc(7)])]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).toBe(ErrorCode.DUPLICATE_ID);
    expect(docs.stats().vectors).toBe(1);
    await store.close();
  });

  it.each([
    ['a wrong dimension', [{ id: 'x', vector: [1, 2] }], ErrorCode.DIMENSION_MISMATCH],
    [
      'a NaN component',
      [{ id: 'x', vector: [...seededVector(1, DIMENSION)].map((v, i) => (i ? v : Number.NaN)) }],
      ErrorCode.INVALID_VECTOR,
    ],
    [
      'oversized metadata',
      [{ id: 'x', vector: seededVector(1, DIMENSION), metadata: { s: 'x'.repeat(LIMITS.metadataBytesMax) } }],
      ErrorCode.METADATA_TOO_LARGE,
    ],
    ['an empty id', [{ id: '', vector: seededVector(1, DIMENSION) }], ErrorCode.INVALID_ARGUMENT],
    [
      'metadata that is not a plain object',
      [{ id: 'x', vector: seededVector(1, DIMENSION), metadata: [1] }],
      ErrorCode.INVALID_ARGUMENT,
    ],
    ['repeated ids in one call', [doc(1), doc(1)], ErrorCode.DUPLICATE_ID],
    ['a non-array', doc(1), ErrorCode.INVALID_ARGUMENT],
  ])('refuses %s before writing anything', async (_, input, code) => {
    const { store, docs } = await open();
    await docs.insert([doc(100)]);
    const before = docs.stats();
    await expectTierVecError(() => docs.insert(input as never), code);
    await expectTierVecError(() => docs.upsert(input as never), code);
    const after = docs.stats();
    expect(after.vectors).toBe(before.vectors);
    expect(after.wal.records).toBe(before.wal.records);
    expect(after.wal.lastLsn).toBe(before.wal.lastLsn);
    await store.close();
  });

  it('refuses more than batchSizeMax documents per call with INVALID_ARGUMENT', async () => {
    const { store, docs } = await open();
    const tooMany = Array.from({ length: LIMITS.batchSizeMax + 1 }, (_, i) => ({
      id: `b${i}`,
      vector: [1, 2, 3, 4, 5, 6, 7, 8],
    }));
    await expectTierVecError(
      () => docs.insert(tooMany),
      ErrorCode.INVALID_ARGUMENT,
      String(LIMITS.batchSizeMax),
    );
    const ids = Array.from({ length: LIMITS.batchSizeMax + 1 }, (_, i) => `b${i}`);
    await expectTierVecError(() => docs.delete(ids), ErrorCode.INVALID_ARGUMENT, String(LIMITS.batchSizeMax));
    expect(docs.stats().wal.lastLsn).toBe(0);
    await store.close();
  });

  it('upserts: inserts new ids, replaces existing ones, and reports which', async () => {
    const { store, docs } = await open();
    await docs.insert([doc(1), doc(2)]);
    const replaced = { id: 'd1', vector: seededVector(50, DIMENSION), metadata: { v: 2 } };
    expect(await docs.upsert([replaced, doc(3)])).toEqual({ inserted: 1, updated: 1 });
    expect(await docs.get('d1')).toEqual(replaced);
    expect(docs.stats().vectors).toBe(3);
    const hits = await docs.search(seededVector(2, DIMENSION), { k: 3, exact: true });
    expect(hits.map((h) => h.id)).not.toContain(undefined);
    expect(hits.filter((h) => h.id === 'd1')).toHaveLength(1);
    await store.close();
  });

  it('deletes and returns how many of the ids existed', async () => {
    const { store, docs } = await open();
    await docs.insert(range(0, 5));
    expect(await docs.delete(['d1', 'd1', 'd3', 'nope'])).toBe(2);
    expect(await docs.delete(['d1'])).toBe(0);
    expect(await docs.get('d1')).toBeUndefined();
    expect(docs.stats().vectors).toBe(3);
    const hits = await docs.search(seededVector(2, DIMENSION), { k: 5, exact: true });
    expect(hits.map((h) => h.id).sort()).toEqual(['d0', 'd2', 'd4']);
    await store.close();
  });

  it('gives concurrent writers one shared fsync (group commit)', async () => {
    const { store, docs } = await open();
    await docs.insert([doc(0)]);
    const before = docs.stats().wal.fsyncs;
    await Promise.all(Array.from({ length: 20 }, (_, i) => docs.insert([doc(i + 1)])));
    const after = docs.stats().wal;
    expect(after.fsyncs - before).toBe(1);
    expect(docs.stats().vectors).toBe(21);
    await store.close();
  });

  it('refuses get with an invalid id with INVALID_ARGUMENT', async () => {
    const { store, docs } = await open();
    await expectTierVecError(() => docs.get(''), ErrorCode.INVALID_ARGUMENT);
    await store.close();
  });
});

describe('Collection search', () => {
  it('returns the k nearest, ascending, equal to exact on a small collection', async () => {
    const { store, docs } = await open();
    await docs.insert(range(0, 300));
    const query = seededVector(1000, DIMENSION);
    const exact = await docs.search(query, { k: 10, exact: true });
    const approximate = await docs.search(query, { k: 10, ef: 200 });
    expect(approximate.map((h) => h.id)).toEqual(exact.map((h) => h.id));
    for (let i = 1; i < exact.length; i++)
      expect(exact[i]?.distance).toBeGreaterThanOrEqual(exact[i - 1]?.distance as number);
    expect(exact[0]?.metadata).toEqual({
      i: Number(exact[0]?.id.slice(1)),
      group: Number(exact[0]?.id.slice(1)) % 3,
    });
    await store.close();
  });

  it('reports cosine distance as 1 − similarity and inner product as 1 − dot', async () => {
    const store = await openStore({ dir: await temp.make() });
    const cosine = await store.createCollection({ name: 'cos', dimension: 2, metric: 'cosine' });
    await cosine.insert([
      { id: 'same', vector: [2, 0] },
      { id: 'orthogonal', vector: [0, 5] },
      { id: 'opposite', vector: [-1, 0] },
    ]);
    for (const exact of [true, false]) {
      const hits = await cosine.search([1, 0], { k: 3, exact });
      expect(hits.map((h) => h.id)).toEqual(['same', 'orthogonal', 'opposite']);
      expect(hits.map((h) => h.distance)).toEqual([
        expect.closeTo(0, 5),
        expect.closeTo(1, 5),
        expect.closeTo(2, 5),
      ]);
    }
    const ip = await store.createCollection({ name: 'ip', dimension: 2, metric: 'ip' });
    await ip.insert([
      { id: 'big', vector: [3, 0] },
      { id: 'small', vector: [1, 0] },
    ]);
    const hits = await ip.search([1, 0], { k: 2 });
    expect(hits.map((h) => [h.id, h.distance])).toEqual([
      ['big', -2],
      ['small', 0],
    ]);
    await store.close();
  });

  it('filters on metadata inside the HNSW search, and equals an exact filtered scan', async () => {
    const { store, docs } = await open();
    // Enough rows that ~55% matching is far above the exact-scan threshold (32 × ef rows).
    for (let i = 0; i < 5000; i += 1000) await docs.insert(range(i, i + 1000));
    const query = seededVector(9999, DIMENSION);
    const filter = { group: { $in: [0, 2] }, i: { $gte: 500 } };
    const exact = await docs.search(query, { k: 10, filter, exact: true });
    const hits = await docs.search(query, { k: 10, filter });
    expect(docs.stats().searches.exactFallbacks).toBe(0);
    expect(hits).toHaveLength(10);
    expect(hits.every((h) => (h.metadata.i as number) >= 500 && h.metadata.group !== 1)).toBe(true);
    const exactIds = new Set(exact.map((h) => h.id));
    expect(hits.filter((h) => exactIds.has(h.id)).length).toBeGreaterThanOrEqual(9);
    await store.close();
  });

  it('falls back to an exact scan when a filter is very selective, and says so in stats', async () => {
    const { store, docs } = await open();
    await docs.insert(range(0, 3000));
    const query = seededVector(4242, DIMENSION);
    const filter = { i: { $in: [5, 17, 2500] } };
    const hits = await docs.search(query, { k: 10, filter });
    expect(hits.map((h) => h.id).sort()).toEqual(['d17', 'd2500', 'd5']);
    expect(docs.stats().searches).toMatchObject({ total: 1, exactFallbacks: 1 });
    await store.close();
  });

  it('searches across sealed and active segments and excludes deleted and replaced rows', async () => {
    const { store, docs } = await open(undefined, { segmentVectorsMax: 50 });
    await docs.insert(range(0, 60));
    await docs.insert(range(60, 120));
    await docs.insert(range(120, 130));
    await docs.flush();
    await docs.insert(range(130, 140));
    expect(docs.stats().segments.map((s) => s.state)).toEqual(['sealed', 'sealed', 'sealed', 'active']);
    const query = seededVector(11, DIMENSION);
    await docs.delete(['d10']);
    await docs.upsert([{ id: 'd70', vector: seededVector(11, DIMENSION).map((v) => v + 100), metadata: {} }]);
    const exact = await docs.search(query, { k: 20, exact: true });
    expect(exact.map((h) => h.id)).not.toContain('d10');
    expect(exact.filter((h) => h.id === 'd70')).toHaveLength(0);
    const approximate = await docs.search(query, { k: 20, ef: 400 });
    expect(approximate.map((h) => h.id)).toEqual(exact.map((h) => h.id));
    await store.close();
  });

  it('refuses bad search input with the right code', async () => {
    const { store, docs } = await open();
    await docs.insert(range(0, 3));
    const query = seededVector(1, DIMENSION);
    await expectTierVecError(() => docs.search([1, 2]), ErrorCode.DIMENSION_MISMATCH);
    await expectTierVecError(() => docs.search(query.map(() => Number.NaN)), ErrorCode.INVALID_VECTOR);
    await expectTierVecError(() => docs.search(query, { k: 0 }), ErrorCode.INVALID_ARGUMENT, '`k`');
    await expectTierVecError(
      () => docs.search(query, { k: LIMITS.kMax + 1 }),
      ErrorCode.INVALID_ARGUMENT,
      '`k`',
    );
    await expectTierVecError(() => docs.search(query, { ef: 0 }), ErrorCode.INVALID_ARGUMENT, '`ef`');
    await expectTierVecError(
      () => docs.search(query, { exact: 'yes' as never }),
      ErrorCode.INVALID_ARGUMENT,
      '`exact`',
    );
    await expectTierVecError(
      () => docs.search(query, { filter: { i: { $like: 1 } } as never }),
      ErrorCode.INVALID_ARGUMENT,
      '$like',
    );
    await expectTierVecError(
      () => docs.search(query, { limit: 3 } as never),
      ErrorCode.INVALID_ARGUMENT,
      '`limit`',
    );
    await store.close();
  });

  it('returns fewer than k hits when the collection is smaller, and none when empty', async () => {
    const { store, docs } = await open();
    expect(await docs.search(seededVector(1, DIMENSION), { k: 5 })).toEqual([]);
    await docs.insert(range(0, 3));
    expect(await docs.search(seededVector(1, DIMENSION), { k: 5 })).toHaveLength(3);
    await store.close();
  });
});

describe('Collection sealing and recovery', () => {
  it('seals at segmentVectorsMax, trims the WAL, and reopens with every document and the same answers', async () => {
    const first = await open(undefined, { segmentVectorsMax: 40 });
    for (let i = 0; i < 100; i += 10) await first.docs.insert(range(i, i + 10));
    await first.docs.flush();
    const stats = first.docs.stats();
    expect(stats.segments.filter((s) => s.state === 'sealed')).toHaveLength(3);
    expect(stats.wal.records).toBe(0);
    const query = seededVector(5, DIMENSION);
    const before = await first.docs.search(query, { k: 10 });
    await first.store.close();
    const files = await readdir(join(collectionDir(first.dir), 'segments'));
    expect(files.sort()).toEqual([
      '0000000001.arrow',
      '0000000001.hnsw',
      '0000000002.arrow',
      '0000000002.hnsw',
      '0000000003.arrow',
      '0000000003.hnsw',
    ]);

    const second = await open(first.dir, { segmentVectorsMax: 40 }, false);
    expect(second.docs.stats()).toMatchObject({ vectors: 100, recovery: { replayedRecords: 0 } });
    // hnswlib resets ef to 10 after readIndex; results must not change after a reopen.
    expect(await second.docs.search(query, { k: 10 })).toEqual(before);
    expect(await second.docs.get('d99')).toEqual({
      id: 'd99',
      vector: seededVector(100, DIMENSION),
      metadata: { i: 99, group: 0 },
    });
    await second.store.close();
  });

  it('replays unsealed writes from the WAL on reopen', async () => {
    const first = await open();
    await first.docs.insert(range(0, 20));
    await first.docs.delete(['d3']);
    await first.docs.upsert([{ id: 'd4', vector: seededVector(77, DIMENSION), metadata: { v: 2 } }]);
    await first.store.close();
    const second = await open(first.dir, {}, false);
    expect(second.docs.stats()).toMatchObject({
      vectors: 19,
      recovery: { replayedRecords: 3, truncatedRecords: 0 },
    });
    expect(await second.docs.get('d3')).toBeUndefined();
    expect(await second.docs.get('d4')).toEqual({
      id: 'd4',
      vector: seededVector(77, DIMENSION),
      metadata: { v: 2 },
    });
    await second.store.close();
  });

  it('keeps deletes of sealed rows across reopen, from the WAL and then from a tombstone file', async () => {
    const first = await open(undefined, { segmentVectorsMax: 10 });
    await first.docs.insert(range(0, 10));
    await first.docs.flush();
    await first.docs.delete(['d2', 'd5']);
    await first.store.close();

    const second = await open(first.dir, { segmentVectorsMax: 10 }, false);
    expect(await second.docs.get('d2')).toBeUndefined();
    expect(second.docs.stats().pendingTombstones).toBe(2);
    await second.docs.flush();
    const stats = second.docs.stats();
    expect(stats).toMatchObject({
      pendingTombstones: 0,
      manifest: { tombstoneFiles: 1 },
      wal: { records: 0 },
    });
    await second.store.close();

    const third = await open(first.dir, { segmentVectorsMax: 10 }, false);
    expect(third.docs.stats()).toMatchObject({ vectors: 8, recovery: { replayedRecords: 0 } });
    expect(await third.docs.get('d5')).toBeUndefined();
    const hits = await third.docs.search(seededVector(3, DIMENSION), { k: 10 });
    expect(hits.map((h) => h.id).sort()).toEqual(['d0', 'd1', 'd3', 'd4', 'd6', 'd7', 'd8', 'd9']);
    await third.store.close();
  });

  it('does not write a new manifest when flush has nothing to seal', async () => {
    const { store, docs } = await open();
    await docs.insert(range(0, 5));
    await docs.flush();
    const version = docs.stats().manifest.version;
    await docs.flush();
    expect(docs.stats().manifest.version).toBe(version);
    await store.close();
  });

  it('opens a WAL whose last record is corrupt, reporting the loss in stats and a warning', async () => {
    const first = await open();
    await first.docs.insert(range(0, 5));
    await first.docs.insert(range(5, 10));
    await first.store.close();
    const walDir = join(collectionDir(first.dir), 'wal');
    const [name] = (await readdir(walDir)).sort();
    const path = join(walDir, name as string);
    const bytes = await readFile(path);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x55;
    await writeFile(path, bytes);

    const second = await open(first.dir, {}, false);
    expect(second.docs.stats()).toMatchObject({
      vectors: 5,
      recovery: { replayedRecords: 1, truncatedRecords: 1 },
    });
    expect(second.docs.stats().recovery.truncatedBytes).toBeGreaterThan(0);
    expect(second.warnings.map((w) => w.code)).toEqual(['WAL_TRUNCATED']);
    expect(second.warnings[0]).toMatchObject({ tenant: 'default', collection: 'docs' });
    expect(second.store.stats().warnings).toBe(1);
    expect(await second.docs.get('d4')).toBeDefined();
    expect(await second.docs.get('d5')).toBeUndefined();
    await second.docs.insert([doc(5)]);
    await second.store.close();
  });

  it('removes files of an interrupted seal on open and warns', async () => {
    const first = await open();
    await first.docs.insert(range(0, 5));
    await first.store.close();
    const segments = join(collectionDir(first.dir), 'segments');
    await writeFile(join(segments, '0000000009.arrow'), 'half a segment');
    await writeFile(join(segments, '0000000009.hnsw.tmp'), 'half an index');
    const second = await open(first.dir, {}, false);
    expect(await readdir(segments)).toEqual([]);
    expect(second.warnings.map((w) => w.code)).toEqual(['LEFTOVERS_REMOVED']);
    expect(second.docs.stats().vectors).toBe(5);
    await second.store.close();
  });

  it('keeps data searchable when a seal fails, reports it, and seals on a later flush', async () => {
    const { store, docs, warnings, dir } = await open();
    await docs.insert(range(0, 30));
    const segments = join(collectionDir(dir), 'segments');
    await rename(segments, `${segments}-away`);
    await expectTierVecError(() => docs.flush(), ErrorCode.IO_ERROR, 'Sealing segment');
    expect(warnings.map((w) => w.code)).toContain('SEAL_FAILED');
    expect(docs.stats()).toMatchObject({ seals: { failed: 1, queued: 1 }, vectors: 30 });
    expect((await docs.search(seededVector(1, DIMENSION), { k: 1 }))[0]?.id).toBe('d0');
    await mkdir(segments);
    await docs.flush();
    expect(docs.stats()).toMatchObject({ seals: { completed: 1, queued: 0 }, wal: { records: 0 } });
    await store.close();
    const reopened = await open(dir, {}, false);
    expect(reopened.docs.stats().vectors).toBe(30);
    await reopened.store.close();
  });

  it('unloads a sealed segment to warm and loads it back on the next search or get', async () => {
    const { store, docs } = await open(undefined, { segmentVectorsMax: 20 });
    await docs.insert(range(0, 20));
    await docs.flush();
    const query = seededVector(4, DIMENSION);
    const before = await docs.search(query, { k: 5 });
    const [segment] = docs.sealedSegments();
    expect(segment?.unload()).toBe(true);
    expect(docs.stats().tiers).toMatchObject({
      hot: { segments: 1, vectors: 0 },
      warm: { segments: 1, vectors: 20 },
    });
    expect(await docs.search(query, { k: 5 })).toEqual(before);
    expect(docs.stats().tiers.warm.segments).toBe(0);
    segment?.unload();
    await docs.delete(['d3']);
    expect(await docs.get('d4')).toMatchObject({ id: 'd4' });
    expect((await docs.search(query, { k: 5, exact: true })).map((h) => h.id)).not.toContain('d3');
    await store.close();
  });
});

describe('Collection WAL failure', () => {
  it('fails the write that hit an I/O error with IO_ERROR, refuses later writes, and keeps serving reads', async () => {
    const { store, docs, warnings, dir } = await open(undefined, { segmentVectorsMax: 5 });
    await docs.insert(range(0, 4));
    // The open WAL file keeps working, but the next one cannot be created.
    const walDir = join(collectionDir(dir), 'wal');
    await rename(walDir, `${walDir}-away`);
    // This write fills the active segment, which freezes it: the next write needs a new WAL file.
    await docs.insert([doc(4)]);
    await expectTierVecError(() => docs.insert([doc(10)]), ErrorCode.IO_ERROR, 'WAL');
    await expectTierVecError(
      () => docs.insert([doc(11)]),
      ErrorCode.IO_ERROR,
      'refuses writes after a WAL failure',
    );
    await expectTierVecError(() => docs.delete(['d1']), ErrorCode.IO_ERROR);
    expect(await docs.get('d3')).toMatchObject({ id: 'd3' });
    expect((await docs.search(seededVector(2, DIMENSION), { k: 1 }))[0]?.id).toBe('d1');
    expect(docs.stats().vectors).toBe(5);
    expect(warnings.every((w) => w.code === 'CLEANUP_FAILED' || w.code === 'SEAL_FAILED')).toBe(true);
    await store.close();
  });
});

describe('Collection lifecycle', () => {
  it('refuses every call after the store is closed with CLOSED', async () => {
    const { store, docs } = await open();
    await store.close();
    await expectTierVecError(() => docs.insert([doc(1)]), ErrorCode.CLOSED);
    await expectTierVecError(() => docs.upsert([doc(1)]), ErrorCode.CLOSED);
    await expectTierVecError(() => docs.delete(['d1']), ErrorCode.CLOSED);
    await expectTierVecError(() => docs.get('d1'), ErrorCode.CLOSED);
    await expectTierVecError(() => docs.search(seededVector(1, DIMENSION)), ErrorCode.CLOSED);
    await expectTierVecError(() => docs.flush(), ErrorCode.CLOSED);
    await expectTierVecError(() => docs.stats(), ErrorCode.CLOSED);
  });

  it('lets writes accepted before close finish and keeps them', async () => {
    const { store, docs, dir } = await open();
    const writes = Array.from({ length: 10 }, (_, i) => docs.insert([doc(i)]));
    await store.close();
    await Promise.all(writes);
    const reopened = await open(dir, {}, false);
    expect(reopened.docs.stats().vectors).toBe(10);
    await reopened.store.close();
  });

  it('refuses calls on a dropped collection handle with COLLECTION_NOT_FOUND', async () => {
    const { store, docs } = await open();
    await store.dropCollection('docs');
    await expectTierVecError(() => docs.insert([doc(1)]), ErrorCode.COLLECTION_NOT_FOUND);
    await expectTierVecError(() => docs.search(seededVector(1, DIMENSION)), ErrorCode.COLLECTION_NOT_FOUND);
    await store.close();
  });
});
