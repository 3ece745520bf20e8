import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { ManualClock } from '../../src/clock.ts';
import { ErrorCode } from '../../src/errors.ts';
import { setDefaultSliceMs, TimeSlicer } from '../../src/time-slicer.ts';

/** A clock whose time moves by `stepMs` at every reading, like work that takes time. */
function steppingClock(stepMs: number): Clock {
  const base = new ManualClock();
  let nowMs = 0;
  return {
    now: () => {
      nowMs += stepMs;
      return nowMs;
    },
    setTimeout: (callback, delayMs) => base.setTimeout(callback, delayMs),
    clearTimeout: (handle) => base.clearTimeout(handle),
    sleep: (delayMs, signal) => base.sleep(delayMs, signal),
  };
}

/** Runs `units` units of work under `slicer`; returns the unit at which an outside callback ran. */
async function runUnits(slicer: TimeSlicer, units: number): Promise<number | undefined> {
  let unit = 0;
  let ranAt: number | undefined;
  setImmediate(() => {
    ranAt = unit;
  });
  for (; unit < units; unit++) if (slicer.due()) await slicer.yield();
  return ranAt;
}

describe('TimeSlicer', () => {
  it('gives the event loop a turn each time a slice of work is spent', async () => {
    // Every reading of the clock moves it 1 ms: a 3 ms slice is spent after a few units of work.
    const slicer = new TimeSlicer(steppingClock(1), 3);
    const ranAt = await runUnits(slicer, 100);
    expect(ranAt).toBeLessThan(5);
    expect(slicer.yields).toBeGreaterThanOrEqual(25);
    expect(slicer.yields).toBeLessThanOrEqual(50);
  });

  it('never yields on a clock that does not move, so a simulation replays exactly', async () => {
    const slicer = new TimeSlicer(new ManualClock(), 3);
    expect(await runUnits(slicer, 1_000)).toBeUndefined();
    expect(slicer.yields).toBe(0);
  });

  it('never yields with an infinite slice (one piece, as before slicing)', async () => {
    const slicer = new TimeSlicer(steppingClock(10), Number.POSITIVE_INFINITY);
    await runUnits(slicer, 100);
    expect(slicer.yields).toBe(0);
  });

  it('takes the default slice set by setDefaultSliceMs and restores the previous one', async () => {
    const previous = setDefaultSliceMs(Number.POSITIVE_INFINITY);
    try {
      const slicer = new TimeSlicer(steppingClock(10));
      await runUnits(slicer, 10);
      expect(slicer.yields).toBe(0);
    } finally {
      expect(setDefaultSliceMs(previous)).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it('rejects a negative or non-numeric slice with INVALID_ARGUMENT', () => {
    expect(() => new TimeSlicer(new ManualClock(), -1)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    expect(() => setDefaultSliceMs(Number.NaN)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    expect(() => new TimeSlicer(new ManualClock(), '3' as unknown as number)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});
