import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/clock.ts';
import { ErrorCode } from '../../../../src/errors.ts';
import type { ObjectStore } from '../../../../src/object-store/object-store.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';
import { doc, drive, range, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-durability-');
const layout = new RemoteLayout('default', 'docs');
const walKeys = (keys: readonly string[]) => keys.filter((key) => layout.walSeqOf(key) !== undefined);

describe("durability: 'object-store'", () => {
  it('acknowledges a write only once its WAL batch is durable in the object store, and not before', async () => {
    const clock = new ManualClock();
    const { store, docs, mock } = await drive(
      clock,
      stores.open({ clock, durability: 'object-store', mockOptions: { latency: { fixedMs: 50 } } }),
      10,
    );
    expect(store.stats().durability).toBe('object-store');
    let acknowledged = false;
    const write = docs.insert([doc(1)]).then(() => {
      acknowledged = true;
    });
    let steps = 0;
    while (!acknowledged) {
      // Until its batch object is in the object store, the write is neither acknowledged nor visible.
      if (walKeys(mock.keys()).length === 0) {
        expect(acknowledged).toBe(false);
        expect(await docs.get('d1')).toBeUndefined();
      }
      await clock.advance(10);
      steps++;
    }
    await write;
    expect(steps).toBeGreaterThanOrEqual(5);
    expect(walKeys(mock.keys())).toEqual([layout.walKey(1)]);
    expect(await docs.get('d1')).toMatchObject({ id: 'd1' });
    await store.close();
  });

  it('sends concurrent writes, deletes included, in one batch object and replays them on a new machine', async () => {
    const { store, docs, mock, clock } = await stores.open({ durability: 'object-store' });
    await docs.insert(range(0, 5));
    await Promise.all([
      docs.insert(range(5, 10)),
      docs.upsert([{ ...doc(2), metadata: { i: 2, group: 'changed' } }]),
      docs.delete(['d3']),
      docs.insert([doc(10)]),
    ]);
    expect(walKeys(mock.keys())).toEqual([layout.walKey(1), layout.walKey(2)]);
    expect(docs.stats().tiering.remoteWal).toMatchObject({ batches: 2, records: 5, failedRecords: 0 });
    await store.close();
    // A new machine: an empty directory and the same object store.
    const other = await stores.open({ durability: 'object-store', objectStore: mock, clock, create: false });
    expect(other.docs.stats()).toMatchObject({ vectors: 10, tiering: { remoteWal: { replayedRecords: 5 } } });
    expect(await other.docs.get('d3')).toBeUndefined();
    expect(await other.docs.get('d2')).toMatchObject({ metadata: { i: 2, group: 'changed' } });
    expect(await other.docs.get('d10')).toMatchObject({ id: 'd10' });
    // It goes on from there: new writes, and their batches number after the old ones.
    await other.docs.insert([doc(11)]);
    expect(walKeys(mock.keys())).toContain(layout.walKey(3));
    await other.store.close();
  });

  it('leaves no trace of a write the object store refused: not visible, not replayed, and a retry as is succeeds', async () => {
    const { store, docs, mock, clock, dir } = await stores.open({
      durability: 'object-store',
      uploads: { retry: { attemptsMax: 1 } },
    });
    await docs.insert([doc(1)]);
    mock.partition('ServiceUnavailable', { operations: ['put'] });
    const error = await expectTierVecError(() => docs.insert([doc(2)]), ErrorCode.OBJECT_STORE, 'rejected');
    expect(error.details).toMatchObject({ lsn: 2 });
    expect(await docs.get('d2')).toBeUndefined();
    expect(await docs.search(doc(2).vector, { k: 5, exact: true })).not.toContainEqual(
      expect.objectContaining({ id: 'd2' }),
    );
    expect(docs.stats()).toMatchObject({
      vectors: 1,
      tiering: { remoteWal: { failedRecords: 1 }, uploads: { deadLetters: 0 } },
    });
    // Not in the local WAL either: a reopen of this directory does not bring it back.
    await store.close();
    const again = await stores.open({
      durability: 'object-store',
      objectStore: mock,
      clock,
      dir,
      create: false,
    });
    expect(await again.docs.get('d2')).toBeUndefined();
    mock.heal();
    expect(await again.store.replayDeadLetters()).toEqual([]);
    await again.docs.insert([doc(2)]);
    expect(await again.docs.get('d2')).toMatchObject({ id: 'd2' });
    await again.store.close();
    const other = await stores.open({ durability: 'object-store', objectStore: mock, clock, create: false });
    expect(other.docs.stats().vectors).toBe(2);
    await other.store.close();
  });

  it('reports a batch whose answer may have been lost (NetworkError) as WRITE_INDETERMINATE; not visible, safe to retry', async () => {
    const { store, docs, mock } = await stores.open({
      durability: 'object-store',
      uploads: { retry: { attemptsMax: 1 } },
    });
    await docs.insert([doc(0)]);
    mock.partition('NetworkError', { operations: ['put'] });
    await expectTierVecError(() => docs.insert([doc(1)]), ErrorCode.WRITE_INDETERMINATE, 'may or may not');
    expect(await docs.get('d1')).toBeUndefined();
    mock.heal();
    await docs.insert([doc(1)]);
    expect(await docs.get('d1')).toMatchObject({ id: 'd1' });
    await store.close();
  });

  it('leaves no trace of writes refused with DEAD_LETTER_FULL, and says they are in no dead-letter queue', async () => {
    const { store, docs, mock, clock, dir } = await stores.open({
      durability: 'object-store',
      uploads: { retry: { attemptsMax: 1 }, deadLettersMax: 1 },
    });
    await docs.insert([doc(100)]);
    mock.partition('ServiceUnavailable', { operations: ['put'] });
    // Ten writes in ten batches (one per turn of the event loop), all failing at once.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      const write = docs.insert([doc(i)]);
      write.catch(() => undefined);
      writes.push(write);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.allSettled(writes);
    const codes = outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason.code : 'ok'));
    expect(new Set(codes)).toEqual(new Set([ErrorCode.OBJECT_STORE, ErrorCode.DEAD_LETTER_FULL]));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected' && outcome.reason.code === ErrorCode.DEAD_LETTER_FULL) {
        expect(outcome.reason.message).not.toContain('when the dead letters are replayed');
        expect(outcome.reason.message).toContain('rejected');
      }
    }
    for (let i = 0; i < 10; i++) expect(await docs.get(`d${i}`)).toBeUndefined();
    expect(docs.stats().vectors).toBe(1);
    mock.heal();
    await store.replayDeadLetters();
    await store.close();
    const local = await stores.open({
      durability: 'object-store',
      objectStore: mock,
      clock,
      dir,
      create: false,
    });
    expect(local.docs.stats().vectors).toBe(1);
    await local.store.close();
    const other = await stores.open({ durability: 'object-store', objectStore: mock, clock, create: false });
    expect(other.docs.stats().vectors).toBe(1);
    await other.store.close();
  });

  it('deletes WAL batches once a manifest covering them is superseded in the object store, and recovers from segments plus the rest', async () => {
    const { store, docs, mock, clock } = await stores.open({ durability: 'object-store' });
    await docs.insert(range(0, 20));
    await docs.insert(range(20, 25));
    await docs.flush();
    await docs.publish();
    await docs.insert(range(25, 30));
    await docs.delete(['d0']);
    await vi_waitForNoWal(() => walKeys(mock.keys()).length === 3);
    // Batch 1 is covered by a superseded manifest (the seal at 20 rows); batch 2 only by the newest,
    // which a store opening from the superseded one would still need.
    expect(walKeys(mock.keys())).toEqual([layout.walKey(2), layout.walKey(3), layout.walKey(4)]);
    await store.close();
    const other = await stores.open({ durability: 'object-store', objectStore: mock, clock, create: false });
    expect(other.docs.stats().vectors).toBe(29);
    expect(await other.docs.get('d0')).toBeUndefined();
    expect(await other.docs.get('d27')).toMatchObject({ id: 'd27' });
    await other.store.close();
  });

  it('a new machine opening while the old one still publishes finds every acknowledged write (the race of disaster-recovery under load)', async () => {
    const { store, docs, mock, clock } = await stores.open({ durability: 'object-store' });
    await docs.insert(range(0, 10));
    await docs.flush();
    await docs.publish();
    await docs.insert(range(10, 15));
    // The new machine reads the newest manifest, then is held just before it lists the WAL batches.
    const gate = gateWalListing(mock);
    const opening = stores.open({
      durability: 'object-store',
      objectStore: gate.store,
      clock,
      create: false,
    });
    await gate.reached;
    // Meanwhile the old machine, not quite dead, finishes a seal and publishes it.
    await docs.flush();
    await docs.publish();
    await vi_waitForNoWal(() => false);
    gate.open();
    const other = await opening;
    expect(other.docs.stats().vectors).toBe(15);
    expect(await other.docs.get('d12')).toMatchObject({ id: 'd12' });
    await other.store.close();
    await store.close();
  });

  it('refuses an unknown durability with INVALID_ARGUMENT naming the three modes', async () => {
    await expectTierVecError(
      () => stores.open({ durability: 'eventually' as never }),
      ErrorCode.INVALID_ARGUMENT,
      "'fsync', 'buffered' or 'object-store'",
    );
  });
});

/** An object store that holds the first listing of WAL batches until `open()`. */
function gateWalListing(inner: ObjectStore) {
  let reached!: () => void;
  let open!: () => void;
  const reachedPromise = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let held = false;
  const store: ObjectStore = {
    put: (key, body, options) => inner.put(key, body, options),
    get: (key, options) => inner.get(key, options),
    head: (key, options) => inner.head(key, options),
    delete: (key, options) => inner.delete(key, options),
    async *list(prefix, options) {
      if (!held && prefix === layout.walPrefix) {
        held = true;
        reached();
        await opened;
      }
      yield* inner.list(prefix, options);
    },
  };
  return { store, reached: reachedPromise, open };
}

async function vi_waitForNoWal(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
}
