/**
 * The ParallelUploader puts objects into an ObjectStore with at most `concurrencyMax` requests in
 * flight (a FIFO semaphore, the rest queued in order up to `queuedMax`), retries transient errors
 * with seeded full-jitter backoff on the injected clock, stops calling a failing store through a
 * circuit breaker, and keeps what finally fails in a dead-letter queue on local disk, from which it
 * can be replayed. Every upload ends in exactly one of two states, `uploaded` or `dead-lettered`; an
 * upload that can be neither (dead-letter queue full, local disk failing, aborted, closed) rejects,
 * so the caller still owns its bytes and knows it.
 *
 * An attempt refused by the open circuit (CIRCUIT_OPEN) never reaches the store; it counts as a
 * transient failure, so the upload backs off and tries again, and when its attempts are used up it is
 * dead-lettered with CIRCUIT_OPEN. Nothing waits unboundedly for a circuit to close, and nothing is
 * dropped: replay the dead letters once the store is back.
 *
 * This module depends only on the ObjectStore interface and ObjectStoreError; it never reads the
 * wall clock or Math.random directly (the defaults of `clock` and `seed` do).
 */

import { CLOCK_OPTION, type Clock, systemClock, type TimerHandle } from '../clock.ts';
import { abortError, describeValue, ErrorCode, isTierVecError, TierVecError } from '../errors.ts';
import { mapConcurrent } from '../map-concurrent.ts';
import type { ObjectStore } from '../object-store/object-store.ts';
import { isObjectStoreError, ObjectStoreError } from '../object-store/object-store-error.ts';
import {
  callback,
  checkOptions,
  integer,
  invalidOption,
  matching,
  nested,
  optional,
  withMethods,
} from '../options.ts';
import { Rng, randomSeed } from '../random.ts';
import {
  CIRCUIT_BREAKER_LIMITS,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
} from './circuit-breaker.ts';
import { type DeadLetter, type DeadLetterEntry, DeadLetterQueue } from './dead-letter-queue.ts';
import { CIRCUIT_BREAKER_DEFAULTS, PARALLEL_UPLOADER_DEFAULTS, RETRY_DEFAULTS } from './defaults.ts';
import {
  isRetryableError,
  RETRY_LIMITS,
  type RetryEvent,
  type RetryOptions,
  type RetryOutcome,
  RetryPolicy,
} from './retry.ts';
import { type ReleasePermit, Semaphore } from './semaphore.ts';

export interface ParallelUploaderOptions {
  objectStore: ObjectStore;
  /** Directory of the dead-letter queue (created when missing). */
  deadLetterDir: string;
  /** Uploads in flight at once (1..256). @default 10 */
  concurrencyMax?: number;
  /** Uploads waiting for a slot (0..1_000_000); one more is rejected with RATE_LIMITED. @default 10000 */
  queuedMax?: number;
  /** Dead-letter entries kept (1..10_000_000); one more upload that fails rejects with DEAD_LETTER_FULL. @default 10000 */
  deadLettersMax?: number;
  /** Milliseconds one attempt may take before it is abandoned as a RequestTimeout (1..3_600_000). @default 30000 */
  attemptTimeoutMs?: number;
  retry?: RetryOptions;
  circuitBreaker?: CircuitBreakerOptions;
  /** Time source for backoff, cooldown, attempt timeouts and dead-letter times. @default systemClock */
  clock?: Clock;
  /** Seeds the backoff jitter. @default a random seed, reported in `stats().seed` */
  seed?: number;
  /** Called before each backoff wait. */
  onRetry?: (event: RetryEvent) => void;
}

export interface UploadOptions {
  signal?: AbortSignal;
  /**
   * `'*'`: create only; it never overwrites an object. An attempt that finds the object already there
   * (an earlier attempt landed but its answer was lost, or an earlier process uploaded the same
   * object) compares the bytes and counts identical bytes as uploaded; other bytes fail it with the
   * store's PreconditionFailed, not retried. A dead-lettered create-only upload is replayed create-only.
   */
  ifNoneMatch?: '*';
  /**
   * The caller bounds its own uploads (the BatchUploader's `pendingDocsMax` does), so `queuedMax`
   * does not apply to this one.
   */
  bypassQueueLimit?: boolean;
}

/**
 * The bytes of an upload, or a function that makes them. A function is called once, when the upload
 * is granted its slot, so the work of making the bytes (the BatchUploader encodes a batch) runs
 * while other uploads wait on the network instead of ahead of them; if it throws, the upload rejects
 * with that error and nothing is sent. The bytes it returns are the ones retried and dead-lettered.
 */
export type UploadBody = Uint8Array | (() => Uint8Array);

export type UploadResult =
  | { state: 'uploaded'; key: string; attempts: number }
  | { state: 'dead-lettered'; key: string; attempts: number; error: unknown; deadLetterId: string };

/** What `flushAllParallel` reports per item: an upload result, or why the item is neither. */
export type UploadOutcome = UploadResult | { state: 'failed'; key: string; error: unknown };

export type ReplayOutcome =
  | { state: 'uploaded'; id: string; key: string; attempts: number }
  | { state: 'failed'; id: string; key: string | undefined; attempts: number; error: unknown };

/** The dead-letter queue as the uploader exposes it. */
export interface DeadLetters {
  list(): Promise<DeadLetterEntry[]>;
  /** The object keys of the entries (from memory after the first use). */
  keys(): Promise<string[]>;
  read(id: string): Promise<DeadLetter>;
  size(): Promise<number>;
  /**
   * Re-uploads every entry through the same concurrency bound, retry policy and breaker; removes an
   * entry only after its upload succeeded, and records a failed replay in the entry. Resolves with
   * one outcome per entry (a damaged entry or an abort is a `failed` outcome), never early.
   */
  replay(options?: { signal?: AbortSignal }): Promise<ReplayOutcome[]>;
  /** Deletes every entry; returns how many. */
  purge(): Promise<number>;
  /** Deletes one entry (its upload is no longer wanted, e.g. its writes were rolled back). */
  remove(id: string): Promise<void>;
}

export interface ParallelUploaderStats {
  inFlight: number;
  /** Waiting for a slot plus enqueued and not yet flushed. */
  queued: number;
  uploaded: number;
  /** Retries made (attempts after the first). */
  retried: number;
  deadLettered: number;
  /** Uploads that ended neither uploaded nor dead-lettered (rejected to the caller). */
  failed: number;
  replayed: number;
  /** Dead-letter entries deleted on purpose with `deadLetters.remove`. */
  deadLettersRemoved: number;
  bytesUploaded: number;
  /** Dead-letter disk operations running now. */
  deadLetterOperationsInFlight: number;
  circuitBreaker: CircuitBreakerStats;
  seed: number;
}

interface QueuedItem {
  key: string;
  body: Uint8Array;
  options: UploadOptions;
}

/** What each ParallelUploader option may be; any other key is rejected. */
export const PARALLEL_UPLOADER_LIMITS = Object.freeze({
  objectStore: withMethods<ObjectStore>('an ObjectStore', ['put', 'get']),
  deadLetterDir: matching<string>('a directory path', (value) => typeof value === 'string' && value !== ''),
  concurrencyMax: integer(1, 256),
  queuedMax: integer(0, 1_000_000),
  deadLettersMax: integer(1, 10_000_000),
  attemptTimeoutMs: integer(1, 3_600_000),
  retry: nested(RETRY_LIMITS, RETRY_DEFAULTS),
  circuitBreaker: nested(CIRCUIT_BREAKER_LIMITS, CIRCUIT_BREAKER_DEFAULTS),
  clock: optional(CLOCK_OPTION),
  /** Absent: a random seed, reported in `stats().seed`. */
  seed: optional(integer(0, 2 ** 32 - 1)),
  onRetry: optional(callback<(event: RetryEvent) => void>()),
});

/** Checks an upload's key (the store checks its own rules too) and body. */
function checkUpload(key: unknown, body: unknown, bodyFunctionAllowed = false): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key, 'utf8') > 1024) {
    throw new TierVecError(
      ErrorCode.INVALID_KEY,
      `Expected the object \`key\` to be a non-empty string of at most 1024 bytes, got ${describeValue(key)}`,
      { details: { key } },
    );
  }
  if (body instanceof Uint8Array || (bodyFunctionAllowed && typeof body === 'function')) return;
  throw invalidOption(
    'body',
    bodyFunctionAllowed ? 'a Uint8Array or a function returning one' : 'a Uint8Array',
    body,
  );
}

/** Takes items off the front of `queue` as they are asked for, items added meanwhile included. */
function drain<T>(queue: T[]): Iterable<T> {
  const next = (): IteratorResult<T> =>
    queue.length === 0 ? { done: true, value: undefined } : { done: false, value: queue.shift() as T };
  return { [Symbol.iterator]: () => ({ next }) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Marks an attempt abandoned by its timeout, to tell it apart from the caller's abort. */
class AttemptTimeout extends Error {}

export class ParallelUploader {
  readonly concurrencyMax: number;
  readonly queuedMax: number;
  readonly attemptTimeoutMs: number;
  readonly seed: number;
  readonly circuitBreaker: CircuitBreaker;
  readonly deadLetters: DeadLetters;
  readonly #store: ObjectStore;
  readonly #clock: Clock;
  readonly #semaphore: Semaphore;
  readonly #retry: RetryPolicy;
  readonly #dlq: DeadLetterQueue;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;
  readonly #enqueued: QueuedItem[] = [];
  readonly #running = new Set<Promise<unknown>>();
  readonly #replaying = new Set<string>();
  #closed = false;
  #stats = {
    uploaded: 0,
    retried: 0,
    deadLettered: 0,
    failed: 0,
    replayed: 0,
    deadLettersRemoved: 0,
    bytesUploaded: 0,
  };

  constructor(options: ParallelUploaderOptions) {
    const checked = checkOptions(options, PARALLEL_UPLOADER_LIMITS, PARALLEL_UPLOADER_DEFAULTS);
    this.concurrencyMax = checked.concurrencyMax;
    this.queuedMax = checked.queuedMax;
    this.attemptTimeoutMs = checked.attemptTimeoutMs;
    this.seed = checked.seed ?? randomSeed();
    this.#store = checked.objectStore;
    this.#clock = checked.clock ?? systemClock;
    this.#onRetry = checked.onRetry;
    this.#semaphore = new Semaphore(this.concurrencyMax, this.queuedMax);
    this.#retry = new RetryPolicy(checked.retry, this.#clock, new Rng(this.seed).fork('retry'));
    this.circuitBreaker = new CircuitBreaker(checked.circuitBreaker, this.#clock);
    this.#dlq = new DeadLetterQueue({
      dir: checked.deadLetterDir,
      entriesMax: checked.deadLettersMax,
      clock: this.#clock,
    });
    this.deadLetters = {
      list: () => this.#dlq.list(),
      keys: () => this.#dlq.keys(),
      read: (id) => this.#dlq.read(id),
      size: () => this.#dlq.size(),
      replay: (replayOptions) => this.#track(this.#replayAll(replayOptions?.signal)),
      purge: () => this.#dlq.purge(),
      remove: async (id) => {
        await this.#dlq.remove(id);
        this.#stats.deadLettersRemoved++;
      },
    };
  }

  /** The retry settings in force (after defaults). */
  get retryOptions(): RetryPolicy['options'] {
    return this.#retry.options;
  }

  /**
   * Uploads `body` to `key`: waits for a slot (in arrival order), retries transient errors, and
   * resolves `uploaded` or `dead-lettered`. Rejects with INVALID_KEY / INVALID_ARGUMENT for bad
   * input, RATE_LIMITED when the queue is full, CLOSED after `close()`, the signal's reason when
   * aborted, DEAD_LETTER_FULL (or the disk's error) when a failed upload cannot be kept. `body` is
   * sent again on each retry: it must not change until the upload has ended. When `body` is a
   * function (see UploadBody), it is called once the upload has its slot.
   */
  upload(key: string, body: UploadBody, options: UploadOptions = {}): Promise<UploadResult> {
    try {
      checkUpload(key, body, true);
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#track(this.#upload(key, body, options));
  }

  /**
   * Adds an upload to the pending set without starting it; `flushAllParallel()` runs it. Throws
   * RATE_LIMITED when `queuedMax` items are pending.
   */
  enqueue(key: string, body: Uint8Array, options: Omit<UploadOptions, 'bypassQueueLimit'> = {}): void {
    checkUpload(key, body);
    this.#checkOpen();
    if (this.#enqueued.length >= this.queuedMax) {
      throw new TierVecError(
        ErrorCode.RATE_LIMITED,
        `Cannot enqueue ${describeValue(key)}: ${this.#enqueued.length} uploads are pending (queuedMax = ${this.queuedMax})`,
        { details: { key, queued: this.#enqueued.length, queuedMax: this.queuedMax } },
      );
    }
    this.#enqueued.push({ key, body, options });
  }

  /**
   * Uploads every pending item, `concurrencyMax` at a time, and resolves with every item's outcome in
   * enqueue order once all of them, and every upload that was already running when it was called,
   * have ended. Items enqueued while it runs are uploaded too. It never rejects and never returns
   * early; uploads started by others after it was called do not hold it up.
   */
  async flushAllParallel(): Promise<UploadOutcome[]> {
    const runningBefore = [...this.#running];
    const results = await mapConcurrent(drain(this.#enqueued), this.concurrencyMax, (item) =>
      this.#settle(item),
    );
    await Promise.allSettled(runningBefore);
    return results;
  }

  stats(): ParallelUploaderStats {
    return {
      inFlight: this.#semaphore.inUse,
      queued: this.#semaphore.queued + this.#enqueued.length,
      ...this.#stats,
      deadLetterOperationsInFlight: this.#dlq.operationsInFlight,
      circuitBreaker: this.circuitBreaker.stats(),
      seed: this.seed,
    };
  }

  /** Refuses new uploads with CLOSED, uploads what is pending, and waits for everything running. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flushAllParallel();
    await this.#drain();
  }

  #checkOpen(): void {
    if (this.#closed) throw new TierVecError(ErrorCode.CLOSED, 'The ParallelUploader is closed');
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#running.add(promise);
    const forget = () => this.#running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  async #drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async #settle(item: QueuedItem): Promise<UploadOutcome> {
    try {
      return await this.#track(
        this.#upload(item.key, item.body, { ...item.options, bypassQueueLimit: true }),
      );
    } catch (error) {
      return { state: 'failed', key: item.key, error };
    }
  }

  async #upload(key: string, source: UploadBody, options: UploadOptions): Promise<UploadResult> {
    const { signal } = options;
    let outcome: RetryOutcome<void>;
    let body: Uint8Array;
    try {
      // A free slot is taken at once, so the first attempt starts in this turn of the event loop.
      const release =
        this.#semaphore.tryAcquire(signal) ??
        (await this.#semaphore.acquire(signal, options.bypassQueueLimit !== true));
      try {
        body = typeof source === 'function' ? source() : source;
        outcome = await this.#send(key, body, options);
      } finally {
        release();
      }
    } catch (error) {
      this.#stats.failed++;
      throw error;
    }
    if (outcome.state === 'succeeded') {
      this.#stats.uploaded++;
      this.#stats.bytesUploaded += body.byteLength;
      return { state: 'uploaded', key, attempts: outcome.attempts };
    }
    try {
      const entry = await this.#dlq.add({
        key,
        body,
        error: outcome.error,
        attempts: outcome.attempts,
        createOnly: options.ifNoneMatch === '*',
      });
      this.#stats.deadLettered++;
      return {
        state: 'dead-lettered',
        key,
        attempts: outcome.attempts,
        error: outcome.error,
        deadLetterId: entry.id,
      };
    } catch (error) {
      this.#stats.failed++;
      // The bytes were sent `attempts` times before the dead-letter queue refused them: the caller
      // must know, since an attempt whose answer was lost may have stored them.
      if (!isTierVecError(error)) throw error;
      throw new TierVecError(error.code, error.message, {
        cause: outcome.error,
        details: { ...error.details, key, attempts: outcome.attempts },
      });
    }
  }

  /** The retry loop around single attempts; rethrows input errors the store raised (not worth keeping). */
  async #send(key: string, body: Uint8Array, options: UploadOptions): Promise<RetryOutcome<void>> {
    const outcome = await this.#retry.run(
      () => this.#guarded((signal) => this.#put(key, body, options, signal), options.signal),
      { label: key, signal: options.signal, onRetry: (event) => this.#countRetry(event) },
    );
    if (
      outcome.state === 'failed' &&
      isTierVecError(outcome.error) &&
      outcome.error.code !== ErrorCode.CIRCUIT_OPEN
    ) {
      throw outcome.error;
    }
    return outcome;
  }

  /**
   * Runs any object-store request (a listing, a read) through the same breaker, attempt timeout and
   * retry policy as uploads, outside the concurrency bound and without the dead-letter queue:
   * resolves with its value or rejects with the last error. The BatchUploader finds its next
   * sequence number this way.
   */
  async request<T>(
    label: string,
    call: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    this.#checkOpen();
    const outcome = await this.#track(
      this.#retry.run(() => this.#guarded(call, signal), {
        label,
        signal,
        onRetry: (event) => this.#countRetry(event),
      }),
    );
    if (outcome.state === 'failed') throw outcome.error;
    return outcome.value;
  }

  #countRetry(event: RetryEvent): void {
    this.#stats.retried++;
    this.#onRetry?.(event);
  }

  /** One attempt: ask the breaker, run the call with a timeout on the clock, report to the breaker. */
  async #guarded<T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const permit = this.circuitBreaker.acquire();
    if (permit instanceof TierVecError) throw permit;
    try {
      const value = await this.#withTimeout(call, signal);
      this.circuitBreaker.recordSuccess(permit);
      return value;
    } catch (error) {
      if (signal?.aborted) this.circuitBreaker.release(permit);
      else if (isRetryableError(error)) this.circuitBreaker.recordFailure(permit);
      else this.circuitBreaker.recordSuccess(permit);
      throw error;
    }
  }

  async #put(key: string, body: Uint8Array, options: UploadOptions, signal: AbortSignal): Promise<void> {
    const create = options.ifNoneMatch === '*';
    try {
      await this.#store.put(key, body, create ? { signal, ifNoneMatch: '*' } : { signal });
    } catch (error) {
      // A create-only attempt that finds the object: identical bytes are this upload's (an earlier
      // attempt landed and only its answer was lost, or a process before this one put them).
      if (create && isObjectStoreError(error, 'PreconditionFailed')) {
        const stored = await this.#store.get(key, { signal });
        if (sameBytes(stored, body)) return;
      }
      throw error;
    }
  }

  /**
   * Runs `call` with a signal that aborts when the caller's does or when `attemptTimeoutMs` passes on
   * the clock; a timed-out call becomes a retryable RequestTimeout even if the store ignores signals.
   */
  #withTimeout<T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const timer: TimerHandle = this.#clock.setTimeout(() => {
        const reason = new AttemptTimeout(`the attempt timed out after ${this.attemptTimeoutMs} ms`);
        controller.abort(reason);
        if (settle()) reject(this.#attemptError(reason, controller.signal, signal));
      }, this.attemptTimeoutMs);
      let running: Promise<T>;
      try {
        running = call(controller.signal);
      } catch (error) {
        running = Promise.reject(error);
      }
      // The call ending after the timer (it ignored the signal) settles nothing: its result is dropped.
      running.then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => {
          if (settle()) reject(this.#attemptError(error, controller.signal, signal));
        },
      );
    });
  }

  /** What a failed attempt rejects with: the caller's abort, a RequestTimeout, or the store's error. */
  #attemptError(error: unknown, attemptSignal: AbortSignal, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return abortError(signal, 'object-store request');
    const reason: unknown = attemptSignal.reason;
    if (reason instanceof AttemptTimeout) {
      return new ObjectStoreError('RequestTimeout', reason.message, { cause: error });
    }
    return error;
  }

  async #replayAll(signal: AbortSignal | undefined): Promise<ReplayOutcome[]> {
    // By id rather than by `list()`, so that one damaged entry fails alone instead of the whole replay.
    const ids = (await this.#dlq.ids()).filter((id) => !this.#replaying.has(id));
    for (const id of ids) this.#replaying.add(id);
    try {
      return await mapConcurrent(ids, this.concurrencyMax, (id) =>
        this.#replayOne(id, signal).catch(
          (error: unknown): ReplayOutcome => ({ state: 'failed', id, key: undefined, attempts: 0, error }),
        ),
      );
    } finally {
      for (const id of ids) this.#replaying.delete(id);
    }
  }

  async #replayOne(id: string, signal: AbortSignal | undefined): Promise<ReplayOutcome> {
    // Aborted: the entries not yet started stay as they are, reported failed with the reason.
    if (signal?.aborted) throw abortError(signal, 'dead-letter replay');
    let letter: DeadLetter;
    try {
      letter = await this.#dlq.read(id);
    } catch (error) {
      return { state: 'failed', id, key: undefined, attempts: 0, error };
    }
    const { key } = letter;
    let release: ReleasePermit | undefined;
    let outcome: RetryOutcome<void>;
    try {
      release = await this.#semaphore.acquire(signal, false);
      outcome = await this.#send(key, letter.body, {
        ...(signal === undefined ? {} : { signal }),
        ...(letter.createOnly === true ? { ifNoneMatch: '*' as const } : {}),
      });
    } catch (error) {
      return { state: 'failed', id, key, attempts: 0, error };
    } finally {
      release?.();
    }
    if (outcome.state === 'succeeded') {
      await this.#dlq.remove(id);
      this.#stats.replayed++;
      this.#stats.uploaded++;
      this.#stats.bytesUploaded += letter.body.byteLength;
      return { state: 'uploaded', id, key, attempts: outcome.attempts };
    }
    await this.#dlq.recordFailedReplay(id, outcome.error, outcome.attempts);
    return { state: 'failed', id, key, attempts: outcome.attempts, error: outcome.error };
  }
}
