/**
 * One simulated process's view of the world's `ManualClock`: the same time, but its timers belong to
 * the process, and when the process dies (`kill`) they are cancelled and new ones never fire, as a
 * crashed process's timers would not. It never moves time itself (the world does).
 */

import type { Clock, ManualClock, TimerHandle } from '../clock.ts';
import { abortError } from '../errors.ts';

export class ProcessClock implements Clock {
  readonly #base: ManualClock;
  readonly #timers = new Map<number, TimerHandle>();
  #nextId = 1;
  #dead = false;

  constructor(base: ManualClock) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    if (this.#dead) return { id };
    const handle = this.#base.setTimeout(() => {
      this.#timers.delete(id);
      callback();
    }, delayMs);
    this.#timers.set(id, handle);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const base = this.#timers.get(handle.id);
    if (base === undefined) return;
    this.#base.clearTimeout(base);
    this.#timers.delete(handle.id);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'sleep'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.clearTimeout(handle);
        reject(abortError(signal as AbortSignal, 'sleep'));
      };
      const handle = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The process is gone: its timers never fire. */
  kill(): void {
    this.#dead = true;
    for (const handle of this.#timers.values()) this.#base.clearTimeout(handle);
    this.#timers.clear();
  }
}
