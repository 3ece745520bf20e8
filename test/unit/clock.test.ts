import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { ErrorCode, TierVecError } from '../../src/errors.ts';

describe('ManualClock', () => {
  it('fires timers in due order only when advanced past them', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('c'), 20);
    await clock.advance(15);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(15);
    await clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('runs timers scheduled by async code reacting to an earlier timer within the same advance', async () => {
    const clock = new ManualClock(0);
    const times: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        times.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(30);
    await done;
    expect(times).toEqual([10, 20, 30]);
  });

  it('rejects a sleep with the signal reason when aborted, and clears its timer', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toBe(controller.signal.reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with ABORTED when the signal carries a reason that is not an Error', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort('shutting down');
    await expect(sleeping).rejects.toSatisfy(
      (error) => error instanceof TierVecError && error.code === ErrorCode.ABORTED,
    );
  });
});
