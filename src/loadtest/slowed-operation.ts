/**
 * A target whose one named operation takes `factor` times as long as it would: after the real call
 * returns, the operation keeps the event loop busy (as slower synchronous code would) for
 * (factor − 1) × the call's own duration. This is a known slowdown of exactly that size, for checking
 * that `compare` flags what it should. (Doing the work twice is not one: a call's service time is
 * mostly the event-loop turns around it, so a repeated search took 1.24 × as long, not 2 ×.) The real
 * call always runs and its result is returned; every other part of the target is the original's.
 * It must never be used to measure the store.
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

/** Holds the thread for `durationMs`, as a synchronous computation of that length would. */
function busyWaitMs(durationMs: number): void {
  const endMs = performance.now() + durationMs;
  while (performance.now() < endMs) {
    // Spinning is the point: the slowdown must cost what slower code costs, not yield like a sleep.
  }
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
      busyWaitMs((factor - 1) * (performance.now() - startMs));
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
