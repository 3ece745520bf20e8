/**
 * The circuit breaker in front of the object store: after enough transient failures it opens and
 * every attempt fails fast with CIRCUIT_OPEN without touching the store; after `cooldownMs` on the
 * injected clock it lets exactly one probe through (half-open); the probe's success closes it, its
 * failure opens it for another cooldown.
 *
 * When to open is decided by cockatiel's breakers, which are plain counters: `ConsecutiveBreaker`
 * (`failuresMax` transient failures in a row) and, when `failureRatioMax` is set, `CountBreaker`
 * (more than that fraction of the last `windowCalls` calls failed). The state machine around them is
 * written here because cockatiel's `CircuitBreakerPolicy` reads `Date.now()` for its cooldown and
 * makes calls arriving during a half-open probe wait for it instead of failing fast.
 *
 * What counts: a transient (retryable) store error is a failure; a success or a permanent error
 * (AccessDenied, NoSuchBucket, …) is a success, because the store answered and hammering is not the
 * problem. This module never calls the store and never retries; callers ask for a permit, run the
 * call, and report how it ended.
 */

import { CircuitState, ConsecutiveBreaker, CountBreaker } from 'cockatiel';
import type { Clock } from '../clock.ts';
import { ErrorCode, TierVecError } from '../errors.ts';
import { checkOptions, integer, nullable, number } from '../options.ts';
import { CIRCUIT_BREAKER_DEFAULTS } from './defaults.ts';

export type CircuitBreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive transient failures that open the circuit (1..1_000_000). @default 5 */
  failuresMax?: number;
  /** Open also when more than this fraction (0 < r < 1) of the last `windowCalls` failed; null: off. @default null */
  failureRatioMax?: number | null;
  /** Calls in the failure-ratio window (1..100_000). @default 20 */
  windowCalls?: number;
  /** Calls the window must hold before the ratio rule applies (1..windowCalls). @default 10 */
  windowCallsMin?: number;
  /** Milliseconds the circuit stays open before a probe (0..86_400_000). @default 10000 */
  cooldownMs?: number;
}

export type ResolvedCircuitBreakerOptions = Readonly<{
  failuresMax: number;
  failureRatioMax: number | null;
  windowCalls: number;
  windowCallsMin: number;
  cooldownMs: number;
}>;

/** What each circuit-breaker option may be; any other key is rejected. */
export const CIRCUIT_BREAKER_LIMITS = Object.freeze({
  failuresMax: integer(1, 1_000_000),
  failureRatioMax: nullable(number(0.001, 0.999)),
  windowCalls: integer(1, 100_000),
  windowCallsMin: integer(1, (checked) => checked.windowCalls as number),
  cooldownMs: number(0, 86_400_000),
});

/** Takes CIRCUIT_BREAKER_DEFAULTS for what `options` leaves out and checks; INVALID_ARGUMENT names the option. */
export function resolveCircuitBreakerOptions(
  options: unknown,
  name = 'circuitBreaker',
): ResolvedCircuitBreakerOptions {
  return checkOptions(
    options === undefined ? {} : options,
    CIRCUIT_BREAKER_LIMITS,
    CIRCUIT_BREAKER_DEFAULTS,
    name,
  );
}

/** Leave to make one call; hand it back through `recordSuccess`, `recordFailure` or `release`. */
export interface CircuitPermit {
  readonly probe: boolean;
}

export type CircuitStateListener = (state: CircuitBreakerState, previous: CircuitBreakerState) => void;

export interface CircuitBreakerStats {
  state: CircuitBreakerState;
  /** Times the circuit opened (from closed or after a failed probe). */
  opened: number;
  /** Attempts refused with CIRCUIT_OPEN. */
  rejected: number;
}

export class CircuitBreaker {
  readonly options: ResolvedCircuitBreakerOptions;
  readonly #clock: Clock;
  readonly #consecutive: ConsecutiveBreaker;
  readonly #ratio: CountBreaker | undefined;
  readonly #listeners = new Set<CircuitStateListener>();
  #state: CircuitBreakerState = 'closed';
  #openedAtMs = 0;
  #opened = 0;
  #rejected = 0;

  constructor(options: ResolvedCircuitBreakerOptions, clock: Clock) {
    this.options = options;
    this.#clock = clock;
    this.#consecutive = new ConsecutiveBreaker(options.failuresMax);
    this.#ratio =
      options.failureRatioMax === null
        ? undefined
        : new CountBreaker({
            threshold: options.failureRatioMax,
            size: options.windowCalls,
            minimumNumberOfCalls: options.windowCallsMin,
          });
  }

  /** The state now; `open` stays `open` after the cooldown until a call arrives to probe. */
  get state(): CircuitBreakerState {
    return this.#state;
  }

  stats(): CircuitBreakerStats {
    return { state: this.#state, opened: this.#opened, rejected: this.#rejected };
  }

  /** Calls `listener` on every transition; returns a function that unsubscribes. */
  onStateChange(listener: CircuitStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A permit for one call, or a CIRCUIT_OPEN error (returned, not thrown) while the circuit is open
   * or a probe is already running. The first call after the cooldown becomes the probe.
   */
  acquire(): CircuitPermit | TierVecError {
    if (this.#state === 'closed') return { probe: false };
    const elapsedMs = this.#clock.now() - this.#openedAtMs;
    if (this.#state === 'open' && elapsedMs >= this.options.cooldownMs) {
      this.#transition('half-open');
      return { probe: true };
    }
    this.#rejected++;
    const retryAfterMs = Math.max(0, this.options.cooldownMs - elapsedMs);
    return new TierVecError(
      ErrorCode.CIRCUIT_OPEN,
      this.#state === 'open'
        ? `The object-store circuit is open; the next probe is allowed in ${retryAfterMs} ms`
        : 'The object-store circuit is half-open and its probe call is still running',
      { details: { state: this.#state, retryAfterMs } },
    );
  }

  /** The call succeeded, or failed permanently (the store answered). */
  recordSuccess(permit: CircuitPermit): void {
    if (permit.probe) {
      if (this.#state !== 'half-open') return;
      this.#ratio?.success(CircuitState.HalfOpen);
      this.#transition('closed');
      return;
    }
    // A call admitted while closed that ends after the circuit opened says nothing about now.
    if (this.#state !== 'closed') return;
    this.#consecutive.success();
    this.#ratio?.success(CircuitState.Closed);
  }

  /** The call failed transiently. */
  recordFailure(permit: CircuitPermit): void {
    if (permit.probe) {
      if (this.#state === 'half-open') this.#open();
      return;
    }
    if (this.#state !== 'closed') return;
    const consecutiveTrips = this.#consecutive.failure();
    const ratioTrips = this.#ratio?.failure(CircuitState.Closed) ?? false;
    if (consecutiveTrips || ratioTrips) this.#open();
  }

  /** The call ended without an answer from the store (aborted): a probe's turn passes to the next call. */
  release(permit: CircuitPermit): void {
    if (permit.probe && this.#state === 'half-open') {
      this.#openedAtMs = this.#clock.now() - this.options.cooldownMs;
      this.#transition('open');
    }
  }

  #open(): void {
    this.#openedAtMs = this.#clock.now();
    this.#opened++;
    this.#transition('open');
  }

  #transition(next: CircuitBreakerState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    if (next === 'closed') this.#consecutive.success();
    for (const listener of this.#listeners) listener(next, previous);
  }
}
