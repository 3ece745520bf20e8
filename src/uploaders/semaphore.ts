/**
 * A counting semaphore with a bounded first-in-first-out wait queue: the bound on uploads in flight.
 *
 * cockatiel's BulkheadPolicy has the same shape but hands a freed slot to the next queued call
 * through a microtask, so a newcomer can take the slot first and push the queued call to the back
 * of the queue (or reject it when the queue is full), and a queued call whose signal aborts keeps
 * its queue slot until it reaches the front. Here a released slot passes directly to the oldest
 * waiter, and an aborted waiter leaves the queue at once, so "queued in order" and `queuedMax` hold
 * exactly. This module never starts work itself; it only hands out and takes back permits.
 */

import { abortError, ErrorCode, TierVecError } from '../errors.ts';

interface Waiter {
  grant: () => void;
  fail: (error: unknown) => void;
}

/** Returned by `acquire`; call it once to give the slot back. */
export type ReleasePermit = () => void;

export class Semaphore {
  readonly permitsMax: number;
  readonly queuedMax: number;
  /** What a waiter waits for, in the message of an abort without an Error reason. */
  readonly #waitingFor: string;
  #inUse = 0;
  readonly #waiters: Waiter[] = [];

  constructor(permitsMax: number, queuedMax: number, waitingFor = 'an upload slot') {
    this.permitsMax = permitsMax;
    this.queuedMax = queuedMax;
    this.#waitingFor = `waiting for ${waitingFor}`;
  }

  /** Permits held now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Callers waiting for a permit. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * A permit now, without waiting, or undefined when none is free (or `signal` is aborted): the
   * caller then queues with `acquire`. A free permit means nobody waits, since a released permit
   * passes straight to the oldest waiter, so taking it never jumps the queue.
   */
  tryAcquire(signal?: AbortSignal): ReleasePermit | undefined {
    if (signal?.aborted || this.#inUse >= this.permitsMax) return undefined;
    this.#inUse++;
    return this.#releaser();
  }

  /**
   * Resolves with a release function once a permit is free, in arrival order. Rejects with
   * RATE_LIMITED when `queuedMax` callers already wait (unless the caller bounds itself and passes
   * `countsTowardQueueLimit = false`), and with the signal's reason when aborted while waiting (the
   * caller then holds nothing).
   */
  acquire(signal?: AbortSignal, countsTowardQueueLimit = true): Promise<ReleasePermit> {
    if (signal?.aborted) return Promise.reject(abortError(signal, this.#waitingFor));
    if (this.#inUse < this.permitsMax) {
      this.#inUse++;
      return Promise.resolve(this.#releaser());
    }
    if (countsTowardQueueLimit && this.#waiters.length >= this.queuedMax) {
      return Promise.reject(
        new TierVecError(
          ErrorCode.RATE_LIMITED,
          `The upload queue is full: ${this.#inUse} uploads in flight and ${this.#waiters.length} queued (queuedMax = ${this.queuedMax})`,
          { details: { inFlight: this.#inUse, queued: this.#waiters.length, queuedMax: this.queuedMax } },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortError(signal as AbortSignal, this.#waitingFor));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser());
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Rejects every caller waiting now with `error` (they then hold nothing); permits held stay held. */
  failWaiting(error: unknown): void {
    for (const waiter of this.#waiters.splice(0)) waiter.fail(error);
  }

  #releaser(): ReleasePermit {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // The permit passes straight to the oldest waiter; `inUse` is unchanged in that case.
      if (next === undefined) this.#inUse--;
      else next.grant();
    };
  }
}
