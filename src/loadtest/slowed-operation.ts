/**
 * A target whose one named operation takes `factor` times as long as it would: after the real call
 * returns, the operation waits until `factor` × the call's own duration has passed since it started.
 * This is a known slowdown of that size, for checking that `compare` flags what it should.
 * - Doing the work twice is not one: a call's service time is mostly the event-loop turns around it,
 *   so a repeated search took 1.24 × as long, not 2 ×.
 * - Spinning the thread is not one either: a spin delays every other operation in flight, whose
 *   measured durations then grow their own spins, and the run collapses (at 50 ops/s, p90 × 350).
 * So the wait yields: a timer for all but the last millisecond, then event-loop turns until the end
 * (so it overshoots by one turn, or by how late the timer fires on a busy machine: at least `factor`).
 * The real call always runs and its result is returned; every other part of the target is the
 * original's. It must never be used to measure the store.
 */

import { performance } from 'node:perf_hooks';
import { checkNumber, ErrorCode, TierVecError } from '../errors.ts';
import type { LoadOperation, LoadTarget } from './load-target.ts';

export interface SlowedOperation {
  /** The operation to slow down (a key of the target's operations). */
  operation: string;
  /** How many times as long each call takes, from 1 to 16. */
  factor: number;
}

const TIMER_SLACK_MS = 1;

/** Resolves once `endMs` (performance.now() time) has passed, without holding the thread. */
async function waitUntil(endMs: number): Promise<void> {
  const remainingMs = endMs - performance.now();
  if (remainingMs > 2 * TIMER_SLACK_MS) {
    await new Promise((resolve) => setTimeout(resolve, remainingMs - TIMER_SLACK_MS));
  }
  while (performance.now() < endMs) await new Promise((resolve) => setImmediate(resolve));
}

export function withSlowedOperation<T extends LoadTarget>(target: T, slowed: SlowedOperation): T {
  const original = target.operations[slowed.operation];
  if (original === undefined) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`operation\` to be one of the target's operations (${Object.keys(target.operations).join(', ')}), got \`${slowed.operation}\``,
    );
  }
  const factor = checkNumber('factor', slowed.factor, 1, 16);
  const slow: LoadOperation = async (context) => {
    const startMs = performance.now();
    try {
      return await original(context);
    } finally {
      await waitUntil(startMs + factor * (performance.now() - startMs));
    }
  };
  const operations = { ...target.operations, [slowed.operation]: slow };
  // The target's methods run on the target itself (private fields and all): the proxy only swaps
  // the operations it hands out.
  return new Proxy(target, {
    get: (object, key) => {
      if (key === 'operations') return operations;
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
