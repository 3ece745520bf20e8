import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { openStore } from '../../../src/storage/store.ts';
import { expectTierVecError, seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-quota-');
const DIMENSION = 4;
/** Bytes a document `d{i}` with no metadata counts: id + 4 × 4 vector bytes + "{}". */
const DOC_BYTES = 2 + DIMENSION * 4 + 2;

function doc(i: number) {
  return { id: `d${i}`, vector: seededVector(i + 1, DIMENSION) };
}

describe('collection quotas', () => {
  it('accepts writes up to vectorsMax and refuses the one beyond with QUOTA_EXCEEDED naming the numbers', async () => {
    const store = await openStore({ dir: await temp.make() });
    const docs = await store.createCollection({
      name: 'docs',
      dimension: DIMENSION,
      quota: { vectorsMax: 3 },
    });
    await docs.insert([doc(1), doc(2)]);
    const error = await expectTierVecError(
      () => docs.insert([doc(3), doc(4)]),
      ErrorCode.QUOTA_EXCEEDED,
      'vectorsMax of collection "docs" is 3 vectors; it holds 2 and this call adds 2',
    );
    expect(error.details).toMatchObject({ quota: 'vectorsMax', limit: 3, held: 2, adding: 2 });
    expect(await docs.get('d3')).toBeUndefined();
    await docs.insert([doc(3)]);
    await expectTierVecError(() => docs.upsert([doc(9)]), ErrorCode.QUOTA_EXCEEDED);
    // Replacing an existing document adds no vector; deleting frees room.
    expect(await docs.upsert([{ ...doc(1), vector: seededVector(50, DIMENSION) }])).toEqual({
      inserted: 0,
      updated: 1,
    });
    await docs.delete(['d2']);
    await docs.insert([doc(9)]);
    expect(docs.stats().quota).toEqual({
      vectorsMax: 3,
      bytesMax: undefined,
      vectors: 3,
      bytes: 3 * DOC_BYTES,
    });
    await store.close();
  });

  it('enforces bytesMax on id + vector + metadata bytes, counting overwrites by their difference', async () => {
    const store = await openStore({ dir: await temp.make() });
    const docs = await store.createCollection({
      name: 'docs',
      dimension: DIMENSION,
      quota: { bytesMax: 2 * DOC_BYTES + 10 },
    });
    await docs.insert([doc(1), doc(2)]);
    await expectTierVecError(() => docs.insert([doc(3)]), ErrorCode.QUOTA_EXCEEDED, 'bytesMax');
    await docs.upsert([{ ...doc(1), metadata: { a: 123456 } }]);
    expect(docs.stats().quota.bytes).toBe(2 * DOC_BYTES + 10);
    await expectTierVecError(
      () => docs.upsert([{ ...doc(1), metadata: { a: 1234567 } }]),
      ErrorCode.QUOTA_EXCEEDED,
      'adds 1',
    );
    await docs.upsert([{ ...doc(1), metadata: {} }]);
    expect(docs.stats().quota.bytes).toBe(2 * DOC_BYTES);
    await store.close();
  });

  it('counts writes still on their way to disk, so concurrent inserts cannot overshoot', async () => {
    const store = await openStore({ dir: await temp.make() });
    const docs = await store.createCollection({
      name: 'docs',
      dimension: DIMENSION,
      quota: { vectorsMax: 3 },
    });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => docs.insert([doc(i)])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const rejected of results.filter((r) => r.status === 'rejected')) {
      expect((rejected as PromiseRejectedResult).reason.code).toBe(ErrorCode.QUOTA_EXCEEDED);
    }
    expect(docs.stats().vectors).toBe(3);
    await store.close();
  });
});

describe('tenant quotas', () => {
  it('limits collections per tenant with QUOTA_EXCEEDED, per tenant', async () => {
    const store = await openStore({ dir: await temp.make(), tenantQuota: { collectionsMax: 2 } });
    await store.createCollection({ name: 'a', dimension: 2, tenant: 't1' });
    await store.createCollection({ name: 'b', dimension: 2, tenant: 't1' });
    await expectTierVecError(
      () => store.createCollection({ name: 'c', dimension: 2, tenant: 't1' }),
      ErrorCode.QUOTA_EXCEEDED,
      'collectionsMax of tenant "t1" is 2',
    );
    await store.createCollection({ name: 'c', dimension: 2, tenant: 't2' });
    await store.dropCollection('a', { tenant: 't1' });
    await store.createCollection({ name: 'c', dimension: 2, tenant: 't1' });
    await store.close();
  });

  it("limits vectors and bytes across a tenant's collections, with per-tenant overrides", async () => {
    const store = await openStore({
      dir: await temp.make(),
      tenantQuota: { vectorsMax: 3 },
      tenants: { big: { quota: { vectorsMax: 100, bytesMax: 5 * DOC_BYTES } } },
    });
    const a = await store.createCollection({ name: 'a', dimension: DIMENSION, tenant: 'small' });
    const b = await store.createCollection({ name: 'b', dimension: DIMENSION, tenant: 'small' });
    await a.insert([doc(1), doc(2)]);
    await expectTierVecError(
      () => b.insert([doc(3), doc(4)]),
      ErrorCode.QUOTA_EXCEEDED,
      'vectorsMax of tenant "small" is 3',
    );
    await b.insert([doc(3)]);
    const big = await store.createCollection({ name: 'a', dimension: DIMENSION, tenant: 'big' });
    await big.insert([doc(1), doc(2), doc(3), doc(4), doc(5)]);
    await expectTierVecError(
      () => big.insert([doc(6)]),
      ErrorCode.QUOTA_EXCEEDED,
      'bytesMax of tenant "big"',
    );
    await store.close();
  });
});
