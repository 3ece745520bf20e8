/**
 * An in-memory ObjectStore with S3's semantics and S3's failures, for tests and for the load
 * harness's default target. Semantics: read-after-write, last writer wins, `PreconditionFailed` for a
 * lost conditional put, `NoSuchKey`, listings in key order and paginated, bodies copied in and out
 * so no caller can change stored bytes. Faults (see `mock-s3-faults.ts`): deterministic patterns,
 * seeded flaky failures, always-fail switchable at run time, latency on the injected clock, and
 * per-prefix request-rate limits answered with `SlowDown`. Every request is recorded in `calls`.
 *
 * Determinism: a request's injected fault, rate-limit decision and latency are all fixed
 * synchronously when the request is made, in call order, from the seed and the configuration; so
 * the same seed, configuration and sequence of calls give the same `calls` outcomes. The request's
 * effect on the stored objects happens when its latency has passed, just before it resolves; with
 * zero latency the mock never touches a timer and the effect is immediate.
 *
 * This module must never sleep on real time except through the injected clock.
 */

import { CLOCK_OPTION, type Clock, systemClock } from '../../clock.ts';
import { abortError, checkNumber, describeValue } from '../../errors.ts';
import {
  callback,
  checkOptions,
  custom,
  integer,
  invalidOption,
  nested,
  number,
  optional,
} from '../../options.ts';
import { Rng } from '../../random.ts';
import { md5Etag } from '../md5-etag.ts';
import { compareKeys, validateKey, validatePrefix } from '../object-key.ts';
import type {
  ObjectHead,
  ObjectStore,
  ObjectStoreOperation,
  PutOptions,
  RequestOptions,
} from '../object-store.ts';
import { ObjectStoreError, type S3ErrorCode } from '../object-store-error.ts';
import { checkPutConditions } from '../put-conditions.ts';
import { type MockFailureRule, type MockFailureScope, MockS3Faults } from './mock-s3-faults.ts';
import { PrefixRateLimiter, type PrefixRateLimits } from './prefix-rate-limiter.ts';

export interface MockS3Latency {
  /** Added to every request, in milliseconds. @default 0 */
  fixedMs?: number;
  /** A uniformly distributed extra delay in [0, jitterMs), drawn from the seed. @default 0 */
  jitterMs?: number;
}

export interface MockS3Options {
  /** Seeds flaky failures and latency jitter. @default 0 */
  seed?: number;
  latency?: MockS3Latency;
  /** One fault rule or several, consulted in order (see `MockFailureRule`). @default none */
  failures?: MockFailureRule | readonly MockFailureRule[];
  /** Per-prefix request-rate limits answered with `SlowDown`; `false` turns them off. @default S3's */
  rateLimit?: Partial<PrefixRateLimits> | false;
  /** Time source for latency, rate limits and `calls[].atMs`. @default systemClock */
  clock?: Clock;
  /** Keys per `list` page; each page is one request. @default 1000 (S3's maximum) */
  listPageSizeMax?: number;
  /** Calls kept in `calls`, oldest dropped first. @default 100000 */
  callHistoryMax?: number;
  /** Called synchronously as each request arrives, after it is counted as in flight. */
  onRequest?: (call: MockS3Call) => void;
}

export const MOCK_S3_DEFAULTS = Object.freeze({
  seed: 0,
  latency: Object.freeze({ fixedMs: 0, jitterMs: 0 }),
  rateLimit: Object.freeze({ writesPerS: 3500, readsPerS: 5500 }),
  listPageSizeMax: 1000,
  callHistoryMax: 100_000,
});

/** Longest latency accepted, in milliseconds (one hour): anything longer is a typo. */
const LATENCY_MS_MAX = 3_600_000;

export type MockS3Outcome = 'pending' | 'ok' | 'aborted' | S3ErrorCode;

/** One request as the mock saw it. `outcome` is `'pending'` until the request completes. */
export interface MockS3Call {
  readonly seq: number;
  readonly operation: ObjectStoreOperation;
  /** The key; for `list`, the prefix. */
  readonly key: string;
  /** Clock time at which the request arrived. */
  readonly atMs: number;
  outcome: MockS3Outcome;
}

export interface MockS3OperationStats {
  requests: number;
  ok: number;
  failed: number;
  aborted: number;
  inFlight: number;
  inFlightMax: number;
}

export interface MockS3Stats {
  total: MockS3OperationStats;
  byOperation: Record<ObjectStoreOperation, MockS3OperationStats>;
  /** Completed requests by outcome (`ok`, `aborted` or the error code). */
  byOutcome: Record<string, number>;
  objects: number;
  storedBytes: number;
}

interface StoredObject {
  body: Uint8Array;
  etag: string;
}

const OPERATIONS: readonly ObjectStoreOperation[] = ['put', 'get', 'head', 'delete', 'list'];
const WRITES: ReadonlySet<ObjectStoreOperation> = new Set(['put', 'delete']);

function emptyStats(): MockS3OperationStats {
  return { requests: 0, ok: 0, failed: 0, aborted: 0, inFlight: 0, inFlightMax: 0 };
}

/** A request rate per second: positive, or Infinity for no limit. */
const RATE_PER_S = custom((value, path) =>
  value === Number.POSITIVE_INFINITY ? value : checkNumber(path, value, Number.MIN_VALUE, 1e9),
);

const RATE_LIMIT_LIMITS = Object.freeze({ writesPerS: RATE_PER_S, readsPerS: RATE_PER_S });

/** What each MockS3ObjectStore option may be; any other key is rejected. */
export const MOCK_S3_LIMITS = Object.freeze({
  seed: integer(0, 2 ** 32 - 1),
  latency: nested(
    { fixedMs: number(0, LATENCY_MS_MAX), jitterMs: number(0, LATENCY_MS_MAX) },
    MOCK_S3_DEFAULTS.latency,
  ),
  /** Checked by MockS3Faults, which owns the rules. */
  failures: custom((value) => value),
  /** `false`: no rate limits. */
  rateLimit: custom((value, path): PrefixRateLimits | undefined =>
    value === false ? undefined : checkOptions(value, RATE_LIMIT_LIMITS, MOCK_S3_DEFAULTS.rateLimit, path),
  ),
  clock: CLOCK_OPTION,
  listPageSizeMax: integer(1, 1_000_000),
  callHistoryMax: integer(0, 100_000_000),
  onRequest: optional(callback<(call: MockS3Call) => void>()),
});

export class MockS3ObjectStore implements ObjectStore {
  readonly seed: number;
  readonly #clock: Clock;
  readonly #fixedMs: number;
  readonly #jitterMs: number;
  readonly #jitterRng: Rng;
  readonly #faults: MockS3Faults;
  #failureSets = 0;
  readonly #rateLimiter: PrefixRateLimiter | undefined;
  readonly #listPageSizeMax: number;
  readonly #callHistoryMax: number;
  readonly #onRequest: ((call: MockS3Call) => void) | undefined;

  readonly #objects = new Map<string, StoredObject>();
  /** Every stored key in S3 order, kept sorted so a list page is a binary search and a slice. */
  readonly #sortedKeys: string[] = [];
  #storedBytes = 0;
  #calls: MockS3Call[] = [];
  #seq = 0;
  #stats = this.#emptyStatsByOperation();
  #byOutcome: Record<string, number> = {};

  constructor(options: MockS3Options = {}) {
    const checked = checkOptions(options, MOCK_S3_LIMITS, { ...MOCK_S3_DEFAULTS, clock: systemClock });
    this.seed = checked.seed;
    this.#fixedMs = checked.latency.fixedMs;
    this.#jitterMs = checked.latency.jitterMs;
    this.#clock = checked.clock;
    const rateLimit = checked.rateLimit;
    this.#listPageSizeMax = checked.listPageSizeMax;
    this.#callHistoryMax = checked.callHistoryMax;
    this.#onRequest = checked.onRequest;
    const rng = new Rng(this.seed);
    this.#jitterRng = rng.fork('latency');
    this.#faults = new MockS3Faults(checked.failures, rng);
    this.#rateLimiter = rateLimit === undefined ? undefined : new PrefixRateLimiter(rateLimit, this.#clock);
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    validateKey(key);
    if (!(body instanceof Uint8Array)) throw invalidOption('body', 'a Uint8Array', body);
    checkPutConditions(options);
    // Copied on arrival: the caller may reuse its buffer as soon as put() returns its promise.
    const copy = new Uint8Array(body);
    return this.#request('put', key, options.signal, () => {
      if (options.ifNoneMatch === '*' && this.#objects.has(key)) {
        throw new ObjectStoreError(
          'PreconditionFailed',
          `An object already exists at ${describeValue(key)}`,
          {
            operation: 'put',
            key,
          },
        );
      }
      const current = this.#objects.get(key)?.etag;
      if (options.ifMatch !== undefined && current !== options.ifMatch) {
        throw new ObjectStoreError(
          'PreconditionFailed',
          `The object at ${describeValue(key)} has etag ${describeValue(current ?? null)}, not ${describeValue(options.ifMatch)}`,
          { operation: 'put', key },
        );
      }
      const etag = md5Etag(copy);
      this.#store(key, { body: copy, etag });
      return { etag };
    });
  }

  async get(key: string, options: RequestOptions = {}): Promise<Uint8Array> {
    validateKey(key);
    return this.#request('get', key, options.signal, () => {
      const object = this.#objects.get(key);
      if (object === undefined) {
        throw new ObjectStoreError('NoSuchKey', `No object at ${describeValue(key)}`, {
          operation: 'get',
          key,
        });
      }
      return new Uint8Array(object.body);
    });
  }

  async head(key: string, options: RequestOptions = {}): Promise<ObjectHead | undefined> {
    validateKey(key);
    return this.#request('head', key, options.signal, () => {
      const object = this.#objects.get(key);
      return object === undefined ? undefined : { sizeBytes: object.body.byteLength, etag: object.etag };
    });
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    validateKey(key);
    return this.#request('delete', key, options.signal, () => this.#remove(key));
  }

  /** Keys under `prefix` in S3 order; each page of `listPageSizeMax` keys is one request. */
  list(prefix: string, options: RequestOptions = {}): AsyncIterable<string> {
    validatePrefix(prefix);
    return this.#listPages(prefix, options.signal);
  }

  async *#listPages(prefix: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
    let startAfter: string | undefined;
    for (;;) {
      const after = startAfter;
      const page = await this.#request('list', prefix, signal, () => this.#page(prefix, after));
      yield* page.keys;
      if (!page.truncated) return;
      startAfter = page.keys.at(-1);
    }
  }

  #page(prefix: string, startAfter: string | undefined): { keys: string[]; truncated: boolean } {
    const from = this.#lowerBound(startAfter === undefined ? prefix : startAfter, startAfter !== undefined);
    const keys: string[] = [];
    for (let i = from; i < this.#sortedKeys.length; i++) {
      const key = this.#sortedKeys[i] as string;
      if (!key.startsWith(prefix)) break;
      if (keys.length === this.#listPageSizeMax) return { keys, truncated: true };
      keys.push(key);
    }
    return { keys, truncated: false };
  }

  /** Fails every matching request with `code` until `heal()`; switchable at any time. */
  partition(code: S3ErrorCode = 'NetworkError', scope: MockFailureScope = {}): void {
    this.#faults.partition(code, scope);
  }

  /** Ends the partition and every configured `always` rule. */
  heal(): void {
    this.#faults.heal();
  }

  /**
   * Ends the partition and turns every configured failure rule off (patterns, flaky, always), so
   * the mock answers like a healthy S3 from here on; a later `partition()` still works. Latency
   * and rate limits stay.
   */
  clearFailures(): void {
    this.#faults.clear();
  }

  /**
   * Replaces the failure rules at run time (same shapes as the `failures` option; validated first,
   * INVALID_ARGUMENT changes nothing), e.g. to start faults only once a load begins. The n-th call
   * draws its flaky failures from its own seeded stream, so runs replay.
   */
  setFailures(failures: MockFailureRule | readonly MockFailureRule[]): void {
    this.#failureSets++;
    this.#faults.setRules(failures, `failures-${this.#failureSets}`);
  }

  get partitioned(): boolean {
    return this.#faults.partitioned;
  }

  /** Requests in arrival order (the last `callHistoryMax`); outcomes fill in as they complete. */
  get calls(): readonly MockS3Call[] {
    return this.#calls.length > this.#callHistoryMax
      ? this.#calls.slice(-this.#callHistoryMax)
      : [...this.#calls];
  }

  /** Requests currently in flight for `operation`, or for all operations. */
  inFlight(operation?: ObjectStoreOperation): number {
    return (operation === undefined ? this.#total() : this.#stats[operation]).inFlight;
  }

  /** The most requests ever in flight at once for `operation` (or all) since the last reset. */
  inFlightMax(operation?: ObjectStoreOperation): number {
    return operation === undefined ? this.#totalInFlightMax : this.#stats[operation].inFlightMax;
  }

  stats(): MockS3Stats {
    const byOperation = Object.fromEntries(OPERATIONS.map((op) => [op, { ...this.#stats[op] }])) as Record<
      ObjectStoreOperation,
      MockS3OperationStats
    >;
    return {
      total: { ...this.#total(), inFlightMax: this.#totalInFlightMax },
      byOperation,
      byOutcome: { ...this.#byOutcome },
      objects: this.#objects.size,
      storedBytes: this.#storedBytes,
    };
  }

  /** Zeroes the counters and the in-flight maxima (to the requests now in flight), and clears `calls`. */
  resetStats(): void {
    for (const op of OPERATIONS) {
      const inFlight = this.#stats[op].inFlight;
      this.#stats[op] = { ...emptyStats(), inFlight, inFlightMax: inFlight };
    }
    this.#totalInFlightMax = this.#total().inFlight;
    this.#byOutcome = {};
    this.#calls = [];
  }

  /** A copy of the stored body, bypassing faults, latency and history; undefined when absent. */
  peek(key: string): Uint8Array | undefined {
    const object = this.#objects.get(key);
    return object === undefined ? undefined : new Uint8Array(object.body);
  }

  /** Every stored key in S3 order, bypassing faults, latency and history. */
  keys(): string[] {
    return [...this.#sortedKeys];
  }

  #totalInFlightMax = 0;

  #total(): MockS3OperationStats {
    const total = emptyStats();
    for (const op of OPERATIONS) {
      const stats = this.#stats[op];
      total.requests += stats.requests;
      total.ok += stats.ok;
      total.failed += stats.failed;
      total.aborted += stats.aborted;
      total.inFlight += stats.inFlight;
    }
    return total;
  }

  #emptyStatsByOperation(): Record<ObjectStoreOperation, MockS3OperationStats> {
    return {
      put: emptyStats(),
      get: emptyStats(),
      head: emptyStats(),
      delete: emptyStats(),
      list: emptyStats(),
    };
  }

  /**
   * Runs one request: everything that decides its outcome happens synchronously, before the first
   * await, so decisions follow call order; then the latency; then `apply`, the effect on the objects.
   */
  async #request<T>(
    operation: ObjectStoreOperation,
    key: string,
    signal: AbortSignal | undefined,
    apply: () => T,
  ): Promise<T> {
    if (signal?.aborted) throw abortError(signal, `${operation} ${describeValue(key)}`);
    const call = this.#arrive(operation, key);
    const { error: fault, answerLost } = this.#decide(operation, key);
    const delayMs = this.#fixedMs + (this.#jitterMs > 0 ? this.#jitterRng.next() * this.#jitterMs : 0);
    try {
      if (delayMs > 0) await this.#clock.sleep(delayMs, signal);
      if (fault !== undefined) {
        // A lost answer: the request's effect happens (or fails on its own), the caller sees `fault`.
        if (answerLost) this.#applyIgnoringOutcome(apply);
        throw fault;
      }
      const result = apply();
      this.#complete(call, 'ok');
      return result;
    } catch (error) {
      this.#complete(call, error instanceof ObjectStoreError ? (error.code as S3ErrorCode) : 'aborted');
      throw error;
    }
  }

  #arrive(operation: ObjectStoreOperation, key: string): MockS3Call {
    const call: MockS3Call = {
      seq: this.#seq++,
      operation,
      key,
      atMs: this.#clock.now(),
      outcome: 'pending',
    };
    if (this.#callHistoryMax > 0) {
      this.#calls.push(call);
      // Trimmed in halves so that recording stays O(1) amortized; the getter shows the last Max.
      if (this.#calls.length >= 2 * this.#callHistoryMax)
        this.#calls = this.#calls.slice(-this.#callHistoryMax);
    }
    const stats = this.#stats[operation];
    stats.requests++;
    stats.inFlight++;
    stats.inFlightMax = Math.max(stats.inFlightMax, stats.inFlight);
    this.#totalInFlightMax = Math.max(this.#totalInFlightMax, this.#total().inFlight);
    this.#onRequest?.(call);
    return call;
  }

  #applyIgnoringOutcome(apply: () => unknown): void {
    try {
      apply();
    } catch (error) {
      // The request's own failure (a lost conditional put, say) is as lost as its success would be.
      if (!(error instanceof ObjectStoreError)) throw error;
    }
  }

  #decide(
    operation: ObjectStoreOperation,
    key: string,
  ): { error: ObjectStoreError | undefined; answerLost: boolean } {
    const fault = this.#faults.decide(operation, key);
    if (fault !== undefined) {
      const what = fault.answerLost ? ' after the request took effect (answer lost)' : '';
      const error = new ObjectStoreError(fault.code, `Injected ${fault.code}${what} by ${fault.source}`, {
        operation,
        key,
      });
      return { error, answerLost: fault.answerLost };
    }
    const requestClass = WRITES.has(operation) ? 'write' : 'read';
    if (this.#rateLimiter !== undefined && !this.#rateLimiter.tryAcquire(requestClass, key)) {
      const error = new ObjectStoreError(
        'SlowDown',
        `Request rate for the prefix of ${describeValue(key)} exceeded`,
        { operation, key },
      );
      return { error, answerLost: false };
    }
    return { error: undefined, answerLost: false };
  }

  #complete(call: MockS3Call, outcome: Exclude<MockS3Outcome, 'pending'>): void {
    call.outcome = outcome;
    const stats = this.#stats[call.operation];
    stats.inFlight--;
    if (outcome === 'ok') stats.ok++;
    else if (outcome === 'aborted') stats.aborted++;
    else stats.failed++;
    this.#byOutcome[outcome] = (this.#byOutcome[outcome] ?? 0) + 1;
  }

  #store(key: string, object: StoredObject): void {
    const previous = this.#objects.get(key);
    if (previous === undefined) this.#sortedKeys.splice(this.#lowerBound(key, false), 0, key);
    else this.#storedBytes -= previous.body.byteLength;
    this.#objects.set(key, object);
    this.#storedBytes += object.body.byteLength;
  }

  #remove(key: string): void {
    const previous = this.#objects.get(key);
    if (previous === undefined) return;
    this.#objects.delete(key);
    this.#storedBytes -= previous.body.byteLength;
    this.#sortedKeys.splice(this.#lowerBound(key, false), 1);
  }

  /** Index of the first sorted key >= `key` (or > `key` when `exclusive`). */
  #lowerBound(key: string, exclusive: boolean): number {
    let low = 0;
    let high = this.#sortedKeys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const order = compareKeys(this.#sortedKeys[mid] as string, key);
      if (order < 0 || (exclusive && order === 0)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
