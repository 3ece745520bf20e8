/**
 * The object-store WAL of one collection (durability 'object-store'): every WAL record also goes,
 * as rows of a batch object `wal/{seq:020d}.arrow`, through a BatchUploader that shares the store's
 * ParallelUploader (retries, breaker, dead letters). Records submitted in the same turn of the event
 * loop share one batch object (group commit), and a record never straddles two objects. A write is
 * acknowledged only once its batch object is durable; `settledThrough(lsn)` tells the collection
 * when every record up to `lsn` has its verdict, so writes are applied, and become visible, in LSN
 * order and only once the object store has answered for them.
 *
 * A write whose batch fails is not applied and leaves no trace (see the collection's write path): its
 * dead-letter entry, if the batch got one, is removed at once, so no later replay brings it back.
 * It fails with the uploader's code (OBJECT_STORE, CIRCUIT_OPEN, DEAD_LETTER_FULL, RATE_LIMITED)
 * when the batch object was certainly not stored, and with WRITE_INDETERMINATE when a request may
 * have stored it with its answer lost (a network error, a timeout, a 500): then a new machine may
 * replay it. Either way a retry as is is safe: writes are idempotent by id.
 *
 * On open, `recover` lists the batches and returns the records after a given LSN, so a new machine
 * replays what the newest manifest does not cover; before its first record, a process claims its
 * writer epoch, so that records a dead process's late batches hold under LSNs numbered again here
 * are void (wal-epochs.ts). `release` deletes the batches a manifest covers;
 * the collection calls it with the manifest superseded by a new publish, never the newest one, since
 * a store opening from the object store may have read the superseded manifest and still need them.
 */

import type { Clock } from '../../clock.ts';
import { describeValue, ErrorCode, isTierVecError, TierVecError } from '../../errors.ts';
import type { ObjectStore } from '../../object-store/object-store.ts';
import { isCredentialsError, isObjectStoreError } from '../../object-store/object-store-error.ts';
import { decodeBatch } from '../../uploaders/batch-codec.ts';
import { BatchUploader } from '../../uploaders/batch-uploader.ts';
import type { ParallelUploader } from '../../uploaders/parallel-uploader.ts';
import type { WalOperation } from '../wal/wal-record.ts';
import { requestOrFail as request } from './object-store-failure.ts';
import type { RemoteLayout } from './remote-layout.ts';
import { type RemoteWalEntry, type WalWriter, walEntriesOf, walRecordRows } from './wal-batch-rows.ts';
import { claimWalEpoch, forgetOlderEpochs, liveEntries } from './wal-epochs.ts';

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
  /** Dead-letter entries of failed batches, removed or being removed (by entry id). */
  readonly #forgotten = new Map<string, Promise<void>>();
  #waiters: { lsn: number; resolve: () => void }[] = [];
  /** Highest LSN in each batch object known to exist. */
  readonly #maxLsnBySeq = new Map<number, number>();
  #nextSeq = 0;
  /** Epoch markers found by `recover`, and the highest epoch of markers and records: this process claims one above. */
  #epochs: { markers: number[]; highest: number } = { markers: [], highest: 0 };
  /** The first LSN this process numbers (1 for a collection `recover` never ran on). */
  #base = 1;
  /** This process's epoch and first LSN (wal-epochs.ts), claimed before its first record is sent. */
  #writer: WalWriter | undefined;
  #claiming: Promise<WalWriter> | undefined;
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
    const epochs = keys.map((key) => layout.walEpochOf(key)).filter((e): e is number => e !== undefined);
    const records: RemoteWalEntry[] = [];
    for (const seq of seqs) {
      const key = layout.walKey(seq);
      const bytes = await request(uploader, `Reading ${key}`, (signal) => objectStore.get(key, { signal }));
      const batch = walEntriesOf(decodeBatch(bytes), key, this.#options.dimension);
      this.#maxLsnBySeq.set(
        seq,
        batch.reduce((max, entry) => Math.max(max, entry.lsn), 0),
      );
      records.push(...batch);
    }
    // Records a dead process's late batches hold under LSNs its successor numbered again are void.
    const entries = liveEntries(records, `WAL of collection ${describeValue(layout.collection)}`).filter(
      (entry) => entry.lsn > afterLsn,
    );
    const dead = (await uploader.deadLetters.keys())
      .map((key) => layout.walSeqOf(key))
      .filter((seq): seq is number => seq !== undefined);
    this.#nextSeq = [...seqs, ...dead].reduce((max, seq) => Math.max(max, seq), 0) + 1;
    this.#epochs = { markers: epochs, highest: Math.max(0, ...epochs, ...records.map((r) => r.epoch ?? 0)) };
    // The collection numbers its next write after these (and after its local WAL, which `afterLsn` covers).
    this.#base = Math.max(afterLsn, entries.at(-1)?.lsn ?? 0) + 1;
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
    const sent =
      this.#writer !== undefined && ready === undefined
        ? this.#send(lsn, op)
        : (ready ?? Promise.resolve()).then(() => this.#claimed()).then(() => this.#send(lsn, op));
    return sent.then(
      (seq) => {
        this.#maxLsnBySeq.set(seq, Math.max(this.#maxLsnBySeq.get(seq) ?? 0, lsn));
        this.#stats.records++;
        this.#settle(lsn);
      },
      async (error) => {
        this.#stats.failedRecords++;
        try {
          await this.#forgetDeadLetter(error);
        } finally {
          this.#settle(lsn);
        }
        throw this.#failure(lsn, error);
      },
    );
  }

  /**
   * This process's writer epoch, claimed before its first record is sent (not at open, so a store
   * opens and reads while the object store refuses puts). A failed claim fails the records waiting
   * on it (they were not sent) and is tried again by the next one.
   */
  #claimed(): Promise<WalWriter> {
    if (this.#claiming === undefined) {
      const { objectStore, uploader, layout } = this.#options;
      const { markers, highest } = this.#epochs;
      this.#claiming = claimWalEpoch(objectStore, uploader, layout, highest).then(
        (epoch) => {
          this.#writer = { epoch, base: this.#base };
          void forgetOlderEpochs(objectStore, uploader, layout, markers, epoch);
          return this.#writer;
        },
        (error: unknown) => {
          this.#claiming = undefined;
          throw new TierVecError(
            isTierVecError(error) ? error.code : ErrorCode.OBJECT_STORE,
            `Claiming the writer epoch of collection ${describeValue(layout.collection)} failed, so nothing was sent: ${error instanceof Error ? error.message : String(error)}`,
          );
        },
      );
    }
    return this.#claiming;
  }

  /** Adds the record's rows to the open batch; resolves with the batch's sequence number once durable. */
  #send(lsn: number, op: WalOperation): Promise<number> {
    const rows = walRecordRows(lsn, op, this.#options.dimension, this.#writer);
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

  /**
   * The write is rolled back, so its batch must not reach the object store later: its dead-letter
   * entry goes. Failing to remove it only leaves the entry (a replay would then store the write).
   */
  async #forgetDeadLetter(error: unknown): Promise<void> {
    const id = isTierVecError(error) ? error.details?.deadLetterId : undefined;
    if (typeof id !== 'string') return;
    // Every record of the batch fails with the same entry: it is removed once.
    let removal = this.#forgotten.get(id);
    if (removal === undefined) {
      removal = this.#options.uploader.deadLetters.remove(id);
      this.#forgotten.set(id, removal);
    }
    await removal;
  }

  #failure(lsn: number, error: unknown): TierVecError {
    const collection = describeValue(this.#options.layout.collection);
    const reason = error instanceof Error ? error.message : String(error);
    if (mayHaveStored(error)) {
      return new TierVecError(
        ErrorCode.WRITE_INDETERMINATE,
        `Write ${lsn} of collection ${collection} may or may not be durable in the object store (durability 'object-store'): ${reason}. It is not visible here; retrying it as is is safe (writes are idempotent by id)`,
        { cause: error, details: { lsn } },
      );
    }
    const code = isTierVecError(error)
      ? error.code
      : isCredentialsError(error)
        ? ErrorCode.OBJECT_STORE_CREDENTIALS
        : ErrorCode.OBJECT_STORE;
    return new TierVecError(
      code,
      `Write ${lsn} of collection ${collection} was rejected: it is not durable in the object store (durability 'object-store'): ${reason}. It left no trace (not visible, not kept for a later replay); retry it as is`,
      { cause: error, details: { lsn } },
    );
  }
}

/** Causes followed when looking for the object-store error under wrapping errors. */
const CAUSE_DEPTH_MAX = 8;

/**
 * True when a request may have stored the object with its answer lost: the batch was sent more than
 * once (an earlier attempt's retryable failure may have been such a request), or its one attempt
 * failed with a network error or timeout (status 0 or RequestTimeout) or an internal error (500 and
 * other 5xx but 503, which S3 sends for requests it did not process). Refusals on a first attempt
 * (4xx, 503, an open breaker, a full queue) stored nothing.
 */
function mayHaveStored(error: unknown): boolean {
  // Attempts before the last one failed with retryable errors, some of which (a lost answer, a
  // timeout, a 500) may have stored the object: only a failure on the first attempt can be a refusal.
  const attempts = isTierVecError(error) ? error.details?.attempts : undefined;
  if (typeof attempts === 'number' && attempts > 1) return true;
  let current = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && current instanceof Error; depth++) {
    if (isObjectStoreError(current)) {
      return (
        current.status === 0 ||
        current.code === 'RequestTimeout' ||
        (current.status >= 500 && current.status !== 503)
      );
    }
    current = current.cause;
  }
  return false;
}
