/**
 * Cooperative time slicing for long CPU-bound loops that run on the event loop (building an HNSW
 * graph for a compacted segment takes hundreds of milliseconds): the loop asks `due()` after each
 * unit of work and, when its slice is spent, awaits `yield()`, which lets timers, I/O callbacks and
 * foreground operations run before the next slice starts. A loop sliced this way holds the event
 * loop for about `sliceMs` at a time instead of for its whole length.
 *
 * Slices are measured on the injected clock. On a `ManualClock` time does not move during the loop,
 * so it never yields: a simulation replays exactly as if the loop were synchronous. This module owns
 * no work of its own and must never hold a loop longer than one unit of work past its slice.
 */

import { type Clock, yieldToEventLoop } from './clock.ts';
import { describeValue, ErrorCode, TierVecError } from './errors.ts';

export const TIME_SLICE_DEFAULTS = Object.freeze({
  /**
   * Milliseconds of work between two turns of the event loop: short enough that a foreground
   * operation waits at most a few milliseconds behind background work, long enough that the turns
   * themselves (a few microseconds each) cost nothing measurable.
   */
  sliceMs: 3,
});

let defaultSliceMs: number = TIME_SLICE_DEFAULTS.sliceMs;

/**
 * Sets the slice of every `TimeSlicer` created afterwards without its own `sliceMs`;
 * `Number.POSITIVE_INFINITY` runs background builds in one piece (what tiervec did before slicing,
 * kept for benchmarks that compare the two). Returns the previous setting.
 */
export function setDefaultSliceMs(sliceMs: number): number {
  checkSliceMs(sliceMs);
  const previous = defaultSliceMs;
  defaultSliceMs = sliceMs;
  return previous;
}

function checkSliceMs(sliceMs: unknown): void {
  if (typeof sliceMs !== 'number' || Number.isNaN(sliceMs) || sliceMs < 0) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`sliceMs\` to be a number of milliseconds from 0 up (Infinity: never yield), got ${describeValue(sliceMs)}`,
      { details: { option: 'sliceMs', value: sliceMs } },
    );
  }
}

export class TimeSlicer {
  readonly #clock: Clock;
  readonly #sliceMs: number;
  #sliceEndMs: number;
  #yields = 0;

  constructor(clock: Clock, sliceMs: number = defaultSliceMs) {
    checkSliceMs(sliceMs);
    this.#clock = clock;
    this.#sliceMs = sliceMs;
    this.#sliceEndMs = clock.now() + sliceMs;
  }

  /** Whether the current slice is spent (the caller should `await yield()` before more work). */
  due(): boolean {
    return this.#sliceMs !== Number.POSITIVE_INFINITY && this.#clock.now() >= this.#sliceEndMs;
  }

  /** Gives the event loop one turn, then starts a new slice. */
  async yield(): Promise<void> {
    this.#yields++;
    await yieldToEventLoop();
    this.#sliceEndMs = this.#clock.now() + this.#sliceMs;
  }

  /** Turns given to the event loop so far. */
  get yields(): number {
    return this.#yields;
  }
}

/**
 * Work written once as a generator that yields at points where it may pause (each about the same
 * small amount of work): `runToEnd` runs it in one piece, `runSliced` gives the event loop a turn
 * whenever `slicer`'s slice is spent.
 */
export type SteppedWork<T> = Generator<void, T, void>;

export function runToEnd<T>(work: SteppedWork<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
  }
}

export async function runSliced<T>(work: SteppedWork<T>, slicer: TimeSlicer): Promise<T> {
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
    if (slicer.due()) await slicer.yield();
  }
}
