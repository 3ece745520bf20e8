/**
 * The closed-model scheduler: N clients, each running one operation at a time in a loop with an
 * optional think time between operations, until the arrival window ends. A closed model measures
 * what a fixed pool of callers experiences; it cannot hold a rate, and its latency is service time
 * (each operation's intended start is its actual start). Use the open model to test a rate.
 */

import { type Clock, type TimerHandle, yieldToEventLoop } from '../clock.ts';
import type { OperationSlot } from './recorder.ts';
import {
  InFlightList,
  InFlightOp,
  type LoadGroupRuntime,
  launch,
  type SchedulerContext,
} from './scheduler.ts';

export interface ClosedSchedulerOptions {
  clients: number;
  /** Pause between an operation's end and the client's next start. */
  thinkTimeMs: number;
  /** End of the arrival window, ms since start: no client starts an operation after it. */
  endMs: number;
}

/** Clients without think time yield to the event loop after this many back-to-back operations. */
const OPERATIONS_PER_YIELD = 32;

export class ClosedScheduler implements LoadGroupRuntime {
  readonly name: string;
  readonly arrivalsDone: Promise<void>;
  readonly queued = 0;
  readonly queuedMax = 0;
  readonly #context: SchedulerContext;
  readonly #options: ClosedSchedulerOptions;
  readonly #active = new InFlightList();
  readonly #stop = new AbortController();
  #running = false;
  #cut = false;
  #startMs = 0;
  #index = 0;
  #endTimer: TimerHandle | undefined;
  #resolveArrivals: () => void = () => {};
  #idleWaiters: Array<() => void> = [];

  constructor(context: SchedulerContext, options: ClosedSchedulerOptions) {
    this.name = context.group;
    this.#context = context;
    this.#options = options;
    this.arrivalsDone = new Promise((resolve) => {
      this.#resolveArrivals = resolve;
    });
  }

  get inFlight(): number {
    return this.#active.size;
  }

  start(startMs: number): void {
    this.#startMs = startMs;
    this.#running = true;
    const clock: Clock = this.#context.clock;
    this.#endTimer = clock.setTimeout(
      () => this.stopArrivals(),
      this.#options.endMs - (clock.now() - startMs),
    );
    for (let i = 0; i < this.#options.clients; i++) void this.#client();
  }

  async #client(): Promise<void> {
    const { clock, mix, recorder, slots } = this.#context;
    let backToBack = 0;
    while (this.#running) {
      const op = mix.pick();
      const record = new InFlightOp(op, clock.now() - this.#startMs);
      record.startedMs = record.intendedMs;
      this.#active.add(record);
      const outcome = await new Promise<{ failed: boolean; error: unknown }>((resolve) =>
        launch(this.#context, op, this.#index++, (failed, error) => resolve({ failed, error })),
      );
      if (record.cut) return;
      this.#active.remove(record);
      const endMs = clock.now() - this.#startMs;
      recorder.complete(
        slots[op] as OperationSlot,
        record.intendedMs,
        record.startedMs,
        endMs,
        outcome.failed,
        outcome.error,
      );
      if (!this.#running) break;
      if (this.#options.thinkTimeMs > 0) {
        const slept = await clock.sleep(this.#options.thinkTimeMs, this.#stop.signal).then(
          () => true,
          () => false, // Only the stop signal rejects a think time: the client ends.
        );
        if (!slept) break;
      } else if (++backToBack >= OPERATIONS_PER_YIELD) {
        backToBack = 0;
        await yieldToEventLoop();
      }
    }
    this.#notifyIfIdle();
  }

  stopArrivals(): void {
    if (this.#endTimer !== undefined) this.#context.clock.clearTimeout(this.#endTimer);
    this.#endTimer = undefined;
    const wasRunning = this.#running;
    this.#running = false;
    if (!this.#stop.signal.aborted) this.#stop.abort();
    this.#resolveArrivals();
    if (wasRunning) this.#notifyIfIdle();
  }

  #isIdle(): boolean {
    return !this.#running && (this.#active.size === 0 || this.#cut);
  }

  #notifyIfIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  cutOff(atMs: number): number {
    this.stopArrivals();
    this.#cut = true;
    const count = this.#active.size;
    const { recorder, slots } = this.#context;
    this.#active.drain((record) => {
      record.cut = true;
      recorder.cutOff(slots[record.op] as OperationSlot, record.intendedMs, record.startedMs, atMs);
    });
    this.#notifyIfIdle();
    return count;
  }
}
