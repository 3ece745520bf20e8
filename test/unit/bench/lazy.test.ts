import { describe, expect, it } from 'vitest';
import { lazy } from '../../../bench/runner/lazy.ts';

describe('lazy', () => {
  it('acquires on first use only, shares the value, and disposes of it once', async () => {
    const events: string[] = [];
    let made = 0;
    const resource = lazy(
      async () => {
        events.push('acquire');
        return ++made;
      },
      (value) => void events.push(`dispose ${value}`),
    );
    expect(events).toEqual([]);
    expect(await Promise.all([resource.get(), resource.get()])).toEqual([1, 1]);
    await resource.release();
    await resource.release();
    expect(events).toEqual(['acquire', 'dispose 1']);
    // Released resources are acquired afresh.
    expect(await resource.get()).toBe(2);
  });

  it('never disposes of what was never acquired, nor of a failed acquisition', async () => {
    const disposed: unknown[] = [];
    const untouched = lazy(
      async () => 'x',
      (value) => void disposed.push(value),
    );
    await untouched.release();
    const failing = lazy<string>(
      async () => Promise.reject(new Error('port in use')),
      (value) => void disposed.push(value),
    );
    await expect(failing.get()).rejects.toThrow('port in use');
    await failing.release();
    expect(disposed).toEqual([]);
  });
});
