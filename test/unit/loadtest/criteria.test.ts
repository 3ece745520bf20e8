import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { CRITERIA_PRESETS, criterionName, resolveCriteria } from '../../../src/loadtest/criteria.ts';
import {
  evaluateCriteria,
  worstWindowRatio,
  worstWindowThroughput,
} from '../../../src/loadtest/evaluate-criteria.ts';
import type { LoadTestReport, TimelineEntry } from '../../../src/loadtest/report/schema.ts';
import { manualRun } from './fixtures.ts';

const context = { durationS: 100, warmupS: 10, spike: { startS: 20, endS: 53 } };

function expectScenarioError(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(isTierVecError(error, ErrorCode.SCENARIO_INVALID)).toBe(true);
    expect((error as { details?: { field?: string } }).details?.field).toBe(field);
    return;
  }
  throw new Error(`expected SCENARIO_INVALID naming ${field}`);
}

let base: LoadTestReport;
beforeAll(async () => {
  base = (await manualRun({ config: { durationS: 3, warmupS: 1 } })).report;
});

/** A copy of the base report with its figures replaced. */
function withFigures(change: (report: LoadTestReport) => void): LoadTestReport {
  const report = structuredClone(base);
  change(report);
  return report;
}

describe('criteria presets and overrides', () => {
  it('production holds the architecture page values; development is more relaxed on every one', () => {
    expect(resolveCriteria({ preset: 'production' }, context).limits).toEqual({
      latencyMsP95Max: 25,
      errorRateMax: 0.001,
      memoryGrowthMbPerMinMax: 10,
      cpuPercentAvgMax: 70,
      achievedRatioMin: 0.95,
    });
    const dev = CRITERIA_PRESETS.development;
    const prod = CRITERIA_PRESETS.production;
    expect(dev.latencyMsP95Max).toBeGreaterThan(prod.latencyMsP95Max);
    expect(dev.errorRateMax).toBeGreaterThan(prod.errorRateMax);
    expect(dev.memoryGrowthMbPerMinMax).toBeGreaterThan(prod.memoryGrowthMbPerMinMax);
    expect(dev.cpuPercentAvgMax).toBeGreaterThan(prod.cpuPercentAvgMax);
    expect(dev.achievedRatioMin).toBeLessThan(prod.achievedRatioMin);
  });

  it('overrides a preset key by key, keeps the rest, and defaults to development', () => {
    const resolved = resolveCriteria(
      { preset: 'production', latencyMsP95Max: 50, latencyMsP99Max: 100 },
      context,
    );
    expect(resolved.limits).toEqual({
      ...CRITERIA_PRESETS.production,
      latencyMsP95Max: 50,
      latencyMsP99Max: 100,
    });
    expect(resolveCriteria(undefined, context).limits).toEqual(CRITERIA_PRESETS.development);
    expect(resolveCriteria({ preset: 'none', errorRateMax: 0.5 }, context).limits).toEqual({
      errorRateMax: 0.5,
    });
  });

  it('resolves windows from fractions of the run or from the spike, clipped to the end of the warm-up', () => {
    const resolved = resolveCriteria(
      {
        windows: [
          { during: 'spike', latencyMsP95Max: 100 },
          { name: 'early', startFraction: 0, endFraction: 0.3, operation: 'search', errorRateMax: 0.1 },
        ],
        recoveryFactorMax: 1.5,
        recoveryDelayFraction: 0.05,
      },
      context,
    );
    expect(resolved.windows).toEqual([
      { name: 'spike', startS: 20, endS: 53, operation: null, limits: { latencyMsP95Max: 100 } },
      { name: 'early', startS: 10, endS: 30, operation: 'search', limits: { errorRateMax: 0.1 } },
    ]);
    expect(resolved.recovery).toEqual({
      factorMax: 1.5,
      before: { name: 'before spike', startS: 10, endS: 20 },
      after: { name: 'after spike', startS: 58, endS: 100 },
    });
  });

  it('rejects bad criteria with SCENARIO_INVALID naming the key', () => {
    expectScenarioError(() => resolveCriteria({ latencyP95: 3 }, context), 'criteria.latencyP95');
    expectScenarioError(() => resolveCriteria({ preset: 'strict' }, context), 'criteria.preset');
    expectScenarioError(() => resolveCriteria({ errorRateMax: -1 }, context), 'criteria.errorRateMax');
    expectScenarioError(
      () => resolveCriteria({ recoveryFactorMax: 2 }, { ...context, spike: undefined }),
      'criteria.recoveryFactorMax',
    );
    expectScenarioError(
      () => resolveCriteria({ windows: [{ during: 'spike' }] }, { ...context, spike: undefined }),
      'criteria.windows[0].during',
    );
    expectScenarioError(
      () =>
        resolveCriteria(
          {
            windows: [
              { name: 'a', startS: 1, endS: 2 },
              { name: 'a', startS: 3, endS: 4 },
            ],
          },
          context,
        ),
      'criteria.windows[1].name',
    );
    expectScenarioError(
      () => resolveCriteria({ windows: [{ startS: 5, endS: 2 }] }, context),
      'criteria.windows[0].endS',
    );
    expectScenarioError(
      () => resolveCriteria({ operations: { search: { cpuPercentAvgMax: 3 } } }, context),
      'criteria.operations.search.cpuPercentAvgMax',
    );
  });

  it('spells criterion names as scenario files do', () => {
    expect(criterionName('latencyMsP95Max')).toBe('latency_ms_p95_max');
    expect(criterionName('memoryGrowthMbPerMinMax')).toBe('memory_growth_mb_per_min_max');
  });
});

describe('criteria evaluation', () => {
  const find = (
    results: ReturnType<typeof evaluateCriteria>,
    name: string,
    operation: string | null = null,
  ) => results.find((r) => r.name === name && r.operation === operation);

  it('passes and fails latency, error-rate and throughput limits on the measured figures, with limit and actual', () => {
    const report = withFigures((r) => {
      r.summary.latencyMs.p95 = 30;
      r.summary.errors = 3;
      r.summary.operations = 1_000;
      r.summary.throughputOpsPerS = 95;
      r.summary.achievedRatio = 0.95;
    });
    const criteria = resolveCriteria(
      {
        preset: 'none',
        latencyMsP95Max: 25,
        latencyMsP99Max: 1_000,
        errorRateMax: 0.001,
        throughputOpsPerSMin: 90,
        achievedRatioMin: 0.99,
      },
      { durationS: 3, warmupS: 1, spike: undefined },
    );
    const results = evaluateCriteria(criteria, report);
    expect(find(results, 'latency_ms_p95_max')).toMatchObject({
      limit: 25,
      actual: 30,
      passed: false,
      window: null,
    });
    expect(find(results, 'latency_ms_p99_max')).toMatchObject({ passed: true });
    expect(find(results, 'error_rate_max')).toMatchObject({ limit: 0.001, actual: 0.003, passed: false });
    expect(find(results, 'throughput_ops_per_s_min')).toMatchObject({ actual: 95, passed: true });
    expect(find(results, 'achieved_ratio_min')).toMatchObject({ actual: 0.95, passed: false });
  });

  it('evaluates per-operation limits against that operation only', () => {
    const report = withFigures((r) => {
      if (r.operations.search !== undefined) r.operations.search.latencyMs.p99 = 80;
      if (r.operations.insert !== undefined) r.operations.insert.latencyMs.p99 = 4;
    });
    const criteria = resolveCriteria(
      { preset: 'none', operations: { search: { latencyMsP99Max: 50 }, insert: { latencyMsP99Max: 5 } } },
      { durationS: 3, warmupS: 1, spike: undefined },
    );
    const results = evaluateCriteria(criteria, report);
    expect(find(results, 'latency_ms_p99_max', 'search')).toMatchObject({
      limit: 50,
      actual: 80,
      passed: false,
    });
    expect(find(results, 'latency_ms_p99_max', 'insert')).toMatchObject({
      limit: 5,
      actual: 4,
      passed: true,
    });
  });

  it('skips, and says why, what could not be measured: memory growth over a short span, a ratio without an open group', () => {
    const report = withFigures((r) => {
      r.resources.memoryGrowthMbPerMin = 500;
      r.resources.memoryGrowthSpanS = 12;
      r.summary.achievedRatio = null;
    });
    const criteria = resolveCriteria(
      { preset: 'none', memoryGrowthMbPerMinMax: 10, achievedRatioMin: 0.9 },
      { durationS: 3, warmupS: 1, spike: undefined },
    );
    const results = evaluateCriteria(criteria, report);
    expect(find(results, 'memory_growth_mb_per_min_max')).toMatchObject({
      actual: null,
      passed: true,
      skipped: expect.stringContaining('12 s'),
    });
    expect(find(results, 'achieved_ratio_min')).toMatchObject({
      actual: null,
      passed: true,
      skipped: expect.any(String),
    });
    const longer = withFigures((r) => {
      r.resources.memoryGrowthMbPerMin = 500;
      r.resources.memoryGrowthSpanS = 600;
    });
    expect(find(evaluateCriteria(criteria, longer), 'memory_growth_mb_per_min_max')).toMatchObject({
      actual: 500,
      passed: false,
    });
  });

  it('judges window and recovery criteria on the operations intended inside their windows', async () => {
    const { report } = await manualRun({
      config: {
        durationS: 4,
        load: {
          profile: { kind: 'spike', rate: 50, spikeRate: 200, startFraction: 0.25, endFraction: 0.5 },
          inFlightMax: 1_000,
        },
        criteria: {
          preset: 'none',
          windows: [{ during: 'spike', latencyMsP95Max: 1 }],
          recoveryFactorMax: 1.5,
        },
      },
    });
    const spike = report.windows.find((w) => w.name === 'spike');
    expect(spike?.startS).toBe(1);
    expect(spike?.endS).toBe(2);
    expect(spike?.count).toBe(200);
    const windowResult = report.criteria.find((c) => c.window === 'spike');
    expect(windowResult).toMatchObject({ name: 'latency_ms_p95_max', limit: 1, passed: false });
    expect(windowResult?.actual).toBe(spike?.latencyMs.p95);
    const before = report.windows.find((w) => w.name === 'before spike');
    const after = report.windows.find((w) => w.name === 'after spike');
    expect(before?.count).toBe(50);
    expect(after?.count).toBe(100);
    const recovery = report.criteria.find((c) => c.name === 'recovery_factor_max');
    expect(recovery?.actual).toBeCloseTo((after?.latencyMs.p95 ?? 0) / (before?.latencyMs.p95 ?? 1), 3);
    expect(report.passed).toBe(false);
  });

  it('finds the worst 60-second window of achieved over target rate and of throughput, leaving out the warm-up', () => {
    const entry = (tS: number, count: number): TimelineEntry => ({
      ...(base.timeline[0] as TimelineEntry),
      tS,
      intervalS: 1,
      targetRate: 100,
      count,
    });
    const timeline = Array.from({ length: 190 }, (_, i) =>
      entry(i + 1, i < 10 ? 0 : i >= 70 && i < 130 ? 80 : 100),
    );
    expect(worstWindowRatio({ timeline, warmupS: 10, durationS: 190 }, 60)).toBe(0.8);
    expect(worstWindowThroughput({ timeline, warmupS: 10, durationS: 190 }, 60)).toBe(80);
    expect(worstWindowRatio({ timeline: timeline.slice(0, 40), warmupS: 10, durationS: 40 }, 60)).toBe(1);
    const criteria = resolveCriteria(
      { preset: 'none', achievedRatioWindowMin: 0.9, throughputOpsPerSWindowMin: 50 },
      { durationS: 190, warmupS: 10, spike: undefined },
    );
    const results = evaluateCriteria(criteria, { ...base, timeline, warmupS: 10, durationS: 190 });
    expect(find(results, 'achieved_ratio_window_min')).toMatchObject({
      limit: 0.9,
      actual: 0.8,
      passed: false,
    });
    expect(find(results, 'throughput_ops_per_s_window_min')).toMatchObject({
      limit: 50,
      actual: 80,
      passed: true,
    });
  });
});
