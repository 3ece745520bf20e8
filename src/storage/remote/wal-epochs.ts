/**
 * Writer epochs of a collection's object-store WAL (durability 'object-store'). A process that dies
 * may leave WAL batch puts in flight that land after its successor listed the batches and numbered
 * its own writes from the same LSNs: two records would then hold one LSN. So every process that
 * opens the collection for writing first claims an epoch, one above every epoch claimed before, with
 * a create-only marker object `wal/epochs/{epoch:020d}.json`, and stamps each WAL record it writes
 * with its epoch and its base (the first LSN it numbers). On replay a record is void when a later
 * epoch's base is at or below its LSN: that LSN was numbered again by a process that started after
 * the record's writer, so the record landed late, after its writer died, and was never acknowledged.
 *
 * Records written before epochs existed have epoch 0 and base 0. This module must never void a
 * record of the newest epoch, nor a record below every later epoch's base.
 */

import { randomUUID } from 'node:crypto';
import { ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import { putCreateOnly } from './create-only-put.ts';
import { objectStoreFailure } from './object-store-failure.ts';
import type { RemoteLayout } from './remote-layout.ts';
import type { RemoteWalEntry } from './wal-batch-rows.ts';

/** Claims tried before giving up (each taken one means another process claimed it meanwhile). */
const CLAIM_ATTEMPTS_MAX = 16;

/**
 * Claims the next epoch: one above `highest` (the highest epoch among the listed markers and
 * records), with a create-only marker; a marker taken by another process moves on to the next.
 * Resolves with 0 when the object store refuses writes (a read replica's: it never writes records).
 */
export async function claimWalEpoch(
  objectStore: ObjectStore,
  uploader: ParallelUploader,
  layout: RemoteLayout,
  highest: number,
): Promise<number> {
  const body = Buffer.from(JSON.stringify({ format: 'tiervec.wal-epoch', claim: randomUUID() }));
  for (let epoch = highest + 1; epoch <= highest + CLAIM_ATTEMPTS_MAX; epoch++) {
    const key = layout.walEpochKey(epoch);
    try {
      if ((await putCreateOnly(objectStore, uploader, key, body)) === 'created') return epoch;
    } catch (error) {
      if (isTierVecError(error, ErrorCode.READ_ONLY)) return 0;
      throw objectStoreFailure(`Claiming WAL epoch ${epoch} (${key})`, error);
    }
  }
  throw new TierVecError(
    ErrorCode.OBJECT_STORE,
    `Could not claim a WAL epoch for collection ${layout.collection}: epochs ${highest + 1} to ${highest + CLAIM_ATTEMPTS_MAX} were all taken by other processes`,
    { details: { collection: layout.collection } },
  );
}

/** Deletes the markers of epochs below `epoch` (best effort: a marker left only costs a listing). */
export async function forgetOlderEpochs(
  objectStore: ObjectStore,
  uploader: ParallelUploader,
  layout: RemoteLayout,
  epochs: readonly number[],
  epoch: number,
): Promise<void> {
  await Promise.allSettled(
    epochs
      .filter((older) => older < epoch)
      .map((older) => {
        const key = layout.walEpochKey(older);
        return uploader.request(`delete ${key}`, (signal) => objectStore.delete(key, { signal }));
      }),
  );
}

/**
 * The records that count, in LSN order: each record not voided by a later epoch's base. Two records
 * left with one LSN cannot come from writers that claimed epochs; it is CORRUPT_DATA.
 */
export function liveEntries(records: readonly RemoteWalEntry[], where: string): RemoteWalEntry[] {
  const baseOf = new Map<number, number>();
  for (const { epoch = 0, base = 0 } of records) {
    if (epoch > 0) baseOf.set(epoch, Math.min(baseOf.get(epoch) ?? base, base));
  }
  const epochs = [...baseOf.keys()].sort((a, b) => b - a);
  /** The lowest base of any epoch above each epoch. */
  const laterBase = new Map<number, number>();
  let lowest = Number.POSITIVE_INFINITY;
  for (const epoch of epochs) {
    laterBase.set(epoch, lowest);
    lowest = Math.min(lowest, baseOf.get(epoch) as number);
  }
  const live = records
    .filter((record) => record.lsn < (laterBase.get(record.epoch ?? 0) ?? lowest))
    .sort((a, b) => a.lsn - b.lsn);
  for (let i = 1; i < live.length; i++) {
    if ((live[i] as RemoteWalEntry).lsn === (live[i - 1] as RemoteWalEntry).lsn) {
      throw new TierVecError(
        ErrorCode.CORRUPT_DATA,
        `${where}: two WAL records hold LSN ${(live[i] as RemoteWalEntry).lsn}`,
        { details: { lsn: (live[i] as RemoteWalEntry).lsn } },
      );
    }
  }
  return live;
}
