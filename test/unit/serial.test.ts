import { describe, expect, it } from 'vitest';
import { Serial } from '../../src/serial.ts';

/** A promise with its resolve and reject at hand, so a test decides when a task ends. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Serial', () => {
  it('runs tasks one at a time in call order, even when later tasks would finish first', async () => {
    const serial = new Serial();
    const events: string[] = [];
    let running = 0;
    let runningMax = 0;
    const task = (name: string, delays: number) => async () => {
      running++;
      runningMax = Math.max(runningMax, running);
      events.push(`start ${name}`);
      for (let i = 0; i < delays; i++) await Promise.resolve();
      events.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([
      serial.run(task('a', 20)),
      serial.run(task('b', 1)),
      serial.run(task('c', 5)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(runningMax).toBe(1);
  });

  it('does not start a task before the one ahead of it has settled', async () => {
    const serial = new Serial();
    const first = deferred<number>();
    let secondStarted = false;
    const a = serial.run(() => first.promise);
    const b = serial.run(() => {
      secondStarted = true;
      return 2;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondStarted).toBe(false);
    expect(serial.pending).toBe(2);
    first.resolve(1);
    expect(await a).toBe(1);
    expect(await b).toBe(2);
    expect(secondStarted).toBe(true);
    expect(serial.pending).toBe(0);
  });

  it('delivers a failure to its own caller only, and runs the tasks after it', async () => {
    const serial = new Serial();
    const failure = new Error('disk full');
    const a = serial.run(async () => {
      throw failure;
    });
    const b = serial.run(() => {
      throw new Error('thrown synchronously');
    });
    const c = serial.run(async () => 'still runs');
    await expect(a).rejects.toBe(failure);
    await expect(b).rejects.toThrow('thrown synchronously');
    expect(await c).toBe('still runs');
  });

  it('idle() waits for every queued task and resolves even when one failed', async () => {
    const serial = new Serial();
    const gate = deferred<void>();
    const done: string[] = [];
    serial.run(() => gate.promise).then(() => done.push('a'));
    const failed = serial.run(async () => {
      throw new Error('boom');
    });
    failed.catch(() => done.push('b failed'));
    const idle = serial.idle().then(() => done.push('idle'));
    gate.resolve();
    await idle;
    expect(done).toEqual(['a', 'b failed', 'idle']);
  });
});
