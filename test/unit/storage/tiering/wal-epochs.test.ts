/**
 * Writer epochs of the object-store WAL: a dead process's batch that lands after its successor
 * numbered its writes from the same LSNs (simulation seed 11882) must not stop the collection from
 * opening, nor replace the successor's acknowledged write.
 */

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import {
  type RemoteWalEntry,
  walEntriesOf,
  walRecordRows,
} from '../../../../src/storage/remote/wal-batch-rows.ts';
import { liveEntries } from '../../../../src/storage/remote/wal-epochs.ts';
import { decodeBatch, encodeBatchRecords } from '../../../../src/uploaders/batch-codec.ts';
import { toBatchRecord } from '../../../../src/uploaders/batch-document.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';
import { DIMENSION, doc, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-wal-epochs-');
const layout = new RemoteLayout('default', 'docs');

const del = (lsn: number, epoch?: number, base?: number): RemoteWalEntry => ({
  lsn,
  op: { kind: 'delete', ids: [`x${lsn}`] },
  ...(epoch === undefined ? {} : { epoch, base }),
});

describe('WAL writer epochs', () => {
  it('voids the records of an earlier epoch at or above a later epoch base, and keeps the rest in LSN order', () => {
    const records = [del(2), del(4), del(3, 1, 3), del(5, 1, 3), del(6, 1, 3), del(6, 2, 6), del(7, 2, 6)];
    expect(liveEntries(records, 'test').map((r) => [r.lsn, r.epoch ?? 0])).toEqual([
      [2, 0],
      [3, 1],
      [5, 1],
      [6, 2],
      [7, 2],
    ]);
  });

  it('reports two live records with one LSN as CORRUPT_DATA, not a raw error', async () => {
    await expectTierVecError(
      () => liveEntries([del(3, 1, 1), del(3, 1, 1)], 'test'),
      ErrorCode.CORRUPT_DATA,
      'LSN 3',
    );
  });

  it('stamps each record with its writer and reads the stamp back (absent: epoch 0)', () => {
    const rows = walRecordRows(9, { kind: 'delete', ids: ['a'] }, 4, { epoch: 3, base: 7 });
    const bytes = encodeBatchRecords(rows.map((row) => toBatchRecord(row, 4)));
    expect(walEntriesOf(decodeBatch(bytes), 'k', 4)).toMatchObject([{ lsn: 9, epoch: 3, base: 7 }]);
    const old = walRecordRows(9, { kind: 'delete', ids: ['a'] }, 4);
    const oldBytes = encodeBatchRecords(old.map((row) => toBatchRecord(row, 4)));
    expect(walEntriesOf(decodeBatch(oldBytes), 'k', 4)).toMatchObject([{ lsn: 9, epoch: 0, base: 0 }]);
  });

  it("opens, with the successor's write, after a dead process's batch landed late under the successor's LSN", async () => {
    const first = await stores.open({ durability: 'object-store' });
    await first.docs.insert([doc(1)]);
    const epochOfFirst = first.mock.keys().flatMap((key) => layout.walEpochOf(key) ?? []);
    expect(epochOfFirst).toHaveLength(1);
    // The first process dies with a write in flight (never acknowledged). Its successor opens on a
    // new directory and numbers its writes; then the dead process's batch lands under the next batch
    // number, holding the LSN the successor gives its next write.
    const successor = await stores.open({
      durability: 'object-store',
      objectStore: first.mock,
      clock: first.clock,
      create: false,
    });
    const seqs = first.mock.keys().flatMap((key) => layout.walSeqOf(key) ?? []);
    const lastLsn = Math.max(
      ...seqs.map(
        (seq) =>
          walEntriesOf(decodeBatch(first.mock.peek(layout.walKey(seq)) as Uint8Array), 'k', DIMENSION).at(-1)
            ?.lsn ?? 0,
      ),
    );
    const writer = { epoch: epochOfFirst[0] as number, base: 1 };
    const lateDoc = { ...doc(2), metadata: { i: 2, group: 'late, never acknowledged' } };
    const late = [
      ...walRecordRows(
        lastLsn + 1,
        {
          kind: 'upsert',
          docs: [
            {
              id: 'd2',
              vector: Float32Array.from(lateDoc.vector),
              metadataJson: JSON.stringify(lateDoc.metadata),
              bytes: 0,
            },
          ],
        },
        DIMENSION,
        writer,
      ),
      ...walRecordRows(lastLsn + 2, { kind: 'delete', ids: ['d1'] }, DIMENSION, writer),
    ];
    await first.mock.put(
      layout.walKey(Math.max(...seqs) + 1),
      encodeBatchRecords(late.map((row) => toBatchRecord(row, DIMENSION))),
    );
    // The successor's next batch number is taken: that write is rejected (no trace), its retry is not.
    await expectTierVecError(() => successor.docs.insert([doc(3)]), ErrorCode.OBJECT_STORE, 'already exists');
    await successor.docs.insert([doc(3)]);
    await successor.docs.upsert([{ ...doc(2), metadata: { i: 2, group: 'acknowledged' } }]);
    // A third machine, from the object store alone.
    const third = await stores.open({
      durability: 'object-store',
      objectStore: first.mock,
      clock: first.clock,
      create: false,
    });
    expect(await third.docs.get('d1')).toMatchObject({ id: 'd1' });
    expect(await third.docs.get('d3')).toMatchObject({ id: 'd3' });
    expect(await third.docs.get('d2')).toMatchObject({ metadata: { group: 'acknowledged' } });
    await third.store.close();
    await successor.store.close();
  });
});
