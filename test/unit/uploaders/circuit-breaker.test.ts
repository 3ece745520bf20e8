import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode, isTierVecError, TierVecError } from '../../../src/errors.ts';
import {
  CircuitBreaker,
  type CircuitBreakerState,
  type CircuitPermit,
  resolveCircuitBreakerOptions,
} from '../../../src/uploaders/circuit-breaker.ts';
import { CIRCUIT_BREAKER_DEFAULTS } from '../../../src/uploaders/defaults.ts';

function permit(breaker: CircuitBreaker): CircuitPermit {
  const result = breaker.acquire();
  if (result instanceof TierVecError) throw result;
  return result;
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) breaker.recordFailure(permit(breaker));
}

describe('resolveCircuitBreakerOptions', () => {
  it('spreads the defaults first and rejects bad options with INVALID_ARGUMENT', () => {
    expect(resolveCircuitBreakerOptions(undefined)).toEqual(CIRCUIT_BREAKER_DEFAULTS);
    for (const bad of [
      { failuresMax: 0 },
      { cooldownMs: -1 },
      { failureRatioMax: 1 },
      { windowCalls: 5, windowCallsMin: 6 },
    ]) {
      let error: unknown;
      try {
        resolveCircuitBreakerOptions(bad);
      } catch (caught) {
        error = caught;
      }
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), JSON.stringify(bad)).toBe(true);
      expect((error as Error).message).toMatch(/^Expected `circuitBreaker\.\w+` to be/);
    }
  });

  it('rejects an unknown option and anything but an object with INVALID_ARGUMENT', () => {
    for (const [bad, message] of [
      [{ failureMax: 3 }, 'Unknown option `circuitBreaker.failureMax`'],
      [[], 'Expected `circuitBreaker` to be an object'],
    ] as const) {
      let error: unknown;
      try {
        resolveCircuitBreakerOptions(bad);
      } catch (caught) {
        error = caught;
      }
      expect(isTierVecError(error, ErrorCode.INVALID_ARGUMENT), message).toBe(true);
      expect((error as Error).message).toContain(message);
    }
  });
});

describe('CircuitBreaker', () => {
  const options = resolveCircuitBreakerOptions({ failuresMax: 3, cooldownMs: 1_000 });

  it('opens after failuresMax consecutive failures, and a success in between resets the count', () => {
    const breaker = new CircuitBreaker(options, new ManualClock(0));
    fail(breaker, 2);
    breaker.recordSuccess(permit(breaker));
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    fail(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.stats()).toEqual({ state: 'open', opened: 1, rejected: 0 });
  });

  it('fails fast with CIRCUIT_OPEN while open, naming the time left', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(options, clock);
    fail(breaker, 3);
    await clock.advance(400);
    const refused = breaker.acquire();
    expect(isTierVecError(refused, ErrorCode.CIRCUIT_OPEN)).toBe(true);
    expect((refused as TierVecError).details).toEqual({ state: 'open', retryAfterMs: 600 });
    expect(breaker.stats().rejected).toBe(1);
  });

  it('lets exactly one probe through after cooldownMs on the clock; its success closes the circuit', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(options, clock);
    const transitions: [CircuitBreakerState, CircuitBreakerState][] = [];
    breaker.onStateChange((state, previous) => transitions.push([previous, state]));
    fail(breaker, 3);
    await clock.advance(999);
    expect(breaker.acquire()).toBeInstanceOf(TierVecError);
    await clock.advance(1);
    const probe = permit(breaker);
    expect(probe.probe).toBe(true);
    expect(breaker.state).toBe('half-open');
    const second = breaker.acquire();
    expect(isTierVecError(second, ErrorCode.CIRCUIT_OPEN)).toBe(true);
    expect((second as Error).message).toContain('probe');
    breaker.recordSuccess(probe);
    expect(breaker.state).toBe('closed');
    expect(transitions).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
    // Closed again with a fresh count: it takes failuresMax new failures to open.
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('reopens for another cooldown when the probe fails', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(options, clock);
    fail(breaker, 3);
    await clock.advance(1_000);
    breaker.recordFailure(permit(breaker));
    expect(breaker.state).toBe('open');
    expect(breaker.stats().opened).toBe(2);
    await clock.advance(999);
    expect(breaker.acquire()).toBeInstanceOf(TierVecError);
    await clock.advance(1);
    expect(permit(breaker).probe).toBe(true);
  });

  it('passes the probe turn on when the probe is released without an answer', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(options, clock);
    fail(breaker, 3);
    await clock.advance(1_000);
    breaker.release(permit(breaker));
    expect(breaker.state).toBe('open');
    expect(permit(breaker).probe).toBe(true);
  });

  it('ignores the late answers of calls admitted before the circuit opened', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(options, clock);
    const early = permit(breaker);
    fail(breaker, 3);
    breaker.recordSuccess(early);
    expect(breaker.state).toBe('open');
  });

  it('also opens on a failure ratio over the window when failureRatioMax is set', () => {
    const ratio = resolveCircuitBreakerOptions({
      failuresMax: 100,
      failureRatioMax: 0.5,
      windowCalls: 10,
      windowCallsMin: 10,
    });
    const breaker = new CircuitBreaker(ratio, new ManualClock(0));
    // Alternating success and failure: 5 of 10 is not more than half.
    for (let i = 0; i < 10; i++) {
      const p = permit(breaker);
      if (i % 2 === 0) breaker.recordFailure(p);
      else breaker.recordSuccess(p);
    }
    expect(breaker.state).toBe('closed');
    // The window slides: the next failure replaces the oldest sample (a failure): still 5 of 10.
    breaker.recordFailure(permit(breaker));
    expect(breaker.state).toBe('closed');
    // The one after replaces a success: 6 of 10 failed, more than half.
    breaker.recordFailure(permit(breaker));
    expect(breaker.state).toBe('open');
  });
});
