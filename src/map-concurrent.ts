/**
 * `mapConcurrent`: the one worker pool. It maps items to results with at most `concurrency` tasks in
 * flight, starts them in input order (the first ones in the caller's turn of the event loop, before
 * it returns), and resolves with the results in input order.
 *
 * Failure policy, the same for a task's rejection and for an abort: start nothing more, wait for the
 * tasks already running to settle, then reject with the first task's error (or the signal's reason).
 * So when the returned promise settles, no task of the call is still running. Callers that want every
 * item to run whatever happens make their tasks resolve with an outcome instead of rejecting.
 *
 * The items are pulled one at a time, each when a task slot is free, and a worker that finishes asks
 * for the next item again even after the iterator once said it was done: a live queue (an iterator
 * over an array that grows while the pool runs) is drained to the end. This module never interrupts a
 * running task: pass the same signal into the tasks when they should stop early.
 */

import { abortError, checkInteger } from './errors.ts';

export interface MapConcurrentOptions {
  /** Stops starting items; the call rejects with the signal's reason once running tasks settled. */
  signal?: AbortSignal;
}

/**
 * Runs `task` on every item of `items`, at most `concurrency` at once (1 or more), and resolves with
 * the results in input order. Rejects, after every running task settled, with the first rejection
 * or with the signal's reason when `signal` aborts; no item starts after either.
 */
export async function mapConcurrent<T, R>(
  items: Iterable<T>,
  concurrency: number,
  task: (item: T, index: number) => R | Promise<R>,
  options: MapConcurrentOptions = {},
): Promise<R[]> {
  checkInteger('concurrency', concurrency, 1, Number.MAX_SAFE_INTEGER);
  const { signal } = options;
  const iterator = items[Symbol.iterator]();
  const results: R[] = [];
  let started = 0;
  let failed = false;
  let failure: unknown;
  const pull = (): { item: T; index: number } | undefined => {
    if (failed || signal?.aborted) return undefined;
    const step = iterator.next();
    return step.done === true ? undefined : { item: step.value, index: started++ };
  };
  const worker = async (first: { item: T; index: number }): Promise<void> => {
    for (let next: typeof first | undefined = first; next !== undefined; next = pull()) {
      try {
        results[next.index] = await task(next.item, next.index);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let first = pull(); first !== undefined; first = workers.length < concurrency ? pull() : undefined) {
    workers.push(worker(first));
  }
  await Promise.all(workers);
  if (failed) throw failure;
  if (signal?.aborted) throw abortError(signal, 'mapConcurrent');
  return results;
}
