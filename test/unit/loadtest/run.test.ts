import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode, TierVecError } from '../../../src/errors.ts';
import type { LoadTestConfig } from '../../../src/loadtest/config.ts';
import type { LoadTarget, SetupContext } from '../../../src/loadtest/load-target.ts';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { createNoopTarget, NOOP_TARGET_NAME } from '../../../src/loadtest/targets/noop.ts';
import { driveClock } from './manual-run.ts';

const config: LoadTestConfig = {
  name: 'hooks',
  seed: 99,
  durationS: 2,
  load: { profile: { kind: 'constant', rate: 50 } },
  mix: { read: 1 },
  criteria: { preset: 'none' },
};

describe('runLoadTest and the target hooks', () => {
  it('passes setup the seed and operations, reports what setup returns, adds verify checks, tears down', async () => {
    const clock = new ManualClock(0);
    const calls: string[] = [];
    let setupContext: SetupContext | undefined;
    const target: LoadTarget = {
      name: 'hooked',
      operations: { read: async () => clock.sleep(2) },
      setup: async (context) => {
        calls.push('setup');
        setupContext = context;
        return { vectors: 1_000, preloadMs: 12 };
      },
      verify: async () => {
        calls.push('verify');
        return [
          {
            name: 'acknowledged_writes_lost_max',
            description: 'no acknowledged write lost',
            limit: 0,
            actual: 1,
            passed: false,
          },
        ];
      },
      teardown: async () => {
        calls.push('teardown');
      },
    };
    const report = await driveClock(clock, runLoadTest(config, { target, clock }));
    expect(calls).toEqual(['setup', 'verify', 'teardown']);
    expect(setupContext?.seed).toBe(99);
    expect(setupContext?.operations).toEqual(['read']);
    expect(report.target).toEqual({ name: 'hooked', info: { vectors: 1_000, preloadMs: 12 } });
    expect(report.criteria).toContainEqual(
      expect.objectContaining({ name: 'acknowledged_writes_lost_max', passed: false, source: 'target' }),
    );
    expect(report.passed).toBe(false);
  });

  it('tears the target down when setup fails, and rejects with the setup error', async () => {
    let teardowns = 0;
    const target: LoadTarget = {
      name: 'broken',
      operations: { read: async () => {} },
      setup: async () => {
        throw new TierVecError(ErrorCode.OBJECT_STORE, 'bucket unreachable');
      },
      teardown: async () => {
        teardowns++;
      },
    };
    await expect(runLoadTest(config, { target })).rejects.toMatchObject({ code: ErrorCode.OBJECT_STORE });
    expect(teardowns).toBe(1);
  });

  it('replays the same operation sequence for the same seed', async () => {
    const sequence = async (seed: number) => {
      const clock = new ManualClock(0);
      const seen: string[] = [];
      const target: LoadTarget = {
        name: 'recording',
        operations: {
          a: async (ctx) => void seen.push(`a${ctx.index}:${ctx.rng.nextInt(100)}`),
          b: async (ctx) => void seen.push(`b${ctx.index}:${ctx.rng.nextInt(100)}`),
        },
      };
      await driveClock(
        clock,
        runLoadTest(
          {
            ...config,
            seed,
            mix: { a: 1, b: 1 },
            load: { arrival: 'poisson', profile: { kind: 'constant', rate: 50 } },
          },
          { target, clock },
        ),
      );
      return seen;
    };
    const first = await sequence(5);
    expect(first.length).toBeGreaterThan(50);
    expect(await sequence(5)).toEqual(first);
    expect(await sequence(6)).not.toEqual(first);
  });

  it('names the calibration target as such in the report', async () => {
    const clock = new ManualClock(0);
    const report = await driveClock(
      clock,
      runLoadTest({ ...config, mix: { noop: 1 } }, { target: createNoopTarget(), clock }),
    );
    expect(report.target.name).toBe(NOOP_TARGET_NAME);
    expect(report.target.name).toContain('calibration');
    expect(report.summary.operations).toBe(100);
    expect(report.summary.latencyMs.max).toBe(0);
    for (const operations of [[], ['']]) {
      expect(() => createNoopTarget({ operations })).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
      );
    }
  });

  it('keeps running when onProgress throws, and says so in the report', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const report = await driveClock(
      clock,
      runLoadTest(
        { ...config, durationS: 3, mix: { noop: 1 } },
        {
          target: createNoopTarget(),
          clock,
          onProgress: () => {
            calls++;
            throw new Error('terminal gone');
          },
        },
      ),
    );
    expect(calls).toBe(1);
    expect(report.summary.operations).toBe(150);
    expect(report.warnings).toContainEqual(expect.stringContaining('terminal gone'));
  });
});
