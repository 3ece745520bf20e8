import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { Semaphore } from '../../../src/uploaders/semaphore.ts';

describe('Semaphore', () => {
  it('grants permits up to permitsMax and hands a released permit to the oldest waiter', async () => {
    const semaphore = new Semaphore(2, 10);
    const order: string[] = [];
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    const waiting = ['c', 'd', 'e'].map((name) =>
      semaphore.acquire().then((release) => {
        order.push(name);
        return release;
      }),
    );
    await yieldToEventLoop();
    expect(semaphore.inUse).toBe(2);
    expect(semaphore.queued).toBe(3);
    a();
    a(); // a second call of the same release function is a no-op
    await yieldToEventLoop();
    expect(order).toEqual(['c']);
    // A newcomer arriving after a release must queue behind the waiters, not take the slot.
    const late = semaphore.acquire().then((release) => {
      order.push('late');
      return release;
    });
    b();
    await yieldToEventLoop();
    expect(order).toEqual(['c', 'd']);
    for (const release of await Promise.all(waiting.slice(0, 2))) release();
    await yieldToEventLoop();
    expect(order).toEqual(['c', 'd', 'e', 'late']);
    (await waiting[2])!();
    (await late)();
    expect(semaphore.inUse).toBe(0);
  });

  it('rejects with RATE_LIMITED when queuedMax callers already wait, unless exempted', async () => {
    const semaphore = new Semaphore(1, 1);
    await semaphore.acquire();
    const queued = semaphore.acquire();
    const error = await semaphore.acquire().catch((caught: unknown) => caught);
    expect(isTierVecError(error, ErrorCode.RATE_LIMITED)).toBe(true);
    expect((error as Error).message).toContain('queuedMax = 1');
    const exempt = semaphore.acquire(undefined, false);
    expect(semaphore.queued).toBe(2);
    void queued;
    void exempt;
  });

  it('removes an aborted waiter from the queue at once and rejects it with the signal reason', async () => {
    const semaphore = new Semaphore(1, 1);
    const first = await semaphore.acquire();
    const controller = new AbortController();
    const aborted = semaphore.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(semaphore.queued).toBe(0);
    const next = semaphore.acquire();
    first();
    (await next)();
    expect(semaphore.inUse).toBe(0);
  });
});

describe('Semaphore.tryAcquire', () => {
  it('takes a free permit at once and returns undefined when none is free', () => {
    const semaphore = new Semaphore(1, 10);
    const release = semaphore.tryAcquire();
    expect(release).toBeTypeOf('function');
    expect(semaphore.inUse).toBe(1);
    expect(semaphore.tryAcquire()).toBeUndefined();
    expect(semaphore.inUse).toBe(1);
    release?.();
    expect(semaphore.inUse).toBe(0);
  });

  it('returns undefined for an aborted signal and takes nothing', () => {
    const semaphore = new Semaphore(2, 10);
    const controller = new AbortController();
    controller.abort();
    expect(semaphore.tryAcquire(controller.signal)).toBeUndefined();
    expect(semaphore.inUse).toBe(0);
  });

  it('never jumps the queue: a permit released to a waiter is not free for tryAcquire', async () => {
    const semaphore = new Semaphore(1, 10);
    const first = semaphore.tryAcquire();
    const waiter = semaphore.acquire();
    first?.();
    expect(semaphore.tryAcquire()).toBeUndefined();
    (await waiter)();
    expect(semaphore.inUse).toBe(0);
  });

  it('fails every waiter with the given error, keeps held permits held, and grants later callers normally', async () => {
    const semaphore = new Semaphore(1, 10, 'room');
    const held = semaphore.tryAcquire();
    const waiting = [semaphore.acquire(), semaphore.acquire()];
    const closed = new Error('closed');
    semaphore.failWaiting(closed);
    for (const waiter of waiting) await expect(waiter).rejects.toBe(closed);
    expect(semaphore.queued).toBe(0);
    expect(semaphore.inUse).toBe(1);
    held?.();
    expect(semaphore.inUse).toBe(0);
    (await semaphore.acquire())();
  });

  it('names what a waiter waited for when aborted without an Error reason', async () => {
    const semaphore = new Semaphore(0, 10, 'room in the BatchUploader');
    const controller = new AbortController();
    controller.abort('stop');
    const error = await semaphore.acquire(controller.signal).catch((caught: unknown) => caught);
    expect(isTierVecError(error, ErrorCode.ABORTED)).toBe(true);
    expect((error as Error).message).toContain('waiting for room in the BatchUploader');
  });
});
