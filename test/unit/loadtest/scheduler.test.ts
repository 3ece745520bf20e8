import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode, TierVecError } from '../../../src/errors.ts';
import type { LoadTestConfig } from '../../../src/loadtest/config.ts';
import type { LoadTarget, OperationContext } from '../../../src/loadtest/load-target.ts';
import { assertReport } from '../../../src/loadtest/report/schema.ts';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { driveClock } from './manual-run.ts';

/** A target whose one operation sleeps `durationMs` on the clock and tracks its own concurrency. */
function sleepingTarget(clock: ManualClock, durationMs: (ctx: OperationContext) => number) {
  const seen = { running: 0, runningMax: 0, started: 0, order: [] as number[], aborted: 0 };
  const target: LoadTarget = {
    name: 'sleeping',
    operations: {
      work: async (ctx) => {
        seen.running++;
        seen.started++;
        seen.order.push(ctx.index);
        seen.runningMax = Math.max(seen.runningMax, seen.running);
        try {
          await clock.sleep(durationMs(ctx), ctx.signal);
        } catch (error) {
          seen.aborted++;
          throw error;
        } finally {
          seen.running--;
        }
      },
    },
  };
  return { target, seen };
}

const base = (overrides: Partial<LoadTestConfig>): LoadTestConfig => ({
  name: 'scheduler',
  seed: 1,
  durationS: 1,
  gracePeriodS: 30,
  mix: { work: 1 },
  criteria: { preset: 'none' },
  ...overrides,
});

describe('open-model scheduler', () => {
  it('never runs more than inFlightMax at once, and queued arrivals keep their intended start', async () => {
    const clock = new ManualClock(0);
    const { target, seen } = sleepingTarget(clock, () => 25);
    let inFlightViolations = 0;
    const checked: LoadTarget = {
      ...target,
      operations: {
        work: async (ctx) => {
          if (seen.running >= 3) inFlightViolations++;
          return target.operations.work?.(ctx);
        },
      },
    };
    const report = await driveClock(
      clock,
      runLoadTest(base({ load: { profile: { kind: 'constant', rate: 200 }, inFlightMax: 3 } }), {
        target: checked,
        clock,
      }),
    );
    expect(inFlightViolations).toBe(0);
    expect(seen.runningMax).toBe(3);
    // 200 arrivals, 3 at a time for 25 ms each: capacity 120/s, so a queue builds and every
    // operation still runs (queue mode), in arrival order.
    expect(report.summary.operations).toBe(200);
    expect(report.summary.dropped).toBe(0);
    expect(seen.order).toEqual([...Array(200).keys()]);
    expect(report.scheduler.queuedMax).toBeGreaterThan(50);
    // The last arrival (intended at 997.5 ms) starts after 199 others finished 3 at a time:
    // its response time includes the wait, its service time does not.
    expect(report.operations.work?.serviceTimeMs.max).toBeCloseTo(25, 1);
    expect(report.summary.latencyMs.max).toBeGreaterThan(600);
  });

  it('drops and counts arrivals beyond inFlightMax with onSaturation "drop"', async () => {
    const clock = new ManualClock(0);
    const { target, seen } = sleepingTarget(clock, () => 25);
    const report = await driveClock(
      clock,
      runLoadTest(
        base({ load: { profile: { kind: 'constant', rate: 100 }, inFlightMax: 2, onSaturation: 'drop' } }),
        {
          target,
          clock,
        },
      ),
    );
    // Arrivals every 10 ms (at 5, 15, 25, …), each running 25 ms, two slots: the arrival at 25 ms finds
    // both busy (5→30, 15→40), the ones at 35 and 45 find a free slot, and so on: every third is dropped.
    expect(seen.runningMax).toBe(2);
    expect(report.summary.dropped).toBe(33);
    expect(report.summary.operations).toBe(67);
    expect(report.operations.work?.dropped).toBe(33);
    expect(report.summary.latencyMs.max).toBeCloseTo(25, 1);
    expect(report.timeline.reduce((sum, e) => sum + e.dropped, 0)).toBe(33);
  });

  it('bounds the queue at queueLengthMax and drops what does not fit', async () => {
    const clock = new ManualClock(0);
    const { target } = sleepingTarget(clock, () => 1_000);
    const report = await driveClock(
      clock,
      runLoadTest(
        base({ load: { profile: { kind: 'constant', rate: 1_000 }, inFlightMax: 2, queueLengthMax: 5 } }),
        {
          target,
          clock,
        },
      ),
    );
    // The first two arrivals run for a second; the next five wait; the other 993 find the queue full.
    expect(report.scheduler.queuedMax).toBe(5);
    expect(report.summary.dropped).toBe(993);
    expect(report.summary.operations).toBe(7);
    // Two at a time, a second each: the last queued operation (intended at 6.5 ms) starts at
    // 3000.5 ms and ends at 4000.5 ms; its response time counts the whole wait.
    expect(report.summary.latencyMs.max).toBeCloseTo(3994, -1);
    expect(report.summary.serviceTimeMs.max).toBeCloseTo(1000, -1);
  });

  it('cuts off what is still running or queued when the grace period ends, and aborts its signal', async () => {
    const clock = new ManualClock(0);
    const { target, seen } = sleepingTarget(clock, () => 10_000);
    const report = await driveClock(
      clock,
      runLoadTest(
        base({ gracePeriodS: 1, load: { profile: { kind: 'constant', rate: 10 }, inFlightMax: 8 } }),
        {
          target,
          clock,
        },
      ),
    );
    // Ten arrivals (50, 150, … 950 ms): eight run, two wait; at 2 s all ten are cut off.
    expect(report.summary.cutOff).toBe(10);
    expect(report.summary.errors).toBe(10);
    expect(report.operations.work?.errorsByCode).toEqual({ CUT_OFF: 10 });
    expect(seen.aborted).toBe(8);
    // Their latency is the time they had waited by the cut-off (a floor), not 0.
    expect(report.summary.latencyMs.max).toBeCloseTo(1950, -1);
    expect(report.summary.latencyMs.p50).toBeGreaterThan(1000);
    expect(report.warnings.some((w) => w.includes('grace period'))).toBe(true);
  });

  it('stops early on abort and still returns a valid partial report that does not pass', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const { target } = sleepingTarget(clock, () => 5);
    clock.setTimeout(() => controller.abort(), 500);
    const report = await driveClock(
      clock,
      runLoadTest(base({ durationS: 2, load: { profile: { kind: 'constant', rate: 100 } } }), {
        target,
        clock,
        signal: controller.signal,
      }),
    );
    assertReport(report);
    expect(report.stopReason).toBe('aborted');
    expect(report.passed).toBe(false);
    expect(report.durationS).toBeCloseTo(0.5, 3);
    expect(report.summary.operations).toBe(50);
    expect(report.summary.throughputOpsPerS).toBeCloseTo(100, 0);
  });

  it('rejects with the signal reason when aborted before the start, without touching the target', async () => {
    const controller = new AbortController();
    controller.abort(new TierVecError(ErrorCode.ABORTED, 'stopped by the user'));
    let setups = 0;
    const target: LoadTarget = {
      name: 't',
      operations: { work: async () => {} },
      setup: async () => {
        setups++;
        return undefined;
      },
    };
    await expect(
      runLoadTest(base({ load: { profile: { kind: 'constant', rate: 10 } } }), {
        target,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    expect(setups).toBe(0);
  });

  it('measures failed operations with their real latency and counts them by code', async () => {
    const clock = new ManualClock(0);
    const target: LoadTarget = {
      name: 'failing',
      operations: {
        work: async (ctx) => {
          await clock.sleep(7);
          if (ctx.index % 4 === 0) throw new TierVecError(ErrorCode.QUOTA_EXCEEDED, 'full');
          if (ctx.index % 4 === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        },
      },
    };
    const report = await driveClock(
      clock,
      runLoadTest(base({ load: { profile: { kind: 'constant', rate: 100 } } }), { target, clock }),
    );
    expect(report.operations.work?.errorsByCode).toEqual({ QUOTA_EXCEEDED: 25, ECONNRESET: 25 });
    expect(report.summary.errorRate).toBe(0.5);
    expect(report.operations.work?.errorLatencyMs.p50).toBeCloseTo(7, 1);
    expect(report.operations.work?.errorLatencyMs.max).toBeCloseTo(7, 1);
  });

  it("counts errors by the target's own classification when it gives one, by code otherwise", async () => {
    const clock = new ManualClock(0);
    const target: LoadTarget = {
      name: 'classifying',
      operations: {
        work: async (ctx) => {
          await clock.sleep(7);
          if (ctx.index % 4 === 0) throw new TierVecError(ErrorCode.OBJECT_STORE, 'slow down');
          if (ctx.index % 4 === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        },
      },
      classifyError: (error) =>
        error instanceof TierVecError && error.code === ErrorCode.OBJECT_STORE
          ? 'OBJECT_STORE/SlowDown'
          : undefined,
    };
    const report = await driveClock(
      clock,
      runLoadTest(base({ load: { profile: { kind: 'constant', rate: 100 } } }), { target, clock }),
    );
    expect(report.operations.work?.errorsByCode).toEqual({ 'OBJECT_STORE/SlowDown': 25, ECONNRESET: 25 });
  });

  it('rejects a target whose classifyError is not a function', async () => {
    const target = { name: 'broken', operations: { work: async () => {} }, classifyError: 'nope' };
    await expect(
      runLoadTest(base({ load: { profile: { kind: 'constant', rate: 10 } } }), {
        target: target as unknown as LoadTarget,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('excludes the warm-up from the summary but not from the timeline', async () => {
    const clock = new ManualClock(0);
    const { target } = sleepingTarget(clock, () => 1);
    const report = await driveClock(
      clock,
      runLoadTest(base({ durationS: 3, warmupS: 1, load: { profile: { kind: 'constant', rate: 100 } } }), {
        target,
        clock,
      }),
    );
    expect(report.summary.operations).toBe(200);
    expect(report.timeline.reduce((sum, e) => sum + e.count, 0)).toBe(300);
    expect(report.summary.throughputOpsPerS).toBeCloseTo(100, 0);
    expect(report.summary.achievedRatio).toBeCloseTo(1, 2);
  });
});

describe('closed-model scheduler', () => {
  it('runs exactly N clients, each one operation at a time with its think time', async () => {
    const clock = new ManualClock(0);
    const { target, seen } = sleepingTarget(clock, () => 10);
    const report = await driveClock(
      clock,
      runLoadTest(base({ load: { model: 'closed', inFlightMax: 3, thinkTimeMs: 5 } }), { target, clock }),
    );
    expect(seen.runningMax).toBe(3);
    // Each client starts at 0, 15, 30, … 990 ms: 67 operations per client.
    expect(report.summary.operations).toBe(201);
    expect(report.summary.latencyMs.max).toBeCloseTo(10, 1);
    expect(report.summary.targetOpsPerS).toBeNull();
    expect(report.summary.achievedRatio).toBeNull();
    expect(report.model).toBe('closed');
  });

  it('runs open and closed load groups side by side and reports each', async () => {
    const clock = new ManualClock(0);
    const { target } = sleepingTarget(clock, () => 10);
    const report = await driveClock(
      clock,
      runLoadTest(
        {
          name: 'groups',
          seed: 3,
          durationS: 1,
          criteria: { preset: 'none' },
          groups: [
            { name: 'readers', model: 'closed', inFlightMax: 2, mix: { work: 1 } },
            { name: 'writers', profile: { kind: 'constant', rate: 50 }, mix: { work: 1 } },
          ],
        },
        { target, clock },
      ),
    );
    expect(report.model).toBe('mixed');
    expect(report.groups.readers?.operations).toBe(200);
    expect(report.groups.writers?.operations).toBe(50);
    expect(report.summary.operations).toBe(250);
    expect(report.groups.writers?.achievedRatio).toBeCloseTo(1, 2);
    expect(report.summary.targetOpsPerS).toBe(50);
  });
});
