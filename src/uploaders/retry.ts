/**
 * The retry policy of every upload (ParallelUploader, BatchUploader through it, dead-letter replay):
 * retry only what can succeed on a retry, back off exponentially with full jitter, cap the delay and
 * the number of attempts.
 *
 * The delay sequence is cockatiel's `ExponentialBackoff` with its full-jitter formula
 * (`floor(random * min(delayMsMax, delayMsBase * 2^retry))`), but the random numbers come from a
 * seeded `Rng`, forked per upload key, so a run replays exactly. The loop itself is written here
 * rather than using cockatiel's `RetryPolicy`, because that one waits on the global `setTimeout` and
 * so cannot run on an injected `Clock`; here every wait is `clock.sleep`, and tests on a
 * `ManualClock` see the exact delays for a seed without sleeping. This module never decides what
 * happens after the last attempt: it reports the outcome and the caller dead-letters.
 */

import { ExponentialBackoff, type GeneratorFn, type IBackoff, noJitterGenerator } from 'cockatiel';
import type { Clock } from '../clock.ts';
import { abortError, describeValue, ErrorCode, isTierVecError } from '../errors.ts';
import { checkOptions, integer } from '../options.ts';
import type { Rng } from '../random.ts';
import { isObjectStoreError } from '../storage/object-store/object-store-error.ts';
import { RETRY_DEFAULTS } from './defaults.ts';

export interface RetryOptions {
  /** Attempts per upload, the first one included (1..100). @default 5 */
  attemptsMax?: number;
  /** Backoff cap of the first retry in milliseconds; doubles per retry (0..3_600_000). @default 50 */
  delayMsBase?: number;
  /** Largest backoff cap in milliseconds (delayMsBase..3_600_000). @default 5000 */
  delayMsMax?: number;
}

export type ResolvedRetryOptions = Readonly<Required<RetryOptions>>;

const DELAY_MS_LIMIT = 3_600_000;

/** What each retry option may be; any other key is rejected. */
export const RETRY_LIMITS = Object.freeze({
  attemptsMax: integer(1, 100),
  delayMsBase: integer(0, DELAY_MS_LIMIT),
  delayMsMax: integer((checked) => checked.delayMsBase as number, DELAY_MS_LIMIT),
});

/** Takes RETRY_DEFAULTS for what `options` leaves out and checks; INVALID_ARGUMENT names the bad option. */
export function resolveRetryOptions(options: unknown, name = 'retry'): ResolvedRetryOptions {
  return checkOptions(options === undefined ? {} : options, RETRY_LIMITS, RETRY_DEFAULTS, name);
}

/**
 * Whether another attempt can succeed: object-store errors that say so (SlowDown, InternalError,
 * ServiceUnavailable, RequestTimeout, network errors) and CIRCUIT_OPEN (the breaker may close).
 * Everything else (AccessDenied, NoSuchBucket, InvalidRequest, unknown errors) is permanent.
 */
export function isRetryableError(error: unknown): boolean {
  if (isObjectStoreError(error)) return error.retryable;
  return isTierVecError(error, ErrorCode.CIRCUIT_OPEN);
}

/** cockatiel's full-jitter generator with the random numbers drawn from `rng`. */
function seededFullJitter(rng: Rng): GeneratorFn<number> {
  return (state, options) => {
    const [capMs, next] = noJitterGenerator(state, options);
    return [Math.floor(rng.next() * capMs), next];
  };
}

/** The backoff delays, in milliseconds, of the retries of one upload; one call per retry. */
export function backoffDelays(options: ResolvedRetryOptions, rng: Rng): () => number {
  const factory = new ExponentialBackoff({
    generator: seededFullJitter(rng),
    initialDelay: options.delayMsBase,
    maxDelay: options.delayMsMax,
    exponent: 2,
  });
  let backoff: IBackoff<unknown> | undefined;
  return () => {
    backoff = backoff === undefined ? factory.next() : backoff.next(undefined);
    return backoff.duration;
  };
}

export interface RetryEvent {
  /** Caller-chosen label of the operation (the object key for uploads). */
  label: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  error: unknown;
  /** The backoff before the next attempt, in milliseconds. */
  delayMs: number;
}

export type RetryOutcome<T> =
  | { state: 'succeeded'; value: T; attempts: number }
  | { state: 'failed'; error: unknown; attempts: number; retryable: boolean };

export interface RetryRunOptions {
  /** Names the operation in events and forks the jitter stream, so delays do not depend on interleaving. */
  label: string;
  signal?: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
}

export class RetryPolicy {
  readonly options: ResolvedRetryOptions;
  readonly #clock: Clock;
  readonly #rng: Rng;

  constructor(options: ResolvedRetryOptions, clock: Clock, rng: Rng) {
    this.options = options;
    this.#clock = clock;
    this.#rng = rng;
  }

  /**
   * Runs `attempt` until it succeeds, fails permanently, or `attemptsMax` attempts failed; waits
   * the backoff on the clock between attempts. Resolves with the outcome (never rejects for an
   * attempt's error); rejects only when `signal` aborts, with its reason.
   */
  async run<T>(
    attempt: (attemptNo: number) => Promise<T>,
    options: RetryRunOptions,
  ): Promise<RetryOutcome<T>> {
    const { signal } = options;
    // Made at the first retry: most uploads succeed at once, and the fork reads no shared state.
    let nextDelayMs: (() => number) | undefined;
    for (let attemptNo = 1; ; attemptNo++) {
      if (signal?.aborted) throw abortError(signal, `upload of ${describeValue(options.label)}`);
      let error: unknown;
      try {
        return { state: 'succeeded', value: await attempt(attemptNo), attempts: attemptNo };
      } catch (caught) {
        error = caught;
      }
      if (signal?.aborted) throw abortError(signal, `upload of ${describeValue(options.label)}`);
      const retryable = isRetryableError(error);
      if (!retryable || attemptNo >= this.options.attemptsMax) {
        return { state: 'failed', error, attempts: attemptNo, retryable };
      }
      nextDelayMs ??= backoffDelays(this.options, this.#rng.fork(options.label));
      const delayMs = nextDelayMs();
      options.onRetry?.({ label: options.label, attempt: attemptNo, error, delayMs });
      await this.#clock.sleep(delayMs, signal);
    }
  }
}
