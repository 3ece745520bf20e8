/**
 * Fast reopen: `close()` seals an active segment of at least SEAL_DEFAULTS.closeRowsMin rows, so the
 * next open loads its HNSW index from its file and replays no WAL record into an index.
 */

import { describe, expect, it } from 'vitest';
import { SEAL_DEFAULTS } from '../../../src/storage/seal-pipeline.ts';
import { openStore } from '../../../src/storage/store.ts';
import { seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-reopen-');
const DIMENSION = 4;

function docs(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => ({
    id: `d${from + k}`,
    vector: seededVector(from + k + 1, DIMENSION),
    metadata: { i: from + k },
  }));
}

async function reopen(dir: string) {
  const store = await openStore({ dir });
  return { store, collection: store.collection('docs') };
}

describe('Collection reopen after close', () => {
  it('seals a large active segment on close, so the reopen replays no WAL record into an index', async () => {
    const dir = await temp.make();
    const rows = SEAL_DEFAULTS.closeRowsMin + 100;
    const store = await openStore({ dir });
    const collection = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' });
    for (let from = 0; from < rows; from += 250)
      await collection.insert(docs(from, Math.min(rows, from + 250)));
    await collection.delete(['d7']);
    const query = seededVector(4242, DIMENSION);
    const before = await collection.search(query, { k: 10 });
    expect(collection.stats().segments).toEqual([expect.objectContaining({ state: 'active', rows })]);
    await store.close();

    const again = await reopen(dir);
    const stats = again.collection.stats();
    expect(stats.recovery).toMatchObject({ replayedRecords: 0, truncatedRecords: 0 });
    expect(stats.vectors).toBe(rows - 1);
    expect(stats.wal.records).toBe(0);
    expect(stats.segments).toEqual([
      expect.objectContaining({ state: 'sealed', rows, vectors: rows - 1 }),
      expect.objectContaining({ state: 'active', rows: 0 }),
    ]);
    expect(await again.collection.search(query, { k: 10 })).toEqual(before);
    expect(await again.collection.get('d7')).toBeUndefined();
    expect(await again.collection.get(`d${rows - 1}`)).toMatchObject({ metadata: { i: rows - 1 } });
    await again.store.close();

    // Nothing new was written: the second close has nothing to seal and the next open replays nothing.
    const third = await reopen(dir);
    expect(third.collection.stats()).toMatchObject({
      recovery: { replayedRecords: 0 },
      manifest: { version: stats.manifest.version },
    });
    await third.store.close();
  });

  it('leaves a small active segment in the WAL on close (rebuilding it is cheap)', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    const collection = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' });
    await collection.insert(docs(0, 10));
    await store.close();
    const again = await reopen(dir);
    expect(again.collection.stats()).toMatchObject({
      vectors: 10,
      recovery: { replayedRecords: 1 },
      seals: { completed: 0 },
    });
    await again.store.close();
  });
});
