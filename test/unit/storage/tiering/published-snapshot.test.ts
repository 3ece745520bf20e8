/**
 * A published manifest is a consistent snapshot at its `sealedLsn`: after the local disk is lost, a
 * store opening from the object store sees every write up to it and none after it. A deletion (or
 * the removal of an upserted document's old row) by a later write must not be in it, or the old row
 * is gone while its replacement, only in the lost WAL, is missing too (simulation seed 10756).
 */

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/clock.ts';
import { doc, drive, range, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-snapshot-');

const changed = (i: number) => ({ ...doc(i), metadata: { i, group: 'changed' } });

describe('A published manifest after the local disk is lost', () => {
  it('does not hold the deletion of a row by a write after its sealedLsn (a seal racing an upsert)', async () => {
    const first = await stores.open({ segmentVectorsMax: 2 });
    await first.docs.insert(range(0, 2));
    await first.docs.flush();
    await first.docs.publish();
    // The insert fills the active segment (a seal job for it starts); the upsert replaces d0, a row of
    // the sealed segment, before that job writes its manifest.
    await Promise.all([first.docs.insert(range(2, 4)), first.docs.upsert([changed(0)])]);
    await first.docs.publish();
    const other = await stores.open({ objectStore: first.mock, clock: first.clock, create: false });
    // The upsert is in no published manifest: d0 is as the last published manifest left it.
    expect(await other.docs.get('d0')).toMatchObject({ metadata: { i: 0 } });
    expect(other.docs.stats().vectors).toBe(4);
    await other.store.close();
    await first.store.close();
  });

  it('does not lose a row compaction dropped for a deletion after its sealedLsn', async () => {
    const clock = new ManualClock();
    const first = await drive(
      clock,
      stores.open({ clock, segmentVectorsMax: 4, mockOptions: { latency: { fixedMs: 50 } } }),
    );
    const { docs } = first;
    await drive(clock, docs.insert(range(0, 2)));
    await drive(clock, docs.flush());
    await drive(clock, docs.insert(range(2, 4)));
    await drive(clock, docs.flush());
    await drive(clock, docs.publish());
    await drive(clock, docs.setTier('cold'));
    // Compaction waits for its downloads (on the manual clock) while d1 is deleted.
    const compaction = docs.compact({ smallSegmentRatio: 1 });
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    await docs.delete(['d1']);
    const result = await drive(clock, compaction);
    expect(result.segmentsWritten).toBe(1);
    await drive(clock, docs.publish());
    const other = await drive(clock, stores.open({ objectStore: first.mock, clock, create: false }));
    // The deletion is in no published manifest: d1 is as the last published manifest left it.
    expect(await drive(clock, other.docs.get('d1'))).toMatchObject({ id: 'd1' });
    expect(other.docs.stats().vectors).toBe(4);
    await drive(clock, other.store.close());
    await drive(clock, first.store.close());
  });
});
