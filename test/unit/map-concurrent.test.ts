import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from '../../src/clock.ts';
import { ErrorCode, isTierVecError } from '../../src/errors.ts';
import { mapConcurrent } from '../../src/map-concurrent.ts';
import { Rng } from '../../src/random.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after `turns` trips through the event loop: a task length without wall-clock time. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await yieldToEventLoop();
}

describe('mapConcurrent', () => {
  it('never runs more than `concurrency` tasks at once, checked inside every task, and uses all of them', async () => {
    const seed = 7;
    const rng = new Rng(seed);
    const lengths = Array.from({ length: 40 }, () => 1 + Math.floor(rng.next() * 5));
    for (const concurrency of [1, 3, 8]) {
      let running = 0;
      let runningMax = 0;
      await mapConcurrent(lengths, concurrency, async (length) => {
        running++;
        expect(running, `seed ${seed}, concurrency ${concurrency}`).toBeLessThanOrEqual(concurrency);
        runningMax = Math.max(runningMax, running);
        await turns(length);
        running--;
      });
      expect(running).toBe(0);
      expect(runningMax).toBe(concurrency);
    }
  });

  it('resolves with the results in input order whatever order the tasks end in', async () => {
    const lengths = [5, 1, 4, 2, 3, 1, 5];
    const ended: number[] = [];
    const results = await mapConcurrent(lengths, 3, async (length, index) => {
      await turns(length);
      ended.push(index);
      return `item ${index}`;
    });
    expect(results).toEqual(lengths.map((_, index) => `item ${index}`));
    expect(ended).not.toEqual([...ended].sort((a, b) => a - b));
  });

  it('starts the first tasks before it returns, in input order', () => {
    const started: number[] = [];
    const running = mapConcurrent([10, 11, 12, 13], 2, (item) => {
      started.push(item);
      return item;
    });
    expect(started).toEqual([10, 11]);
    return expect(running).resolves.toEqual([10, 11, 12, 13]);
  });

  it('resolves with an empty array for no items and accepts synchronous tasks', async () => {
    expect(await mapConcurrent([], 4, () => 1)).toEqual([]);
    expect(await mapConcurrent(new Set([1, 2, 3]), 2, (n) => n * 2)).toEqual([2, 4, 6]);
  });

  it('drains a queue that grows while it runs', async () => {
    const queue = [1, 2];
    const iterable: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () =>
          queue.length === 0
            ? { done: true, value: undefined }
            : { done: false, value: queue.shift() as number },
      }),
    };
    const seen = await mapConcurrent(iterable, 4, async (item) => {
      if (item === 1) queue.push(3, 4);
      await turns(1);
      return item;
    });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('on a rejection starts nothing more, waits for the running tasks, then rejects with the first error', async () => {
    const started: number[] = [];
    const slow = deferred<void>();
    let slowEnded = false;
    const running = mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 0) {
        await slow.promise;
        slowEnded = true;
        return;
      }
      await turns(1);
      if (item === 1) throw new Error('first failure');
      if (item === 2) throw new Error('second failure');
    });
    let settled = false;
    running.then(
      () => (settled = true),
      () => (settled = true),
    );
    await turns(5);
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(false);
    slow.resolve();
    await expect(running).rejects.toThrow('first failure');
    expect(slowEnded).toBe(true);
  });

  it('turns a synchronous throw of a task into the rejection', async () => {
    const error = new Error('thrown at once');
    await expect(
      mapConcurrent([1, 2, 3], 1, () => {
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it('on abort starts nothing more, waits for the running tasks, then rejects with the signal reason', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const gate = deferred<void>();
    const running = mapConcurrent(
      [0, 1, 2, 3],
      2,
      async (item) => {
        started.push(item);
        await gate.promise;
      },
      { signal: controller.signal },
    );
    const reason = new Error('stop');
    controller.abort(reason);
    gate.resolve();
    await expect(running).rejects.toBe(reason);
    expect(started).toEqual([0, 1]);
  });

  it('rejects with ABORTED when the signal was aborted without an Error, and starts nothing', async () => {
    const controller = new AbortController();
    controller.abort('no reason given');
    let calls = 0;
    const error = await mapConcurrent([1, 2], 2, () => calls++, { signal: controller.signal }).catch(
      (caught: unknown) => caught,
    );
    expect(isTierVecError(error, ErrorCode.ABORTED)).toBe(true);
    expect(calls).toBe(0);
  });

  it('rejects a concurrency below 1 or not an integer with INVALID_ARGUMENT', async () => {
    for (const concurrency of [0, 1.5, Number.NaN]) {
      const error = await mapConcurrent([1], concurrency, (n) => n).catch((caught: unknown) => caught);
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), String(concurrency)).toBe(true);
      expect((error as Error).message).toContain('`concurrency`');
    }
  });
});
