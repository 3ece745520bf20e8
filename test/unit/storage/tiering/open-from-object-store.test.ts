import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { openStore } from '../../../../src/storage/store.ts';
import { expectTierVecError, seededVector } from '../../../helpers/storage-fixtures.ts';
import { range, tiersOf, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-import-');

const queries = [11, 12, 13, 14].map((q) => seededVector(700 + q, 8));

describe('Opening a store from the object store', () => {
  it('opens every published collection read-write on an empty dir, all segments cold, with the same answers', async () => {
    const first = await stores.open();
    for (let s = 0; s < 3; s++) await first.docs.insert(range(s * 20, s * 20 + 20));
    await first.docs.flush();
    await first.docs.delete(['d4', 'd41']);
    await first.docs.flush();
    await first.docs.publish();
    const exact = await Promise.all(queries.map((q) => first.docs.search(q, { k: 8, exact: true })));
    const ann = await Promise.all(queries.map((q) => first.docs.search(q, { k: 8 })));
    await first.store.close();

    const second = await stores.open({ objectStore: first.mock, clock: first.clock, create: false });
    expect(await second.store.listCollections()).toMatchObject([
      { name: 'docs', dimension: 8, metric: 'l2' },
    ]);
    expect(second.docs.stats()).toMatchObject({ vectors: 58, tiers: { cold: { segments: 3, vectors: 58 } } });
    expect(tiersOf(second.docs)).toEqual(['cold', 'cold', 'cold']);
    expect(await Promise.all(queries.map((q) => second.docs.search(q, { k: 8, exact: true })))).toEqual(
      exact,
    );
    expect(await Promise.all(queries.map((q) => second.docs.search(q, { k: 8 })))).toEqual(ann);
    expect(await second.docs.get('d4')).toBeUndefined();
    expect(await second.docs.get('d40')).toMatchObject({ id: 'd40', metadata: { i: 40 } });
    // Read-write: it continues the collection's lineage in the object store.
    await expectTierVecError(() => second.docs.insert(range(40, 41)), ErrorCode.DUPLICATE_ID);
    const importedVersion = second.docs.stats().tiering.remote.version as number;
    expect(importedVersion).toBeGreaterThan(0);
    await second.docs.insert(range(60, 80));
    await second.docs.flush();
    expect((await second.docs.publish()).version).toBe(importedVersion + 1);
    await second.store.close();

    const third = await stores.open({ objectStore: first.mock, clock: first.clock, create: false });
    expect(third.docs.stats().vectors).toBe(78);
    expect((await third.docs.search(seededVector(71, 8), { k: 1 }))[0]?.id).toBe('d70');
    await third.store.close();
  });

  it('reopens a directory with cold segments without the object store, and fails a promotion with a typed error', async () => {
    const first = await stores.open({ uploads: { retry: { attemptsMax: 1 } } });
    await first.docs.insert(range(0, 20));
    await first.docs.flush();
    await first.docs.publish();
    await first.docs.setTier('cold');
    await first.store.close();
    first.mock.partition('NetworkError');
    const again = await stores.open({
      dir: first.dir,
      objectStore: first.mock,
      clock: first.clock,
      create: false,
      uploads: { retry: { attemptsMax: 1 } },
    });
    expect(tiersOf(again.docs)).toEqual(['cold']);
    expect(again.docs.stats().vectors).toBe(20);
    await expectTierVecError(() => again.docs.search(seededVector(1, 8)), ErrorCode.OBJECT_STORE);
    first.mock.heal();
    expect((await again.docs.search(seededVector(1, 8), { k: 1 }))[0]?.id).toBe('d0');
    await again.store.close();
  });

  it('deletes a dropped collection from the object store, so a new machine does not open it again', async () => {
    const first = await stores.open();
    await first.docs.insert(range(0, 20));
    await first.docs.flush();
    await first.docs.publish();
    expect(first.mock.keys().length).toBeGreaterThan(4);
    await first.store.dropCollection('docs');
    expect(first.mock.keys().filter((key) => key.startsWith('tenants/default/collections/docs/'))).toEqual(
      [],
    );
    await first.store.close();
    const other = await stores.open({ objectStore: first.mock, clock: first.clock, create: 'skip' });
    expect(await other.store.listCollections()).toEqual([]);
    await other.store.close();
  });

  it('refuses to open an empty dir while the object store cannot be listed, with OBJECT_STORE', async () => {
    const first = await stores.open();
    await first.store.close();
    first.mock.partition('ServiceUnavailable');
    const dir = await stores.temp.make();
    await expectTierVecError(
      () =>
        openStore({
          dir,
          objectStore: first.mock,
          clock: first.clock,
          uploads: { retry: { attemptsMax: 1 } },
        }),
      ErrorCode.OBJECT_STORE,
      'tenants/',
    );
    first.mock.heal();
    const store = await openStore({ dir, objectStore: first.mock, clock: first.clock });
    // The first store published its (empty) collection when it created it.
    expect(await store.listCollections()).toMatchObject([{ name: 'docs' }]);
    await store.close();
  });
});
