import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { openStore } from '../../../src/storage/store.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-conveniences-');

function doc(i: number) {
  return { id: `d${i}`, vector: seededVector(i + 1, 4), metadata: { i } };
}

describe('Store.getOrCreateCollection', () => {
  it('creates a missing collection, and returns the same handle for the same spec afterwards', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    const created = await store.getOrCreateCollection({ name: 'docs', dimension: 4 });
    expect(created.spec).toMatchObject({ name: 'docs', dimension: 4, metric: 'cosine', tenant: 'default' });
    // The spec is compared once defaults are filled in, so spelling a default out is the same spec.
    const again = await store.getOrCreateCollection({ name: 'docs', dimension: 4, metric: 'cosine' });
    expect(again).toBe(created);
    expect(await store.listCollections()).toHaveLength(1);
    await store.close();

    const reopened = await openStore({ dir });
    const found = await reopened.getOrCreateCollection({ name: 'docs', dimension: 4 });
    expect(found).toBe(reopened.collection('docs'));
    await reopened.close();
  });

  it('creates one collection when several callers ask at once', async () => {
    const store = await openStore({ dir: await temp.make() });
    const handles = await Promise.all(
      Array.from({ length: 5 }, () => store.getOrCreateCollection({ name: 'docs', dimension: 4 })),
    );
    expect(new Set(handles).size).toBe(1);
    expect(await store.listCollections()).toHaveLength(1);
    await store.close();
  });

  it('refuses an existing collection with another spec with COLLECTION_SPEC_MISMATCH, naming the fields', async () => {
    const store = await openStore({ dir: await temp.make() });
    const docs = await store.createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
    await docs.insert([doc(1)]);
    const error = await expectTierVecError(
      () => store.getOrCreateCollection({ name: 'docs', dimension: 8, metric: 'l2', hnsw: { m: 32 } }),
      ErrorCode.COLLECTION_SPEC_MISMATCH,
      '`dimension` is 4 there, 8 requested',
    );
    expect(error.details).toMatchObject({
      tenant: 'default',
      name: 'docs',
      differences: [
        { field: 'dimension', existing: 4, requested: 8 },
        { field: 'hnsw.m', existing: 16, requested: 32 },
      ],
    });
    await expectTierVecError(
      () =>
        store.getOrCreateCollection({ name: 'docs', dimension: 4, metric: 'l2', quota: { vectorsMax: 10 } }),
      ErrorCode.COLLECTION_SPEC_MISMATCH,
      'quota.vectorsMax',
    );
    // Nothing changed: the existing collection and its document are as they were.
    expect(store.collection('docs')).toBe(docs);
    expect(docs.spec.dimension).toBe(4);
    expect(docs.count()).toBe(1);
    await store.close();
  });

  it('checks the spec as createCollection does, and refuses calls on a closed store', async () => {
    const store = await openStore({ dir: await temp.make() });
    await expectTierVecError(
      () => store.getOrCreateCollection({ name: 'Bad Name', dimension: 4 }),
      ErrorCode.INVALID_NAME,
    );
    await expectTierVecError(
      () => store.getOrCreateCollection({ name: 'docs', dimension: 0 }),
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(await store.listCollections()).toEqual([]);
    await store.close();
    await expectTierVecError(
      () => store.getOrCreateCollection({ name: 'docs', dimension: 4 }),
      ErrorCode.CLOSED,
    );
  });

  it('is scoped to the tenant of a tenant handle', async () => {
    const store = await openStore({ dir: await temp.make() });
    const acme = store.tenant('acme');
    const docs = await acme.getOrCreateCollection({ name: 'docs', dimension: 4 });
    expect(docs.tenant).toBe('acme');
    expect(await acme.getOrCreateCollection({ name: 'docs', dimension: 4 })).toBe(docs);
    expect(await store.listCollections()).toEqual([]);
    await expectTierVecError(
      () => acme.getOrCreateCollection({ name: 'docs', dimension: 4, tenant: 'other' }),
      ErrorCode.INVALID_ARGUMENT,
    );
    await store.close();
  });
});

describe('Collection.count', () => {
  it('counts live documents through inserts, upserts, deletes, seals and a reopen', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir, segmentVectorsMax: 4 });
    const docs = await store.createCollection({ name: 'docs', dimension: 4 });
    expect(docs.count()).toBe(0);
    await docs.insert([doc(1), doc(2), doc(3), doc(4), doc(5)]);
    expect(docs.count()).toBe(5);
    await docs.upsert([doc(5), doc(6)]);
    expect(docs.count()).toBe(6);
    expect(await docs.delete(['d1', 'd2', 'missing'])).toBe(2);
    expect(docs.count()).toBe(4);
    await docs.flush();
    expect(docs.count()).toBe(docs.stats().vectors);
    await store.close();
    await expectTierVecError(() => docs.count(), ErrorCode.CLOSED);

    const reopened = await openStore({ dir, segmentVectorsMax: 4 });
    expect(reopened.collection('docs').count()).toBe(4);
    await reopened.close();
  });
});
