/**
 * Injectable time. Everything in tiervec whose behaviour depends on time (timers, backoff, idle
 * tiering, latency simulation, the load scheduler) takes a `Clock`, so that tests and simulations run
 * on a `ManualClock` without sleeping. `Date.now()`/`performance.now()` appear only in `systemClock`.
 */

import { abortError } from './errors.ts';
import { withMethods } from './options.ts';

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the Unix epoch, with sub-millisecond resolution; never goes backwards. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `delayMs`; rejects with the signal's reason when aborted first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

class SystemClock implements Clock {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #nextId = 1;

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    const timer = setTimeout(
      () => {
        this.#timers.delete(id);
        callback();
      },
      Math.max(0, delayMs),
    );
    this.#timers.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.#timers.get(handle.id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timers.delete(handle.id);
    }
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }
}

function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal, 'sleep'));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortError(signal as AbortSignal, 'sleep'));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Real time. */
export const systemClock: Clock = new SystemClock();

/** The rule of every `clock` option: an object with the four methods of a Clock. */
export const CLOCK_OPTION = withMethods<Clock>('a Clock (now, setTimeout, clearTimeout, sleep)', [
  'now',
  'setTimeout',
  'clearTimeout',
  'sleep',
]);

interface ManualTimer {
  id: number;
  dueMs: number;
  callback: () => void;
}

/** Yields to the event loop so that promise chains and I/O callbacks waiting on it can run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told. `advance(ms)` fires every timer due within the window in time
 * order, letting the event loop run between timers so that async code reacting to one timer can
 * schedule the next before time moves on.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    const timer = { id, dueMs: this.#nowMs + Math.max(0, delayMs), callback };
    // Keep the list sorted by due time, then creation order, so firing order is deterministic.
    let index = this.#timers.length;
    while (index > 0 && (this.#timers[index - 1] as ManualTimer).dueMs > timer.dueMs) index--;
    this.#timers.splice(index, 0, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle.id);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Due time of the next timer, or undefined when none is waiting. */
  nextDueMs(): number | undefined {
    return this.#timers[0]?.dueMs;
  }

  /** Moves time forward by `ms`, firing due timers in order with the event loop run between them. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.#nowMs + ms;
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.dueMs > targetMs) break;
      this.#timers.shift();
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.callback();
      await settle();
    }
    this.#nowMs = targetMs;
    await settle();
  }

  /**
   * Fires timers one after another (advancing time to each) until none is left or `stepsMax` timers
   * have fired; for driving code to completion when only the order of events matters.
   */
  async runAll(stepsMax = 100_000): Promise<void> {
    await settle();
    for (let step = 0; step < stepsMax; step++) {
      const next = this.#timers.shift();
      if (next === undefined) return;
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.callback();
      await settle();
    }
    throw new Error(`ManualClock.runAll: still busy after ${stepsMax} timers`);
  }
}

async function settle(): Promise<void> {
  // A few turns of the loop: enough for chains of awaits and fs callbacks that are already complete.
  for (let i = 0; i < 5; i++) await yieldToEventLoop();
}
