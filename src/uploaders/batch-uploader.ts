/**
 * The BatchUploader turns a stream of documents into batch objects: per collection, documents
 * collect in an open batch that is sealed when it holds `batchSizeMax` documents or when `waitMsMax`
 * has passed on the clock since its first document (a timer, so a lone document never waits for a
 * next `add`). A sealed batch gets the collection's next sequence number, is encoded as one Arrow IPC
 * object (see batch-codec.ts) and uploaded through a ParallelUploader, so it shares the retry
 * policy, the circuit breaker, the concurrency bound and the dead-letter queue with every other
 * upload. `add` resolves once the document's batch is durable in the object store and rejects, with
 * the reason, if the batch was dead-lettered instead.
 *
 * Keys: `objectKey(collection, seq)`, by default `${keyPrefix}${collection}/${seq:020d}.arrow`, so a
 * listing returns a collection's batches in write order. Sequence numbers never repeat: before a
 * collection's first batch, the next number is found from the object store (the highest existing
 * batch key) and from the dead-letter queue (batches waiting for replay), unless `firstSeq` says;
 * and batches are written create-only (`If-None-Match: *`), so an existing object is never replaced.
 *
 * A batch leaves the pending set only when its upload ended: uploaded, or kept in the dead-letter
 * queue on disk. Pending documents are bounded by `pendingDocsMax` (backpressure: `add` waits, or
 * rejects with RATE_LIMITED). This module never talks to the store except through the uploader.
 */

import { CLOCK_OPTION, type Clock, systemClock, type TimerHandle } from '../clock.ts';
import { checkInteger, describeValue, ErrorCode, isTierVecError, TierVecError } from '../errors.ts';
import {
  callback,
  checkOptions,
  integer,
  invalidOption,
  matching,
  oneOf,
  optional,
  pickOptions,
  withMethods,
} from '../options.ts';
import type { ObjectStore } from '../storage/object-store/object-store.ts';
import { encodeBatchRecords } from './batch-codec.ts';
import { type BatchDocument, type BatchRecord, DIMENSION_MAX, toBatchRecord } from './batch-document.ts';
import type { CircuitBreakerOptions } from './circuit-breaker.ts';
import { BATCH_UPLOADER_DEFAULTS, PARALLEL_UPLOADER_DEFAULTS } from './defaults.ts';
import {
  PARALLEL_UPLOADER_LIMITS,
  ParallelUploader,
  type ParallelUploaderStats,
  type UploadResult,
} from './parallel-uploader.ts';
import type { RetryOptions } from './retry.ts';
import { type ReleasePermit, Semaphore } from './semaphore.ts';

export interface BatchUploaderOptions {
  objectStore: ObjectStore;
  /** Upload through this ParallelUploader (shared breaker, bound and dead letters); else one is made from the options below. */
  uploader?: ParallelUploader;
  /** Dead-letter directory of the uploader made here; required without `uploader`. */
  deadLetterDir?: string;
  /** Prepended to every default key. @default '' */
  keyPrefix?: string;
  /** The object key of batch `seq` of `collection`; requires `firstSeq`. @default `${keyPrefix}${collection}/${seq:020d}.arrow` */
  objectKey?: (collection: string, seq: number) => string;
  /** The first sequence number to use for `collection`. @default found from the store and the dead letters */
  firstSeq?: (collection: string) => number | Promise<number>;
  /** Vector length of every collection (1..4096). @default the first document's, per collection */
  dimension?: number;
  /** @default 100 */
  batchSizeMax?: number;
  /** @default 50 */
  waitMsMax?: number;
  /** @default 10000 */
  pendingDocsMax?: number;
  /** @default 'wait' */
  onBackpressure?: 'wait' | 'reject';
  clock?: Clock;
  /** Options of the uploader made here (see ParallelUploaderOptions); not allowed with `uploader`. */
  concurrencyMax?: number;
  retry?: RetryOptions;
  circuitBreaker?: CircuitBreakerOptions;
  deadLettersMax?: number;
  attemptTimeoutMs?: number;
  seed?: number;
}

/** Where an accepted document became durable. */
export interface BatchReceipt {
  collection: string;
  key: string;
  seq: number;
  /** The document's row in the batch object. */
  row: number;
}

export type BatchOutcome =
  | { state: 'uploaded'; collection: string; key: string; seq: number; docs: number; attempts: number }
  | {
      state: 'dead-lettered';
      collection: string;
      key: string;
      seq: number;
      docs: number;
      attempts: number;
      error: unknown;
      deadLetterId: string;
    }
  | { state: 'failed'; collection: string; key: string | undefined; docs: number; error: unknown };

export interface BatchUploaderStats {
  /** Documents accepted and not yet uploaded or dead-lettered. */
  pendingDocs: number;
  /** `add` calls waiting for room. */
  waitingAdds: number;
  openBatches: number;
  batchesInFlight: number;
  batchesUploaded: number;
  docsUploaded: number;
  batchesDeadLettered: number;
  docsDeadLettered: number;
  batchesFailed: number;
  uploader: ParallelUploaderStats;
}

interface Waiter {
  row: number;
  /** Gives the document's slot of `pendingDocsMax` back once its batch has ended. */
  release: ReleasePermit;
  resolve: (receipt: BatchReceipt) => void;
  reject: (error: unknown) => void;
}

interface OpenBatch {
  records: BatchRecord[];
  waiters: Waiter[];
  timer: TimerHandle | undefined;
}

interface CollectionState {
  name: string;
  dimension: number | undefined;
  open: OpenBatch | undefined;
  /** Assigns sequence numbers in seal order when one must be waited for; each link waits for the previous one. */
  sequencer: Promise<void>;
  /** Links of `sequencer` not yet ended; while any is, a new number waits its turn. */
  seqTurns: number;
  nextSeq: number | undefined;
  inFlight: Set<Promise<BatchOutcome>>;
}

const COLLECTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const DEFAULT_KEY_FILE = /^(\d{20})\.arrow$/;
/** The ParallelUploader options a BatchUploader passes on to the uploader it makes. */
const UPLOADER_OPTIONS = [
  'deadLetterDir',
  'concurrencyMax',
  'retry',
  'circuitBreaker',
  'deadLettersMax',
  'attemptTimeoutMs',
  'seed',
] as const;

/** What each BatchUploader option may be; any other key is rejected. */
export const BATCH_UPLOADER_LIMITS = Object.freeze({
  objectStore: withMethods<ObjectStore>('an ObjectStore', ['put', 'list']),
  uploader: optional(
    matching<ParallelUploader>('a ParallelUploader', (value) => value instanceof ParallelUploader),
  ),
  keyPrefix: matching<string>(
    'a string of at most 512 bytes',
    (value) => typeof value === 'string' && Buffer.byteLength(value) <= 512,
  ),
  objectKey: optional(
    callback<(collection: string, seq: number) => string>('a function (collection, seq) => key'),
  ),
  firstSeq: optional(
    callback<(collection: string) => number | Promise<number>>('a function (collection) => number'),
  ),
  dimension: optional(integer(1, DIMENSION_MAX)),
  batchSizeMax: integer(1, 100_000),
  waitMsMax: integer(0, 3_600_000),
  pendingDocsMax: integer((checked) => checked.batchSizeMax as number, 10_000_000),
  onBackpressure: oneOf(['wait', 'reject']),
  clock: optional(CLOCK_OPTION),
  ...pickOptions(PARALLEL_UPLOADER_LIMITS, UPLOADER_OPTIONS),
  /** Required without `uploader`, absent with it. */
  deadLetterDir: optional(PARALLEL_UPLOADER_LIMITS.deadLetterDir),
});

type CheckedBatchOptions = ReturnType<typeof checkBatchOptions>;

/** Checks the options against BATCH_UPLOADER_LIMITS, then the rules that tie options together. */
function checkBatchOptions(options: BatchUploaderOptions) {
  // The options passed on take the uploader's defaults, so they are checked here as it checks them.
  const defaults = { ...PARALLEL_UPLOADER_DEFAULTS, ...BATCH_UPLOADER_DEFAULTS };
  const checked = checkOptions(options, BATCH_UPLOADER_LIMITS, defaults);
  if (checked.objectKey !== undefined && checked.firstSeq === undefined) {
    throw invalidOption(
      'firstSeq',
      'given with a custom `objectKey`, so batches never overwrite earlier ones',
      undefined,
    );
  }
  if (checked.uploader === undefined && checked.deadLetterDir === undefined) {
    throw invalidOption('deadLetterDir', 'a directory path (or pass `uploader`)', undefined);
  }
  if (checked.uploader !== undefined) {
    for (const name of UPLOADER_OPTIONS) {
      if (options[name] !== undefined)
        throw invalidOption(name, 'absent when `uploader` is given', options[name]);
    }
  }
  return checked;
}

function checkCollection(name: unknown): string {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
    throw new TierVecError(
      ErrorCode.INVALID_NAME,
      `Expected the collection name to match ${COLLECTION_NAME}, got ${describeValue(name)}`,
      { details: { name } },
    );
  }
  return name;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function checkDimension(record: BatchRecord, dimension: number | undefined): void {
  if (dimension !== undefined && record.vector.length !== dimension) {
    throw new TierVecError(
      ErrorCode.DIMENSION_MISMATCH,
      `Expected the \`vector\` of document ${describeValue(record.id)} to have ${dimension} numbers (the collection's dimension), got ${record.vector.length}`,
      { details: { id: record.id, expected: dimension, actual: record.vector.length } },
    );
  }
}

function makeUploader(checked: CheckedBatchOptions, clock: Clock): ParallelUploader {
  if (checked.uploader !== undefined) return checked.uploader;
  return new ParallelUploader({
    ...pickOptions(checked, UPLOADER_OPTIONS),
    objectStore: checked.objectStore,
    deadLetterDir: checked.deadLetterDir as string,
    clock,
    // Every sealed batch holds at least one pending document, so its own bound covers the queue.
    queuedMax: checked.pendingDocsMax,
  });
}

export class BatchUploader {
  readonly keyPrefix: string;
  readonly dimension: number | undefined;
  readonly batchSizeMax: number;
  readonly waitMsMax: number;
  readonly pendingDocsMax: number;
  readonly onBackpressure: 'wait' | 'reject';
  readonly uploader: ParallelUploader;
  readonly #ownsUploader: boolean;
  readonly #store: ObjectStore;
  readonly #clock: Clock;
  readonly #objectKey: (collection: string, seq: number) => string;
  readonly #firstSeq: ((collection: string) => number | Promise<number>) | undefined;
  readonly #collections = new Map<string, CollectionState>();
  /** One permit per document accepted and not yet uploaded or dead-lettered. */
  readonly #room: Semaphore;
  #closing: Promise<void> | undefined;
  #stats = {
    batchesUploaded: 0,
    docsUploaded: 0,
    batchesDeadLettered: 0,
    docsDeadLettered: 0,
    batchesFailed: 0,
  };

  constructor(options: BatchUploaderOptions) {
    const checked = checkBatchOptions(options);
    this.dimension = checked.dimension;
    this.batchSizeMax = checked.batchSizeMax;
    this.waitMsMax = checked.waitMsMax;
    this.pendingDocsMax = checked.pendingDocsMax;
    this.keyPrefix = checked.keyPrefix;
    this.onBackpressure = checked.onBackpressure;
    this.#store = checked.objectStore;
    this.#clock = checked.clock ?? systemClock;
    this.#objectKey = checked.objectKey ?? ((collection, seq) => this.#defaultKey(collection, seq));
    this.#firstSeq = checked.firstSeq;
    this.#ownsUploader = checked.uploader === undefined;
    this.#room = new Semaphore(this.pendingDocsMax, 0, 'room in the BatchUploader');
    this.uploader = makeUploader(checked, this.#clock);
  }

  /**
   * Accepts `doc` into `collection`'s open batch; resolves with where it is durable once its batch
   * is uploaded, rejects with the reason if the batch was dead-lettered. A bad document rejects at
   * once (INVALID_NAME, INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_VECTOR, METADATA_TOO_LARGE) and
   * nothing of it is queued; after `close()` it rejects with CLOSED. `signal` can abort only the wait
   * for room under backpressure; once accepted, a document goes with its batch.
   */
  add(collection: string, doc: BatchDocument, options: { signal?: AbortSignal } = {}): Promise<BatchReceipt> {
    let name: string;
    let record: BatchRecord;
    try {
      name = checkCollection(collection);
      this.#checkOpen();
      record = toBatchRecord(doc, this.#dimensionOf(name));
      // With room, the document joins its batch before add returns, so a flush() right after sees it.
      const release = this.#tryReserveRoom();
      if (release !== undefined) return this.#append(name, record, release);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#room.acquire(options.signal, false).then((release) => this.#append(name, record, release));
  }

  /**
   * Seals the open batch of `collection` (or of every collection) and waits until every batch of
   * it that is sealed or in flight has ended; resolves with their outcomes. Never rejects for an
   * upload's failure (that is in the outcomes and in each `add`).
   */
  async flush(collection?: string): Promise<BatchOutcome[]> {
    const states =
      collection === undefined
        ? [...this.#collections.values()]
        : [this.#collections.get(checkCollection(collection))].filter(
            (s): s is CollectionState => s !== undefined,
          );
    for (const state of states) if (state.open !== undefined) this.#seal(state);
    const inFlight = states.flatMap((state) => [...state.inFlight]);
    return Promise.all(inFlight);
  }

  /**
   * Refuses new documents with CLOSED (waiting `add` calls too), uploads everything pending, and
   * closes the uploader it made. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  stats(): BatchUploaderStats {
    let openBatches = 0;
    let batchesInFlight = 0;
    for (const state of this.#collections.values()) {
      if (state.open !== undefined) openBatches++;
      batchesInFlight += state.inFlight.size;
    }
    return {
      pendingDocs: this.#room.inUse,
      waitingAdds: this.#room.queued,
      openBatches,
      batchesInFlight,
      ...this.#stats,
      uploader: this.uploader.stats(),
    };
  }

  async #close(): Promise<void> {
    const closed = new TierVecError(ErrorCode.CLOSED, 'The BatchUploader is closed');
    this.#room.failWaiting(closed);
    // Seal and wait until no batch is left: a flush can race with a batch sealed by its timer.
    while (
      [...this.#collections.values()].some((state) => state.open !== undefined || state.inFlight.size > 0)
    ) {
      await this.flush();
    }
    if (this.#ownsUploader) await this.uploader.close();
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new TierVecError(ErrorCode.CLOSED, 'The BatchUploader is closed');
  }

  #dimensionOf(name: string): number | undefined {
    return this.dimension ?? this.#collections.get(name)?.dimension;
  }

  #collection(name: string): CollectionState {
    let state = this.#collections.get(name);
    if (state === undefined) {
      state = {
        name,
        dimension: undefined,
        open: undefined,
        sequencer: Promise.resolve(),
        seqTurns: 0,
        nextSeq: undefined,
        inFlight: new Set(),
      };
      this.#collections.set(name, state);
    }
    return state;
  }

  #openBatch(state: CollectionState): OpenBatch {
    const batch: OpenBatch = { records: [], waiters: [], timer: undefined };
    batch.timer = this.#clock.setTimeout(() => {
      batch.timer = undefined;
      if (state.open === batch) this.#seal(state);
    }, this.waitMsMax);
    state.open = batch;
    return batch;
  }

  /** Takes the open batch out of accumulation and starts its way to the store. */
  #seal(state: CollectionState): void {
    const batch = state.open;
    if (batch === undefined) return;
    state.open = undefined;
    if (batch.timer !== undefined) this.#clock.clearTimeout(batch.timer);
    const outcome = this.#ship(state, batch);
    state.inFlight.add(outcome);
    outcome.then(() => state.inFlight.delete(outcome));
  }

  async #ship(state: CollectionState, batch: OpenBatch): Promise<BatchOutcome> {
    const docs = batch.records.length;
    let key: string | undefined;
    let outcome: BatchOutcome;
    try {
      // No await before the upload when the number is known, so a free slot starts it in this turn.
      const next = this.#nextSeq(state);
      const seq = typeof next === 'number' ? next : await next;
      key = this.#objectKey(state.name, seq);
      // Encoded once the upload has its slot, so encoding overlaps the uploads already in flight.
      const encode = () => encodeBatchRecords(batch.records, { collection: state.name, seq });
      const result = await this.uploader.upload(key, encode, { ifNoneMatch: '*', bypassQueueLimit: true });
      outcome = this.#settleBatch(state.name, seq, docs, result);
      if (result.state === 'uploaded') {
        for (const waiter of batch.waiters)
          waiter.resolve({ collection: state.name, key, seq, row: waiter.row });
      } else {
        const error = this.#deadLetterError(state.name, result);
        for (const waiter of batch.waiters) waiter.reject(error);
      }
    } catch (caught) {
      const error = this.#failedBatchError(state.name, key, caught);
      this.#stats.batchesFailed++;
      outcome = { state: 'failed', collection: state.name, key, docs, error };
      for (const waiter of batch.waiters) waiter.reject(error);
    }
    for (const waiter of batch.waiters) waiter.release();
    return outcome;
  }

  #settleBatch(collection: string, seq: number, docs: number, result: UploadResult): BatchOutcome {
    if (result.state === 'uploaded') {
      this.#stats.batchesUploaded++;
      this.#stats.docsUploaded += docs;
      return { state: 'uploaded', collection, key: result.key, seq, docs, attempts: result.attempts };
    }
    this.#stats.batchesDeadLettered++;
    this.#stats.docsDeadLettered += docs;
    return { ...result, collection, seq, docs };
  }

  #deadLetterError(
    collection: string,
    result: Extract<UploadResult, { state: 'dead-lettered' }>,
  ): TierVecError {
    const cause = result.error;
    const code = isTierVecError(cause, ErrorCode.CIRCUIT_OPEN)
      ? ErrorCode.CIRCUIT_OPEN
      : ErrorCode.OBJECT_STORE;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new TierVecError(
      code,
      `The batch ${describeValue(result.key)} of collection ${describeValue(collection)} was not uploaded after ` +
        `${result.attempts} attempts (${reason}); it is kept in the dead-letter queue as ${result.deadLetterId}`,
      { cause, details: { key: result.key, attempts: result.attempts, deadLetterId: result.deadLetterId } },
    );
  }

  /** Why a batch ended neither uploaded nor dead-lettered, as a TierVecError (OBJECT_STORE wraps a store error). */
  #failedBatchError(collection: string, key: string | undefined, error: unknown): TierVecError {
    if (isTierVecError(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    const what = key === undefined ? 'A batch' : `The batch ${describeValue(key)}`;
    return new TierVecError(
      ErrorCode.OBJECT_STORE,
      `${what} of collection ${describeValue(collection)} could not be uploaded (${reason}); its documents were not kept`,
      { cause: error, details: { collection, key } },
    );
  }

  /**
   * The next sequence number of `state`, in seal order: at once when it is known and no earlier
   * batch waits for its own, else through the sequencer. Found once per collection, again after a
   * failure to find it.
   */
  #nextSeq(state: CollectionState): number | Promise<number> {
    if (state.seqTurns > 0) return this.#queueSeq(state, undefined);
    if (state.nextSeq === undefined) {
      let first: number | Promise<number>;
      try {
        first = this.#discoverFirstSeq(state.name);
      } catch (error) {
        return Promise.reject(error);
      }
      if (typeof first !== 'number') return this.#queueSeq(state, first);
      state.nextSeq = first;
    }
    return state.nextSeq++;
  }

  #queueSeq(state: CollectionState, first: Promise<number> | undefined): Promise<number> {
    state.seqTurns++;
    const turn = state.sequencer.then(async () => {
      state.nextSeq ??= await (first ?? this.#discoverFirstSeq(state.name));
      return state.nextSeq++;
    });
    // The next batch waits for this one's number, whether or not finding it failed.
    state.sequencer = turn.then(
      () => {
        state.seqTurns--;
      },
      () => {
        state.seqTurns--;
      },
    );
    return turn;
  }

  /** The first sequence number of `collection`: from `firstSeq` (at once when it returns a number), else from the store. */
  #discoverFirstSeq(collection: string): number | Promise<number> {
    const firstSeq = this.#firstSeq;
    if (firstSeq === undefined) return this.#listFirstSeq(collection);
    const check = (first: unknown) => checkInteger('firstSeq()', first, 0, Number.MAX_SAFE_INTEGER);
    const first = firstSeq(collection);
    return isPromiseLike(first) ? Promise.resolve(first).then(check) : check(first);
  }

  async #listFirstSeq(collection: string): Promise<number> {
    const prefix = `${this.keyPrefix}${collection}/`;
    let next = 0;
    const consider = (key: string) => {
      const match = key.startsWith(prefix) ? DEFAULT_KEY_FILE.exec(key.slice(prefix.length)) : null;
      if (match !== null) next = Math.max(next, Number(match[1]) + 1);
    };
    const keys = await this.uploader.request(`list ${prefix}`, async (signal) => {
      const found: string[] = [];
      for await (const key of this.#store.list(prefix, { signal })) found.push(key);
      return found;
    });
    keys.forEach(consider);
    (await this.uploader.deadLetters.keys()).forEach(consider);
    return next;
  }

  #defaultKey(collection: string, seq: number): string {
    return `${this.keyPrefix}${collection}/${String(seq).padStart(20, '0')}.arrow`;
  }

  /** Puts a checked document into its collection's open batch; its slot of room is already taken. */
  #append(name: string, record: BatchRecord, release: ReleasePermit): Promise<BatchReceipt> {
    let state: CollectionState;
    try {
      this.#checkOpen();
      // The collection's dimension may have been fixed by another document while this one waited.
      checkDimension(record, this.#dimensionOf(name));
      state = this.#collection(name);
    } catch (error) {
      release();
      return Promise.reject(error);
    }
    state.dimension ??= record.vector.length;
    return new Promise<BatchReceipt>((resolve, reject) => {
      const batch = state.open ?? this.#openBatch(state);
      batch.waiters.push({ row: batch.records.length, release, resolve, reject });
      batch.records.push(record);
      if (batch.records.length >= this.batchSizeMax) this.#seal(state);
    });
  }

  /** One slot of `pendingDocsMax` if one is free and nobody waits for it; else throws or says no. */
  #tryReserveRoom(): ReleasePermit | undefined {
    const release = this.#room.tryAcquire();
    if (release !== undefined || this.onBackpressure === 'wait') return release;
    const pendingDocs = this.#room.inUse;
    throw new TierVecError(
      ErrorCode.RATE_LIMITED,
      `${pendingDocs} documents are pending upload (pendingDocsMax = ${this.pendingDocsMax}); retry later`,
      { details: { pendingDocs, pendingDocsMax: this.pendingDocsMax } },
    );
  }
}
