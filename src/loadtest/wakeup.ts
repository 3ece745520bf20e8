/**
 * Wake-ups for the open-model scheduler: "call me back in `delayMs`", one pending wake-up per owner.
 *
 * Node's timers have millisecond granularity (a 0.3 ms timeout fires after 1 ms or more), which would
 * add up to a millisecond of harness-made lateness to every arrival; polling the event loop instead
 * would burn a core and falsify the run's CPU figures. `ThreadWakeup` sleeps in a worker thread on
 * `Atomics.wait`, which has microsecond resolution, and wakes the main thread with a message: sub-
 * millisecond precision at no CPU cost while idle. The main thread's event loop is never blocked.
 * `ClockWakeup` uses the injected Clock instead, for tests on a ManualClock.
 */

import { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../clock.ts';

export interface Wakeup {
  /** Resolves once wake-ups are precise (the run starts its clock after this). */
  ready(): Promise<void>;
  /** Calls `callback` once after `delayMs`, replacing any pending wake-up of this owner. */
  schedule(callback: () => void, delayMs: number): void;
  cancel(): void;
  /** Releases the wake-up's resources; it must not be used afterwards. */
  close(): void;
}

export class ClockWakeup implements Wakeup {
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  schedule(callback: () => void, delayMs: number): void {
    this.cancel();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      callback();
    }, delayMs);
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.cancel();
  }
}

// Shared layout: Int32 [0] = sequence number of the armed wake-up (0: none), [1] = stop flag;
// Float64 [1] = deadline in ns of the monotonic clock (process.hrtime), which all threads share.
const ARMED = 0;
const STOP = 1;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const control = new Int32Array(workerData, 0, 2);
const deadline = new Float64Array(workerData, 8, 1);
for (;;) {
  if (Atomics.load(control, ${STOP}) !== 0) break;
  const armed = Atomics.load(control, ${ARMED});
  if (armed === 0) { Atomics.wait(control, ${ARMED}, 0); continue; }
  const remainingMs = (deadline[0] - Number(process.hrtime.bigint())) / 1e6;
  if (remainingMs > 0) { Atomics.wait(control, ${ARMED}, armed, remainingMs); continue; }
  if (Atomics.compareExchange(control, ${ARMED}, armed, 0) === armed) parentPort.postMessage(armed);
}
`;

/** How much later than the wake-up thread Node's backup timer fires. */
const BACKUP_SLACK_MS = 1;

export class ThreadWakeup implements Wakeup {
  readonly #worker: Worker;
  readonly #control: Int32Array;
  readonly #deadline: Float64Array;
  readonly #online: Promise<void>;
  #sequence = 0;
  #callback: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #threadFailed = false;
  #closed = false;

  constructor() {
    const shared = new SharedArrayBuffer(16);
    this.#control = new Int32Array(shared, 0, 2);
    this.#deadline = new Float64Array(shared, 8, 1);
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
    // The worker must never keep the process alive on its own.
    this.#worker.unref();
    this.#online = new Promise((resolve) => {
      this.#worker.once('online', () => resolve());
      this.#worker.once('error', () => resolve());
    });
    this.#worker.on('message', (sequence: number) => {
      if (sequence === this.#sequence) this.#fire();
    });
    this.#worker.on('error', (error) => {
      // Precision is lost, not correctness: the backup timer keeps waking the scheduler.
      process.emitWarning(
        `tiervec: the load scheduler's wake-up thread failed (${String(error)}); using timers`,
      );
      this.#threadFailed = true;
    });
  }

  ready(): Promise<void> {
    return this.#online;
  }

  readonly #fire = (): void => {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const callback = this.#callback;
    this.#callback = undefined;
    callback?.();
  };

  schedule(callback: () => void, delayMs: number): void {
    this.#callback = callback;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    // Node's timer is the safety net: on a machine too busy to run the wake-up thread promptly (or
    // after the thread failed) it still wakes the scheduler, at millisecond precision.
    this.#timer = setTimeout(this.#fire, Math.max(0, delayMs) + BACKUP_SLACK_MS);
    if (this.#threadFailed) return;
    // Sequence numbers skip 0, which means "nothing armed"; they wrap long before 2^31.
    this.#sequence = this.#sequence >= 0x7fffffff ? 1 : this.#sequence + 1;
    this.#deadline[0] = Number(process.hrtime.bigint()) + Math.max(0, delayMs) * 1e6;
    Atomics.store(this.#control, ARMED, this.#sequence);
    Atomics.notify(this.#control, ARMED);
  }

  cancel(): void {
    this.#callback = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    Atomics.store(this.#control, ARMED, 0);
    Atomics.notify(this.#control, ARMED);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.cancel();
    Atomics.store(this.#control, STOP, 1);
    Atomics.notify(this.#control, ARMED);
    void this.#worker.terminate();
  }
}
