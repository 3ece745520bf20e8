import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { openStore } from '../../src/storage/store.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-tenants-');

describe('tenant isolation', () => {
  it('gives each tenant its own namespace: same collection name, separate data', async () => {
    const store = await openStore({ dir: await temp.make() });
    const acme = store.tenant('acme');
    const globex = store.tenant('globex');
    const acmeDocs = await acme.createCollection({ name: 'docs', dimension: 3, metric: 'l2' });
    const globexDocs = await globex.createCollection({ name: 'docs', dimension: 3, metric: 'l2' });
    await acmeDocs.insert([{ id: 'secret', vector: [1, 2, 3], metadata: { owner: 'acme' } }]);
    await globexDocs.insert([{ id: 'other', vector: [1, 2, 3], metadata: { owner: 'globex' } }]);
    expect(await globex.collection('docs').get('secret')).toBeUndefined();
    const hits = await globex.collection('docs').search([1, 2, 3], { k: 10 });
    expect(hits.map((h) => h.id)).toEqual(['other']);
    expect(
      (await acme.collection('docs').search([1, 2, 3], { k: 10, exact: true })).map((h) => h.id),
    ).toEqual(['secret']);
    await store.close();
  });

  it('lets a tenant handle list, open and drop only its own collections', async () => {
    const dir = await temp.make();
    const store = await openStore({ dir });
    await store.tenant('acme').createCollection({ name: 'private', dimension: 2 });
    await store.tenant('acme').createCollection({ name: 'shared-name', dimension: 2 });
    await store.tenant('globex').createCollection({ name: 'shared-name', dimension: 2 });
    const globex = store.tenant('globex');
    expect((await globex.listCollections()).map((c) => c.name)).toEqual(['shared-name']);
    expect(await store.listCollections()).toEqual([]);
    await expectTierVecError(
      () => globex.collection('private'),
      ErrorCode.COLLECTION_NOT_FOUND,
      'tenant "globex"',
    );
    await expectTierVecError(() => globex.dropCollection('private'), ErrorCode.COLLECTION_NOT_FOUND);
    await globex.dropCollection('shared-name');
    expect((await store.tenant('acme').listCollections()).map((c) => c.name)).toEqual([
      'private',
      'shared-name',
    ]);
    await store.close();

    const reopened = await openStore({ dir });
    expect((await reopened.tenant('acme').listCollections()).map((c) => c.name)).toEqual([
      'private',
      'shared-name',
    ]);
    expect(await reopened.tenant('globex').listCollections()).toEqual([]);
    await reopened.close();
  });

  it('refuses a tenant handle creating a collection in another tenant with INVALID_ARGUMENT', async () => {
    const store = await openStore({ dir: await temp.make() });
    await expectTierVecError(
      () => store.tenant('acme').createCollection({ name: 'docs', dimension: 2, tenant: 'globex' }),
      ErrorCode.INVALID_ARGUMENT,
      'tenant "globex"',
    );
    expect(await store.listCollections({ tenant: 'globex' })).toEqual([]);
    await expectTierVecError(() => store.tenant('Not Valid'), ErrorCode.INVALID_NAME);
    await store.close();
  });

  it("keeps a tenant's searches and deletes from touching another tenant's documents with the same ids", async () => {
    const store = await openStore({ dir: await temp.make() });
    const a = await store.tenant('a').createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
    const b = await store.tenant('b').createCollection({ name: 'docs', dimension: 4, metric: 'l2' });
    const docs = Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, vector: seededVector(i, 4) }));
    await a.insert(docs);
    await b.insert(docs);
    expect(await b.delete(docs.map((d) => d.id))).toBe(20);
    expect(a.stats().vectors).toBe(20);
    expect(await b.search(seededVector(1, 4), { k: 5 })).toEqual([]);
    expect(await a.search(seededVector(1, 4), { k: 1 })).toMatchObject([{ id: 'd1' }]);
    await store.close();
  });
});
