import { describe, expect, it } from 'vitest';
import { CRITERIA_PRESETS } from '../../../src/loadtest/criteria.ts';
import { loadScenario } from '../../../src/loadtest/scenario/load-scenario.ts';
import {
  CAPACITY_LIMIT_KEYS,
  SHORT_MODE_LATENCY_FACTOR,
  shortModeCriteria,
} from '../../../src/loadtest/short-mode-criteria.ts';

describe('shortModeCriteria', () => {
  it('spells out the preset, drops its capacity limits and scales its latency limit', () => {
    const criteria = shortModeCriteria({ preset: 'production' });
    expect(criteria.preset).toBe('none');
    for (const key of CAPACITY_LIMIT_KEYS) expect(criteria, key).not.toHaveProperty(key);
    expect(criteria.latencyMsP95Max).toBe(
      CRITERIA_PRESETS.production.latencyMsP95Max * SHORT_MODE_LATENCY_FACTOR,
    );
    expect(criteria.errorRateMax).toBe(CRITERIA_PRESETS.production.errorRateMax);
    expect(criteria.achievedRatioMin).toBe(CRITERIA_PRESETS.production.achievedRatioMin);
  });

  it('scales run, per-operation and window latency limits and keeps error budgets and recovery', () => {
    const criteria = shortModeCriteria({
      preset: 'none',
      latencyMsP99Max: 100,
      serviceTimeMsP95Max: 10,
      errorRateMax: 0.01,
      recoveryFactorMax: 3,
      cpuPercentAvgMax: 50,
      operations: { search: { latencyMsP95Max: 20, errorRateMax: 0 } },
      windows: [{ during: 'spike', latencyMsP95Max: 100 }],
    });
    expect(criteria).toEqual({
      preset: 'none',
      latencyMsP99Max: 100 * SHORT_MODE_LATENCY_FACTOR,
      serviceTimeMsP95Max: 10 * SHORT_MODE_LATENCY_FACTOR,
      errorRateMax: 0.01,
      recoveryFactorMax: 3,
      operations: { search: { latencyMsP95Max: 20 * SHORT_MODE_LATENCY_FACTOR, errorRateMax: 0 } },
      windows: [{ during: 'spike', latencyMsP95Max: 100 * SHORT_MODE_LATENCY_FACTOR }],
    });
  });

  it('applies to short scenario runs only: full runs keep the file’s limits', async () => {
    const short = (await loadScenario('large_dataset', { mode: 'short' })).config;
    const full = (await loadScenario('large_dataset', { mode: 'full' })).config;
    expect(short.criteria).not.toHaveProperty('cpuPercentAvgMax');
    expect(short.criteria?.latencyMsP95Max).toBe(1000 * SHORT_MODE_LATENCY_FACTOR);
    expect(full.criteria).toMatchObject({ preset: 'none', latencyMsP95Max: 1000 });
  });
});
