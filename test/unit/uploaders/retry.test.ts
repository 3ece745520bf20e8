import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError, TierVecError } from '../../../src/errors.ts';
import { Rng } from '../../../src/random.ts';
import { ObjectStoreError } from '../../../src/storage/object-store/object-store-error.ts';
import { RETRY_DEFAULTS } from '../../../src/uploaders/defaults.ts';
import {
  backoffDelays,
  isRetryableError,
  type RetryEvent,
  RetryPolicy,
  resolveRetryOptions,
} from '../../../src/uploaders/retry.ts';

/** An attempt function that fails with the given errors in order, then succeeds. */
function scripted(errors: unknown[]) {
  const calls: number[] = [];
  return {
    calls,
    attempt: async (attemptNo: number) => {
      calls.push(attemptNo);
      const error = errors[attemptNo - 1];
      if (error !== undefined) throw error;
      return `ok after ${attemptNo}`;
    },
  };
}

describe('resolveRetryOptions', () => {
  it('spreads the defaults first', () => {
    expect(resolveRetryOptions(undefined)).toEqual(RETRY_DEFAULTS);
    expect(resolveRetryOptions({ attemptsMax: 2 })).toEqual({ ...RETRY_DEFAULTS, attemptsMax: 2 });
  });

  it('rejects bad options with INVALID_ARGUMENT naming the option', () => {
    const cases: [unknown, string][] = [
      [{ attemptsMax: 0 }, 'Expected `retry.attemptsMax` to be an integer from 1 to 100, got 0'],
      [{ delayMsBase: -1 }, '`retry.delayMsBase`'],
      [{ delayMsBase: 100, delayMsMax: 50 }, 'Expected `retry.delayMsMax` to be an integer from 100 to'],
      ['fast', 'Expected `retry` to be an object'],
      [null, 'Expected `retry` to be an object'],
      [{ attempts: 3 }, 'Unknown option `retry.attempts`'],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        resolveRetryOptions(options);
      } catch (caught) {
        error = caught;
      }
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), String(options)).toBe(true);
      expect((error as Error).message).toContain(message);
    }
  });
});

describe('backoffDelays', () => {
  it('draws full jitter below a doubling cap that stops at delayMsMax, the same for the same seed', () => {
    const options = resolveRetryOptions({ delayMsBase: 100, delayMsMax: 1_000 });
    const next = backoffDelays(options, new Rng(7).fork('k'));
    const delays = [next(), next(), next(), next(), next()];
    // Exact values for seed 7 / label k: floor(rng.next() * min(1000, 100 * 2^retry)).
    expect(delays).toEqual([69, 46, 200, 334, 516]);
    const caps = [100, 200, 400, 800, 1_000];
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(caps[i]!);
    });
    const again = backoffDelays(options, new Rng(7).fork('k'));
    expect([again(), again(), again(), again(), again()]).toEqual(delays);
  });

  it('stays below delayMsMax over many retries for many seeds', () => {
    const options = resolveRetryOptions({ delayMsBase: 50, delayMsMax: 300 });
    for (let seed = 0; seed < 50; seed++) {
      const next = backoffDelays(options, new Rng(seed));
      for (let i = 0; i < 30; i++) expect(next()).toBeLessThan(300);
    }
  });
});

describe('isRetryableError', () => {
  it('follows ObjectStoreError.retryable and treats CIRCUIT_OPEN as retryable, everything else as permanent', () => {
    expect(isRetryableError(new ObjectStoreError('SlowDown', 'slow'))).toBe(true);
    expect(isRetryableError(new ObjectStoreError('NetworkError', 'reset'))).toBe(true);
    expect(isRetryableError(new ObjectStoreError('AccessDenied', 'no'))).toBe(false);
    expect(isRetryableError(new ObjectStoreError('NoSuchBucket', 'no'))).toBe(false);
    expect(isRetryableError(new TierVecError(ErrorCode.CIRCUIT_OPEN, 'open'))).toBe(true);
    expect(isRetryableError(new TierVecError(ErrorCode.INVALID_KEY, 'bad'))).toBe(false);
    expect(isRetryableError(new TypeError('bug'))).toBe(false);
  });
});

describe('RetryPolicy', () => {
  const options = resolveRetryOptions({ attemptsMax: 4, delayMsBase: 100, delayMsMax: 1_000 });

  it('retries SlowDown with backoff on the clock and succeeds on the third attempt', async () => {
    const clock = new ManualClock(0);
    const policy = new RetryPolicy(options, clock, new Rng(7));
    const script = scripted([new ObjectStoreError('SlowDown', 'a'), new ObjectStoreError('SlowDown', 'b')]);
    const events: RetryEvent[] = [];
    const times: number[] = [];
    const running = policy.run(
      async (n) => {
        times.push(clock.now());
        return script.attempt(n);
      },
      { label: 'k', onRetry: (event) => events.push(event) },
    );
    await clock.runAll();
    const outcome = await running;
    expect(outcome).toEqual({ state: 'succeeded', value: 'ok after 3', attempts: 3 });
    expect(
      events.map((event) => [event.attempt, event.delayMs, (event.error as ObjectStoreError).code]),
    ).toEqual([
      [1, 69, 'SlowDown'],
      [2, 46, 'SlowDown'],
    ]);
    expect(times).toEqual([0, 69, 115]);
  });

  it('does not retry a permanent error and reports it as not retryable', async () => {
    const clock = new ManualClock(0);
    const policy = new RetryPolicy(options, clock, new Rng(7));
    const denied = new ObjectStoreError('AccessDenied', 'denied');
    const script = scripted([denied]);
    const outcome = await policy.run(script.attempt, { label: 'k' });
    expect(outcome).toEqual({ state: 'failed', error: denied, attempts: 1, retryable: false });
    expect(script.calls).toEqual([1]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops at attemptsMax and reports the last error', async () => {
    const clock = new ManualClock(0);
    const policy = new RetryPolicy(options, clock, new Rng(7));
    const errors = [1, 2, 3, 4, 5].map((i) => new ObjectStoreError('InternalError', `boom ${i}`));
    const script = scripted(errors);
    const running = policy.run(script.attempt, { label: 'k' });
    await clock.runAll();
    const outcome = await running;
    expect(outcome).toEqual({ state: 'failed', error: errors[3], attempts: 4, retryable: true });
    expect(script.calls).toEqual([1, 2, 3, 4]);
    expect(clock.now()).toBe(69 + 46 + 200);
  });

  it('rejects with the signal reason when aborted during a backoff wait, without another attempt', async () => {
    const clock = new ManualClock(0);
    const policy = new RetryPolicy(options, clock, new Rng(7));
    const script = scripted([new ObjectStoreError('SlowDown', 'a')]);
    const controller = new AbortController();
    const running = policy.run(script.attempt, { label: 'k', signal: controller.signal });
    await clock.advance(10);
    controller.abort(new Error('caller gave up'));
    await expect(running).rejects.toThrow('caller gave up');
    expect(script.calls).toEqual([1]);
  });
});
