import { describe, expect, it } from 'vitest';
import { exitCodeOfReport } from '../../../src/cli/exit-codes.ts';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode } from '../../../src/errors.ts';
import type { LoadTestConfig } from '../../../src/loadtest/config.ts';
import { FAIL_FAST_DEFAULTS } from '../../../src/loadtest/fail-fast-config.ts';
import type { LoadTarget } from '../../../src/loadtest/load-target.ts';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { driveClock } from './manual-run.ts';

/** A target whose reads take `latencyMs(t)` ms at simulated second t, and fail when `fails(t)`. */
function target(
  clock: ManualClock,
  latencyMs: (tS: number) => number,
  fails: (tS: number) => boolean,
): LoadTarget {
  return {
    name: 'scripted',
    operations: {
      read: async () => {
        const tS = clock.now() / 1000;
        await clock.sleep(latencyMs(tS));
        if (fails(tS)) throw new ReferenceError('store is not defined');
      },
    },
  };
}

function config(criteria: LoadTestConfig['criteria'], durationS = 60): LoadTestConfig {
  return {
    name: 'fail-fast',
    seed: 5,
    durationS,
    warmupS: 2,
    load: { profile: { kind: 'constant', rate: 20 }, inFlightMax: 1_000 },
    mix: { read: 1 },
    criteria,
  };
}

describe('abort_on_fail', () => {
  it('stops the run once a listed criterion fails after the warm-up and its delay, and the run fails (exit 1)', async () => {
    const clock = new ManualClock(0);
    const slow = target(
      clock,
      (t) => (t < 20 ? 2 : 50),
      () => false,
    );
    const report = await driveClock(
      clock,
      runLoadTest(
        config({
          preset: 'none',
          latencyMsP95Max: 10,
          abortOnFail: ['latencyMsP95Max'],
          abortOnFailDelayS: 5,
        }),
        { target: slow, clock },
      ),
    );
    expect(report.stopReason).toBe('aborted');
    expect(report.stoppedBy).toMatchObject({
      kind: 'abort-on-fail',
      criterion: 'latency_ms_p95_max',
      limit: 10,
    });
    // Reads slow down at 20 s; p95 of everything since the warm-up crosses 10 ms a few seconds later.
    expect(report.stoppedBy?.atS).toBeGreaterThan(20);
    expect(report.stoppedBy?.atS).toBeLessThan(30);
    expect(report.durationS).toBeLessThan(30);
    expect(report.passed).toBe(false);
    expect(report.criteria.find((c) => c.name === 'latency_ms_p95_max')?.passed).toBe(false);
    expect(report.warnings.join('\n')).toMatch(/stopped early: latency_ms_p95_max failed after \d+ s/);
    expect(exitCodeOfReport(report)).toBe(1);
  });

  it('does not judge before the delay has passed: early failures that fade are not an abort', async () => {
    // Every read fails for the first 6 s; by 12 s (warm-up 2 s + the default 10 s delay) the error
    // rate since the warm-up is 0.4, under the 0.5 limit.
    const run = async (criteria: LoadTestConfig['criteria']) => {
      const clock = new ManualClock(0);
      const flaky = target(
        clock,
        () => 1,
        (t) => t < 6,
      );
      return driveClock(clock, runLoadTest(config(criteria, 20), { target: flaky, clock }));
    };
    const delayed = await run({ preset: 'none', errorRateMax: 0.5, abortOnFail: ['errorRateMax'] });
    expect(delayed.stopReason).toBe('completed');
    expect(delayed.stoppedBy).toBeUndefined();
    const immediate = await run({
      preset: 'none',
      errorRateMax: 0.5,
      abortOnFail: ['errorRateMax'],
      abortOnFailDelayS: 0,
    });
    expect(immediate.stoppedBy).toMatchObject({ kind: 'abort-on-fail', criterion: 'error_rate_max' });
    expect(immediate.stoppedBy?.atS).toBeLessThan(4);
  });

  it('rejects a criterion without a limit or one not judged live with SCENARIO_INVALID', async () => {
    const clock = new ManualClock(0);
    const ok = target(
      clock,
      () => 1,
      () => false,
    );
    await expect(
      runLoadTest(config({ preset: 'none', abortOnFail: ['latencyMsP99Max'] }), { target: ok, clock }),
    ).rejects.toMatchObject({
      code: ErrorCode.SCENARIO_INVALID,
      message: expect.stringContaining('criteria.abortOnFail[0]'),
    });
    await expect(
      runLoadTest(
        config({
          preset: 'none',
          memoryGrowthMbPerMinMax: 1,
          abortOnFail: ['memoryGrowthMbPerMinMax' as 'errorRateMax'],
        }),
        { target: ok, clock },
      ),
    ).rejects.toMatchObject({ code: ErrorCode.SCENARIO_INVALID });
    await expect(
      runLoadTest(config({ preset: 'none', abortOnAllErrorsS: -1 }), { target: ok, clock }),
    ).rejects.toMatchObject({ code: ErrorCode.SCENARIO_INVALID });
  });
});

/** A target with a fast `read` and a `write` that takes `writeMs(t)` ms at simulated second t. */
function twoOperations(clock: ManualClock, writeMs: (tS: number) => number): LoadTarget {
  return {
    name: 'scripted',
    operations: {
      read: async () => {
        await clock.sleep(2);
      },
      write: async () => {
        await clock.sleep(writeMs(clock.now() / 1000));
      },
    },
  };
}

function twoOperationConfig(criteria: LoadTestConfig['criteria']): LoadTestConfig {
  return { ...config(criteria), mix: { read: 4, write: 1 } };
}

describe('abort_on_fail of one operation or one window', () => {
  it("stops on an operation's own criterion while the whole run's figure still passes", async () => {
    const clock = new ManualClock(0);
    const report = await driveClock(
      clock,
      runLoadTest(
        twoOperationConfig({
          preset: 'none',
          latencyMsP95Max: 100,
          operations: { write: { latencyMsP95Max: 10, abortOnFail: ['latencyMsP95Max'] } },
          abortOnFailDelayS: 5,
        }),
        { target: twoOperations(clock, (t) => (t < 15 ? 2 : 40)), clock },
      ),
    );
    expect(report.stopReason).toBe('aborted');
    expect(report.stoppedBy).toMatchObject({
      kind: 'abort-on-fail',
      criterion: 'latency_ms_p95_max',
      operation: 'write',
      limit: 10,
    });
    expect(report.stoppedBy?.message).toMatch(/latency_ms_p95_max of write failed after \d+ s/);
    expect(report.stoppedBy?.atS).toBeGreaterThan(15);
    expect(report.durationS).toBeLessThan(40);
    expect(exitCodeOfReport(report)).toBe(1);
  });

  it('stops on a window criterion once the window has run for the delay, and not before the window', async () => {
    const clock = new ManualClock(0);
    const criteria: LoadTestConfig['criteria'] = {
      preset: 'none',
      windows: [
        { name: 'late', startS: 30, endS: 50, latencyMsP95Max: 10, abortOnFail: ['latencyMsP95Max'] },
      ],
      abortOnFailDelayS: 3,
    };
    // Writes are slow from 10 s on, but the window starts at 30 s: the stop comes after 33 s.
    const report = await driveClock(
      clock,
      runLoadTest(twoOperationConfig(criteria), {
        target: twoOperations(clock, (t) => (t < 10 ? 2 : 40)),
        clock,
      }),
    );
    expect(report.stoppedBy).toMatchObject({ kind: 'abort-on-fail', window: 'late', limit: 10 });
    expect(report.stoppedBy?.atS).toBeGreaterThanOrEqual(33);
    expect(report.stoppedBy?.atS).toBeLessThan(40);
    expect(report.stoppedBy?.message).toMatch(/in window "late"/);
  });

  it('rejects a window abort_on_fail on service time (a window keeps response times) with SCENARIO_INVALID', async () => {
    const clock = new ManualClock(0);
    await expect(
      runLoadTest(
        twoOperationConfig({
          preset: 'none',
          windows: [{ startS: 5, endS: 10, serviceTimeMsP95Max: 10, abortOnFail: ['serviceTimeMsP95Max'] }],
        }),
        { target: twoOperations(clock, () => 2), clock },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.SCENARIO_INVALID,
      message: expect.stringContaining('criteria.windows[0].abortOnFail[0]'),
    });
    await expect(
      runLoadTest(
        twoOperationConfig({ preset: 'none', operations: { write: { abortOnFail: ['latencyMsP99Max'] } } }),
        { target: twoOperations(clock, () => 2), clock },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.SCENARIO_INVALID,
      message: expect.stringContaining('a limit'),
    });
  });
});

describe('stopping a run whose every operation fails', () => {
  it(`stops after ${FAIL_FAST_DEFAULTS.abortOnAllErrorsS} s by default with the first error's message, as a broken run (exit 3)`, async () => {
    const clock = new ManualClock(0);
    const broken = target(
      clock,
      () => 1,
      () => true,
    );
    const report = await driveClock(
      clock,
      runLoadTest(config({ preset: 'none' }), { target: broken, clock }),
    );
    expect(report.stopReason).toBe('aborted');
    expect(report.stoppedBy?.kind).toBe('all-errors');
    expect(report.stoppedBy?.atS).toBeCloseTo(FAIL_FAST_DEFAULTS.abortOnAllErrorsS, 0);
    expect(report.stoppedBy?.message).toContain(
      'the first error: read: ReferenceError: store is not defined',
    );
    expect(report.durationS).toBeLessThan(12);
    expect(exitCodeOfReport(report)).toBe(3);
  });

  it('keeps going when one operation of the first seconds succeeded, or when switched off with 0', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const mostlyBroken: LoadTarget = {
      name: 'mostly broken',
      operations: {
        read: async () => {
          await clock.sleep(1);
          if (calls++ > 0) throw new Error('down');
        },
      },
    };
    const report = await driveClock(
      clock,
      runLoadTest(config({ preset: 'none' }, 15), { target: mostlyBroken, clock }),
    );
    expect(report.stopReason).toBe('completed');
    const clock2 = new ManualClock(0);
    const broken = target(
      clock2,
      () => 1,
      () => true,
    );
    const off = await driveClock(
      clock2,
      runLoadTest(config({ preset: 'none', abortOnAllErrorsS: 0 }, 15), { target: broken, clock: clock2 }),
    );
    expect(off.stopReason).toBe('completed');
    expect(off.stoppedBy).toBeUndefined();
  });
});
