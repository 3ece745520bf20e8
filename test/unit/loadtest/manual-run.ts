/**
 * Drives a promise that waits on a ManualClock to completion: fires the clock's timers one due time
 * after another, letting the event loop run in between, so a load test on simulated time finishes in
 * milliseconds and every latency is exact.
 */

import { type ManualClock, yieldToEventLoop } from '../../../src/clock.ts';

export async function driveClock<T>(
  clock: ManualClock,
  promise: Promise<T>,
  stepsMax = 1_000_000,
): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  // Keep a rejection from being reported as unhandled while the loop below runs.
  tracked.catch(() => {});
  for (let step = 0; !settled && step < stepsMax; step++) {
    const next = clock.nextDueMs();
    if (next === undefined) await yieldToEventLoop();
    else await clock.advance(Math.max(0, next - clock.now()));
  }
  if (!settled) throw new Error(`driveClock: still running after ${stepsMax} steps`);
  return tracked;
}
