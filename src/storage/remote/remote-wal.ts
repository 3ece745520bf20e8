/**
 * The object-store WAL of one collection (durability 'object-store'): every WAL record also goes,
 * as rows of a batch object `wal/{seq:020d}.arrow`, through a BatchUploader that shares the store's
 * ParallelUploader (retries, breaker, dead letters). Records submitted in the same turn of the event
 * loop share one batch object (group commit), and a record never straddles two objects. A write is
 * acknowledged only once its batch object is durable; `settledThrough(lsn)` tells the collection
 * when every record up to `lsn` has its verdict, so writes are applied, and become visible, in LSN
 * order and only once the object store has answered for them.
 *
 * A batch that ends in the dead-letter queue fails its writes with a typed error (OBJECT_STORE or
 * CIRCUIT_OPEN): those writes are in the local WAL and applied locally, and reach the object store
 * when the dead letters are replayed; a new machine that opens before that does not have them. They
 * were never acknowledged, so nothing acknowledged is lost.
 *
 * On open, `recover` lists the batches and returns the records after a given LSN, so a new machine
 * replays what the newest manifest does not cover. After a manifest covering a batch's records is
 * durable, `release` deletes the batch.
 */

import type { Clock } from '../../clock.ts';
import { describeValue, ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import { decodeBatch } from '../../uploaders/batch-codec.ts';
import { BatchUploader } from '../../uploaders/batch-uploader.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import type { ObjectStore } from '../object-store/object-store.ts';
import type { WalOperation } from '../wal/wal-record.ts';
import { requestOrFail as request } from './object-store-failure.ts';
import type { RemoteLayout } from './remote-layout.ts';
import { type RemoteWalEntry, walEntriesOf, walRecordRows } from './wal-batch-rows.ts';

/** Rows per batch object (the BatchUploader's largest batch); a write call is at most 10,001 rows. */
const BATCH_ROWS_MAX = 100_000;
/** Rows accepted and not yet durable or dead-lettered, per collection. */
const PENDING_ROWS_MAX = 1_000_000;

export interface RemoteWalOptions {
  readonly layout: RemoteLayout;
  readonly objectStore: ObjectStore;
  readonly uploader: ParallelUploader;
  readonly clock: Clock;
  readonly dimension: number;
}

export interface RemoteWalStats {
  /** Records replayed from the object store when the collection opened. */
  replayedRecords: number;
  /** Batch objects written, and records in them. */
  batches: number;
  records: number;
  /** Records whose batch failed (dead-lettered or refused). */
  failedRecords: number;
  /** Batch objects deleted once a published manifest covered them. */
  released: number;
  pendingRecords: number;
}

export class RemoteWal {
  readonly #options: RemoteWalOptions;
  readonly #batches: BatchUploader;
  readonly #pending = new Set<number>();
  #waiters: { lsn: number; resolve: () => void }[] = [];
  /** Highest LSN in each batch object known to exist. */
  readonly #maxLsnBySeq = new Map<number, number>();
  #nextSeq = 0;
  #openRows = 0;
  #sealScheduled = false;
  readonly #stats = { replayedRecords: 0, batches: 0, records: 0, failedRecords: 0, released: 0 };

  constructor(options: RemoteWalOptions) {
    this.#options = options;
    const { layout } = options;
    this.#batches = new BatchUploader({
      objectStore: options.objectStore,
      uploader: options.uploader,
      clock: options.clock,
      dimension: options.dimension,
      batchSizeMax: BATCH_ROWS_MAX,
      // Batches are sealed by this class, once per turn of the event loop; the timer never decides.
      waitMsMax: 3_600_000,
      pendingDocsMax: PENDING_ROWS_MAX,
      onBackpressure: 'reject',
      objectKey: (_, seq) => layout.walKey(seq),
      firstSeq: () => this.#nextSeq,
    });
  }

  /**
   * Lists the collection's WAL batches and returns the complete records with an LSN above
   * `afterLsn`, in LSN order; numbers new batches after every existing one (dead letters included).
   */
  async recover(afterLsn: number): Promise<RemoteWalEntry[]> {
    const { layout, objectStore, uploader } = this.#options;
    const keys = await request(uploader, `Listing ${layout.walPrefix}`, async (signal) => {
      const found: string[] = [];
      for await (const key of objectStore.list(layout.walPrefix, { signal })) found.push(key);
      return found;
    });
    const seqs = keys.map((key) => layout.walSeqOf(key)).filter((seq): seq is number => seq !== undefined);
    seqs.sort((a, b) => a - b);
    const entries: RemoteWalEntry[] = [];
    for (const seq of seqs) {
      const key = layout.walKey(seq);
      const bytes = await request(uploader, `Reading ${key}`, (signal) => objectStore.get(key, { signal }));
      const batch = walEntriesOf(decodeBatch(bytes), key, this.#options.dimension);
      this.#maxLsnBySeq.set(
        seq,
        batch.reduce((max, entry) => Math.max(max, entry.lsn), 0),
      );
      for (const entry of batch) if (entry.lsn > afterLsn) entries.push(entry);
    }
    entries.sort((a, b) => a.lsn - b.lsn);
    const dead = (await uploader.deadLetters.keys())
      .map((key) => layout.walSeqOf(key))
      .filter((seq): seq is number => seq !== undefined);
    this.#nextSeq = [...seqs, ...dead].reduce((max, seq) => Math.max(max, seq), 0) + 1;
    this.#stats.replayedRecords = entries.length;
    return entries;
  }

  /**
   * Sends one WAL record once `ready` resolves (the record counts as pending from now, so
   * `settledThrough` waits for it); resolves once its batch object is durable, rejects with
   * OBJECT_STORE, CIRCUIT_OPEN, RATE_LIMITED or `ready`'s error when it is not (the record stays in
   * the local WAL).
   */
  append(lsn: number, op: WalOperation, ready?: Promise<void>): Promise<void> {
    this.#pending.add(lsn);
    const sent = ready === undefined ? this.#send(lsn, op) : ready.then(() => this.#send(lsn, op));
    return sent.then(
      (seq) => {
        this.#maxLsnBySeq.set(seq, Math.max(this.#maxLsnBySeq.get(seq) ?? 0, lsn));
        this.#stats.records++;
        this.#settle(lsn);
      },
      (error) => {
        this.#stats.failedRecords++;
        this.#settle(lsn);
        throw this.#failure(lsn, error);
      },
    );
  }

  /** Adds the record's rows to the open batch; resolves with the batch's sequence number once durable. */
  #send(lsn: number, op: WalOperation): Promise<number> {
    const rows = walRecordRows(lsn, op, this.#options.dimension);
    if (this.#openRows > 0 && this.#openRows + rows.length > BATCH_ROWS_MAX) this.#seal();
    const collection = this.#options.layout.collection;
    const adds = rows.map((row) => this.#batches.add(collection, row));
    this.#openRows += rows.length;
    if (!this.#sealScheduled) {
      this.#sealScheduled = true;
      setImmediate(() => {
        this.#sealScheduled = false;
        this.#seal();
      });
    }
    return Promise.all(adds).then((receipts) => receipts[0]?.seq as number);
  }

  /** Resolves once every record with an LSN at or below `lsn` is durable or has failed. */
  settledThrough(lsn: number): Promise<void> {
    if (this.#lowestPending() > lsn) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ lsn, resolve }));
  }

  /** Deletes the batch objects whose records are all at or below `sealedLsn` (a durable manifest covers them). */
  async release(sealedLsn: number): Promise<void> {
    const { layout, objectStore, uploader } = this.#options;
    const covered = [...this.#maxLsnBySeq].filter(([, maxLsn]) => maxLsn <= sealedLsn).map(([seq]) => seq);
    for (const seq of covered) {
      const key = layout.walKey(seq);
      await request(uploader, `Deleting ${key}`, (signal) => objectStore.delete(key, { signal }));
      this.#maxLsnBySeq.delete(seq);
      this.#stats.released++;
    }
  }

  stats(): RemoteWalStats {
    return { ...this.#stats, pendingRecords: this.#pending.size };
  }

  /** Sends what is open and waits for every batch to end. */
  async close(): Promise<void> {
    this.#seal();
    await this.#batches.close();
  }

  #seal(): void {
    if (this.#openRows === 0) return;
    this.#openRows = 0;
    this.#stats.batches++;
    // flush() never rejects: each record's own promise carries its batch's outcome.
    void this.#batches.flush(this.#options.layout.collection);
  }

  #settle(lsn: number): void {
    this.#pending.delete(lsn);
    const lowest = this.#lowestPending();
    const ready = this.#waiters.filter((waiter) => waiter.lsn < lowest);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => waiter.lsn >= lowest);
    for (const waiter of ready) waiter.resolve();
  }

  #lowestPending(): number {
    let lowest = Number.POSITIVE_INFINITY;
    for (const lsn of this.#pending) if (lsn < lowest) lowest = lsn;
    return lowest;
  }

  #failure(lsn: number, error: unknown): TierVecError {
    const code = isTierVecError(error) ? error.code : ErrorCode.OBJECT_STORE;
    const reason = error instanceof Error ? error.message : String(error);
    return new TierVecError(
      code,
      `Write ${lsn} of collection ${describeValue(this.#options.layout.collection)} is not durable in the object store (durability 'object-store'): ${reason}. It is in the local WAL and applied here, and reaches the object store when the dead letters are replayed`,
      { cause: error, details: { lsn } },
    );
  }
}
