import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import {
  LOADTEST_DEFAULTS,
  type LoadTestConfig,
  resolveLoadTestConfig,
} from '../../../src/loadtest/config.ts';
import type { LoadTarget } from '../../../src/loadtest/load-target.ts';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { createNoopTarget } from '../../../src/loadtest/targets/noop.ts';

const valid: LoadTestConfig = {
  name: 'baseline',
  seed: 42,
  durationS: 20,
  warmupS: 2,
  load: {
    model: 'open',
    arrival: 'uniform',
    inFlightMax: 10,
    onSaturation: 'queue',
    profile: { kind: 'constant', rate: 100 },
  },
  mix: { search: 70, insert: 20, metadata: 10 },
  criteria: { preset: 'production', latencyMsP95Max: 25 },
};

function expectField(config: unknown, field: string): void {
  try {
    resolveLoadTestConfig(config as LoadTestConfig);
  } catch (error) {
    expect(isTierVecError(error, ErrorCode.SCENARIO_INVALID)).toBe(true);
    expect((error as { details?: { field?: string } }).details?.field).toBe(field);
    expect((error as Error).message).toContain(field);
    return;
  }
  throw new Error(`expected SCENARIO_INVALID naming ${field}`);
}

describe('load-test configuration', () => {
  it('resolves the scenario shape with defaults and normalized mix shares', () => {
    const resolved = resolveLoadTestConfig({
      name: 'x',
      durationS: 10,
      seed: 1,
      load: { profile: { kind: 'constant', rate: 5 } },
      mix: { a: 3, b: 1, c: 0 },
    });
    expect(resolved.warmupS).toBe(LOADTEST_DEFAULTS.warmupS);
    expect(resolved.gracePeriodS).toBe(LOADTEST_DEFAULTS.gracePeriodS);
    const group = resolved.groups[0];
    expect(group).toMatchObject({
      name: 'default',
      model: 'open',
      arrival: 'uniform',
      inFlightMax: LOADTEST_DEFAULTS.inFlightMax,
      onSaturation: 'queue',
      queueLengthMax: LOADTEST_DEFAULTS.queueLengthMax,
      mix: { a: 0.75, b: 0.25 },
      operations: ['a', 'b'],
    });
    expect(resolved.criteria.preset).toBe('development');
    expect(resolveLoadTestConfig(valid).criteria.limits.latencyMsP95Max).toBe(25);
  });

  it('picks and keeps a random seed when none is given', () => {
    const { seed: _ignored, ...unseeded } = valid;
    const seed = resolveLoadTestConfig(unseeded).seed;
    expect(Number.isInteger(seed)).toBe(true);
    expect(seed).toBeGreaterThanOrEqual(0);
  });

  it('rejects every bad field with SCENARIO_INVALID naming it', () => {
    expectField({ ...valid, name: '' }, 'name');
    expectField({ ...valid, durationS: 0 }, 'durationS');
    expectField({ ...valid, warmupS: 20 }, 'warmupS');
    expectField({ ...valid, seed: -1 }, 'seed');
    expectField({ ...valid, rate: 5 }, 'rate');
    expectField({ ...valid, mix: undefined }, 'mix');
    expectField({ ...valid, mix: { search: 0 } }, 'mix');
    expectField({ ...valid, mix: { search: -1 } }, 'mix.search');
    expectField({ ...valid, load: { ...valid.load, model: 'batch' } }, 'load.model');
    expectField({ ...valid, load: { ...valid.load, inFlightMax: 0 } }, 'load.inFlightMax');
    expectField({ ...valid, load: { ...valid.load, inFlightMax: 2.5 } }, 'load.inFlightMax');
    expectField({ ...valid, load: { ...valid.load, onSaturation: 'block' } }, 'load.onSaturation');
    expectField({ ...valid, load: { ...valid.load, profile: undefined } }, 'load.profile');
    expectField(
      { ...valid, load: { ...valid.load, profile: { kind: 'constant', rate: -3 } } },
      'load.profile.rate',
    );
    expectField({ ...valid, load: { ...valid.load, thinkTimeMs: 10 } }, 'load.thinkTimeMs');
    expectField(
      { ...valid, load: { model: 'closed', profile: { kind: 'constant', rate: 1 } } },
      'load.profile',
    );
    expectField(
      { ...valid, load: { ...valid.load, onSaturation: 'drop', queueLengthMax: 5 } },
      'load.queueLengthMax',
    );
    expectField({ ...valid, load: { ...valid.load, queueSize: 5 } }, 'load.queueSize');
    expectField(
      {
        ...valid,
        load: {
          ...valid.load,
          profile: { kind: 'spike', rate: 100, spikeRate: 500, startFraction: 0.9, endFraction: 1.2 },
        },
      },
      'load.profile.endFraction',
    );
    expectField(
      { ...valid, criteria: { operations: { delete: { errorRateMax: 0.1 } } } },
      'criteria.operations.delete',
    );
    expectField({ ...valid, groups: [] }, 'groups');
    expectField(
      {
        name: 'g',
        durationS: 5,
        groups: [
          { name: 'a', mix: { x: 1 }, profile: { kind: 'constant', rate: 1 } },
          { name: 'a', mix: { x: 1 }, profile: { kind: 'constant', rate: 1 } },
        ],
      },
      'groups[1].name',
    );
    expectField({ name: 'g', durationS: 5, groups: [{ name: 'a', mix: { x: 1 } }] }, 'groups[0].profile');
  });

  it('refuses a mix naming an operation the target lacks, before the target is set up', async () => {
    let setups = 0;
    const target: LoadTarget = {
      ...createNoopTarget({ operations: ['search', 'insert'] }),
      setup: async () => {
        setups++;
        return undefined;
      },
    };
    await expect(runLoadTest(valid, { target })).rejects.toSatisfy(
      (error) =>
        isTierVecError(error, ErrorCode.SCENARIO_INVALID) &&
        (error.details?.field as string) === 'mix.metadata' &&
        error.message.includes('search, insert'),
    );
    expect(setups).toBe(0);
  });

  it('refuses something that is not a LoadTarget with INVALID_ARGUMENT', async () => {
    await expect(
      runLoadTest(valid, { target: { name: 'x', operations: { search: 3 } } as unknown as LoadTarget }),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
  });
});
