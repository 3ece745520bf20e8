/**
 * The whole tier cycle against a real S3 server over HTTP (s3rver on 127.0.0.1): seal and publish,
 * hot → warm → cold, promotion on search, compaction, durability 'object-store', and a new machine
 * opening everything from the bucket.
 */

import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/store.ts';
import { useS3rver } from '../helpers/s3rver.ts';
import { seededVector, useTempDirs } from '../helpers/storage-fixtures.ts';

const s3rver = useS3rver();
const temp = useTempDirs('tiervec-s3rver-tiers-');
const DIMENSION = 16;

const docsOf = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => ({
    id: `d${from + k}`,
    vector: seededVector(from + k + 1, DIMENSION),
    metadata: { i: from + k },
  }));

describe('Tiers over HTTP (s3rver)', () => {
  it('moves segments hot → warm → cold and back, compacts, and opens anew from the bucket', async () => {
    const objectStore = await s3rver.newStore();
    const dir = await temp.make();
    const store = await openStore({ dir, objectStore, durability: 'object-store', segmentVectorsMax: 100 });
    const docs = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' });
    for (let from = 0; from < 300; from += 100) await docs.insert(docsOf(from, from + 100));
    await docs.insert(docsOf(300, 330));
    await docs.delete(['d5', 'd150']);
    await docs.flush();
    await docs.publish();
    const queries = [1, 2, 3].map((q) => seededVector(5_000 + q, DIMENSION));
    const exact = await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));

    expect((await docs.setTier('warm')).held).toBe(0);
    expect((await docs.setTier('cold')).held).toBe(0);
    expect(docs.stats().tiers.cold.segments).toBe(4);
    const keys: string[] = [];
    for await (const key of objectStore.list('tenants/default/collections/docs/segments/')) keys.push(key);
    expect(keys.filter((key) => key.endsWith('.arrow'))).toHaveLength(4);
    expect(await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })))).toEqual(exact);
    expect(docs.stats().transitions).toMatchObject({ warmToCold: 4, coldToWarm: 4 });

    // The two segments with a deleted row are rewritten without it.
    const compacted = await docs.compact({ deletedRatioMin: 0.005 });
    expect(compacted).toMatchObject({ segmentsRewritten: 2, rowsDropped: 2 });
    await docs.publish();
    await docs.insert(docsOf(330, 340));
    const latest = await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));
    await store.close();
    await rm(dir, { recursive: true, force: true });

    const replacement = await openStore({ dir: await temp.make(), objectStore, durability: 'object-store' });
    const recovered = replacement.collection('docs');
    expect(recovered.stats().vectors).toBe(338);
    expect(await Promise.all(queries.map((q) => recovered.search(q, { k: 10, exact: true })))).toEqual(
      latest,
    );
    expect(await recovered.get('d335')).toMatchObject({ metadata: { i: 335 } });
    expect(await recovered.get('d150')).toBeUndefined();
    await replacement.close();
    objectStore.close();
  });
});
