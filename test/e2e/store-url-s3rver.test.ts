/**
 * `openStore({ url: 's3://bucket/prefix' })` against a real S3 server over HTTP (s3rver on
 * 127.0.0.1): the endpoint and credentials come from the `s3` option, every object lands under the
 * prefix, and a second machine opens the collection from the same URL.
 */

import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/store.ts';
import { useS3rver } from '../helpers/s3rver.ts';
import { seededVector, useTempDirs } from '../helpers/storage-fixtures.ts';

const s3rver = useS3rver();
const temp = useTempDirs('tiervec-store-url-s3rver-');

describe('openStore({ url: s3://… }) over HTTP (s3rver)', () => {
  it('keeps every object under the prefix, and a new machine opens the collection from the URL', async () => {
    const bucketStore = await s3rver.newStore();
    const { endpoint, region, credentials } = s3rver.server.s3Options;
    const url = `s3://${bucketStore.bucket}/prod/vectors`;
    const s3 = { endpoint, region, credentials };
    const store = await openStore({ url, s3, dir: await temp.make() });
    const docs = await store.createCollection({ name: 'docs', dimension: 8, metric: 'l2' });
    await docs.insert([1, 2, 3].map((i) => ({ id: `d${i}`, vector: seededVector(i, 8) })));
    await docs.flush();
    await docs.publish();
    await store.close();

    const keys: string[] = [];
    for await (const key of bucketStore.list('')) keys.push(key);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith('prod/vectors/tenants/default/collections/docs/'))).toBe(true);

    const elsewhere = await openStore({ url, s3, dir: await temp.make() });
    const [hit] = await elsewhere.collection('docs').search(seededVector(2, 8), { k: 1 });
    expect(hit?.id).toBe('d2');
    expect(elsewhere.collection('docs').count()).toBe(3);
    await elsewhere.close();
    bucketStore.close();
  });
});
