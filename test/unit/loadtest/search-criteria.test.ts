import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { ErrorCode } from '../../../src/errors.ts';
import type { LoadTestConfig } from '../../../src/loadtest/config.ts';
import type { LoadTarget } from '../../../src/loadtest/load-target.ts';
import { formatCriterionLines } from '../../../src/loadtest/report/criteria-lines.ts';
import { renderMarkdown } from '../../../src/loadtest/report/markdown.ts';
import { runLoadTest } from '../../../src/loadtest/run.ts';
import { readScenario } from '../../../src/loadtest/scenario/read-scenario.ts';
import { resolveScenario } from '../../../src/loadtest/scenario/resolve-scenario.ts';
import {
  type CheckInputs,
  RSS_ROW_BYTES,
  targetChecks,
} from '../../../src/loadtest/targets/tiervec-checks.ts';
import type { TargetLimits } from '../../../src/loadtest/targets/tiervec-config.ts';
import { readGauges } from '../../../src/loadtest/targets/tiervec-gauges.ts';
import { TargetMeasurements } from '../../../src/loadtest/targets/tiervec-measure.ts';
import type { TenantRuntime } from '../../../src/loadtest/targets/tiervec-operations.ts';
import { type RecallSample, RecallSampler } from '../../../src/loadtest/targets/tiervec-recall.ts';
import { MockS3ObjectStore } from '../../../src/object-store/testing/mock-s3.ts';
import { driveClock } from './manual-run.ts';

const MIB = 2 ** 20;

function checks(limits: TargetLimits, more: Partial<CheckInputs> = {}) {
  const measurements = new TargetMeasurements();
  const result = targetChecks({
    limits,
    tenants: [],
    measurements,
    verification: undefined,
    background: undefined,
    ...more,
  });
  measurements.destroy();
  return result;
}

describe('gets_per_search_max', () => {
  it('is the GETs of the measured run over its searches', () => {
    const [check] = checks({ gets_per_search_max: 18 }, { gets: { gets: 340, searches: 20 } });
    expect(check).toMatchObject({ name: 'gets_per_search_max', limit: 18, actual: 17, passed: true });
    expect(check?.description).toContain('340 GETs, 20 searches');
    const [over] = checks({ gets_per_search_max: 18 }, { gets: { gets: 400, searches: 20 } });
    expect(over).toMatchObject({ actual: 20, passed: false });
  });

  it('is not measured (never 0) without the mock, or without a search', () => {
    const [noMock] = checks(
      { gets_per_search_max: 18 },
      { gets: 'GETs are counted on the mock S3 only (this run: local)' },
    );
    expect(noMock).toMatchObject({ actual: null, passed: true, skipped: expect.stringContaining('mock S3') });
    const [noSearch] = checks({ gets_per_search_max: 18 }, { gets: { gets: 5, searches: 0 } });
    expect(noSearch).toMatchObject({ actual: null, skipped: 'no search completed in the measured run' });
  });
});

describe('recall_min', () => {
  const result = { samples: 4, expected: 40, found: 36, recall: 0.9, kMin: 10, kMax: 10 };

  it('passes at or above the limit and fails below it', () => {
    const [check] = checks({ recall_min: 0.9 }, { recall: result });
    expect(check).toMatchObject({ name: 'recall_min', actual: 0.9, passed: true });
    expect(check?.description).toContain('recall@10 of 4 sampled searches');
    const [low] = checks({ recall_min: 0.95 }, { recall: result });
    expect(low).toMatchObject({ actual: 0.9, passed: false });
  });

  it('is not measured when nothing was sampled', () => {
    const [check] = checks({ recall_min: 0.9 });
    expect(check).toMatchObject({ actual: null, passed: true, skipped: 'no search was sampled' });
  });
});

describe('rss_mb_over_budget_max', () => {
  const tenant = (count: number) => ({ collection: { count: () => count } }) as unknown as TenantRuntime;

  it('is peak RSS less the mock, the hot budget and the per-row allowance', () => {
    const measurements = new TargetMeasurements();
    measurements.rssBytesMax = 900 * MIB;
    measurements.rssLessMockMax = { rssBytes: 880 * MIB, mockBytes: 180 * MIB };
    const rows = 65_536;
    const [check] = targetChecks({
      limits: { rss_mb_over_budget_max: 600 },
      tenants: [tenant(rows)],
      measurements,
      verification: undefined,
      background: undefined,
      hotBytesMax: 100 * MIB,
    });
    const expected = 700 - 100 - (rows * RSS_ROW_BYTES) / MIB;
    expect(check).toMatchObject({ actual: expected, passed: expected <= 600 });
    expect(expected).toBe(590);
    expect(check?.description).toContain('hot budget (100 MiB)');
    measurements.destroy();
  });

  it("takes the mock's stored bytes at the sample it judges", async () => {
    const mock = new MockS3ObjectStore({ seed: 1 });
    await mock.put('objects/big', new Uint8Array(4 * MIB));
    const measurements = new TargetMeasurements();
    readGauges([], mock, measurements, undefined);
    expect(measurements.rssLessMockMax.mockBytes).toBe(mock.stats().storedBytes);
    expect(measurements.rssLessMockMax.rssBytes).toBe(measurements.rssBytesMax);
    measurements.destroy();
  });

  it('is not measured without a resource sample', () => {
    const [check] = checks({ rss_mb_over_budget_max: 500 }, { hotBytesMax: MIB });
    expect(check).toMatchObject({ actual: null, skipped: expect.stringContaining('no resource sample') });
  });
});

describe('other target checks that cannot be measured', () => {
  it('say why instead of passing with 0', () => {
    const [check] = checks({ replica_lag_ms_max: 1000 });
    expect(check).toMatchObject({ actual: null, passed: true, skipped: 'the run has no read replicas' });
  });
});

/** A searcher over fixed answers: the exact answer lists ids closest first. */
function searcher(exact: string[]) {
  const asked: Array<Record<string, unknown>> = [];
  return {
    asked,
    search: async (_vector: Float32Array | readonly number[], options: Record<string, unknown>) => {
      asked.push(options);
      return exact.slice(0, options.k as number).map((id) => ({ id }));
    },
  };
}

const sample = (ids: string[], k = 3): RecallSample => ({
  tenant: 't',
  vector: new Float32Array([1, 0]),
  options: { k },
  ids,
});

describe('RecallSampler', () => {
  it('samples with its seed: the same choices for the same seed, about the ratio, never beyond the maximum', () => {
    const draws = (seed: number) => {
      const sampler = new RecallSampler({ recallSampleRatio: 0.25, recallSamplesMax: 1_000 }, seed);
      return Array.from({ length: 400 }, () => {
        const chosen = sampler.sampleNext();
        if (chosen) sampler.keep(sample(['a']));
        return chosen;
      });
    };
    const first = draws(7);
    expect(draws(7)).toEqual(first);
    expect(draws(8)).not.toEqual(first);
    const chosen = first.filter(Boolean).length;
    expect(chosen).toBeGreaterThan(60);
    expect(chosen).toBeLessThan(140);
    const capped = new RecallSampler({ recallSampleRatio: 1, recallSamplesMax: 2 }, 1);
    for (let i = 0; i < 5; i++) if (capped.sampleNext()) capped.keep(sample(['a']));
    expect(capped.samples).toHaveLength(2);
  });

  it('compares each sample with the exact answer, asking with exact: true', async () => {
    const sampler = new RecallSampler({ recallSampleRatio: 1 }, 1);
    sampler.keep(sample(['a', 'b', 'c']));
    sampler.keep(sample(['a', 'x', 'b']));
    const exact = searcher(['a', 'b', 'c', 'd']);
    const result = await sampler.compare(() => exact);
    expect(result).toMatchObject({ samples: 2, expected: 6, found: 5, kMin: 3, kMax: 3 });
    expect(result?.recall).toBeCloseTo(5 / 6, 10);
    expect(exact.asked.every((options) => options.exact === true && options.k === 3)).toBe(true);
  });

  it('leaves the ids the run wrote out of both answers, and asks for enough to skip them', async () => {
    const sampler = new RecallSampler({ recallSampleRatio: 1 }, 1);
    // The sampled search saw `n1` (inserted during the run); the exact one, later, also sees `n2`.
    sampler.keep(sample(['n1', 'a', 'b']));
    sampler.written('t', 'n1');
    sampler.written('t', 'n2');
    const exact = searcher(['n2', 'n1', 'a', 'b', 'c']);
    const result = await sampler.compare(() => exact);
    expect(result).toMatchObject({ samples: 1, expected: 2, found: 2, recall: 1 });
    expect(exact.asked[0]?.k).toBe(5);
  });

  it('has no result when every sampled answer held only written ids', async () => {
    const sampler = new RecallSampler({}, 1);
    sampler.keep(sample(['n1']));
    sampler.written('t', 'n1');
    expect(await sampler.compare(() => searcher(['n1']))).toBeUndefined();
  });
});

describe('a target check that is not measured, in the report', () => {
  const config: LoadTestConfig = {
    name: 'unmeasured',
    seed: 3,
    durationS: 2,
    warmupS: 1,
    load: { profile: { kind: 'constant', rate: 20 } },
    mix: { read: 1 },
    criteria: { preset: 'none' },
  };

  it('keeps actual null and the reason in JSON, Markdown and the console lines; startMeasuring runs once, after the warm-up', async () => {
    const clock = new ManualClock(0);
    const measuringAt: number[] = [];
    const target: LoadTarget = {
      name: 'partial',
      operations: { read: async () => clock.sleep(1) },
      startMeasuring: () => void measuringAt.push(clock.now()),
      verify: async () => [
        {
          name: 'gets_per_search_max',
          description: 'gets_per_search_max',
          limit: 18,
          actual: null,
          passed: true,
          skipped: 'GETs are counted on the mock S3 only (this run: local)',
        },
      ],
    };
    const report = await driveClock(clock, runLoadTest(config, { target, clock }));
    expect(measuringAt).toHaveLength(1);
    expect(measuringAt[0]).toBeGreaterThanOrEqual(1_000);
    const criterion = report.criteria.find((c) => c.name === 'gets_per_search_max');
    expect(criterion).toMatchObject({ actual: null, passed: true, source: 'target' });
    expect(JSON.parse(JSON.stringify(report)).criteria).toContainEqual(
      expect.objectContaining({ actual: null, skipped: expect.stringContaining('mock S3 only') }),
    );
    expect(renderMarkdown(report)).toContain('not measured: GETs are counted on the mock S3 only');
    expect(formatCriterionLines(report.criteria).join('\n')).toContain('not measured (GETs are counted');
    expect(report.passed).toBe(true);
  });

  it('calls startMeasuring at the start when the run has no warm-up', async () => {
    const clock = new ManualClock(0);
    const measuringAt: number[] = [];
    const target: LoadTarget = {
      name: 'no-warmup',
      operations: { read: async () => clock.sleep(1) },
      startMeasuring: () => void measuringAt.push(clock.now()),
    };
    await driveClock(clock, runLoadTest({ ...config, warmupS: 0 }, { target, clock }));
    expect(measuringAt).toEqual([0]);
  });
});

const SCENARIO = `name = "partitioned"
description = "a scenario with the large-dataset criteria"
seed = 3

[duration]
short_s = 10
full_s = 600

[load]
in_flight_max = 4

[load.profile]
kind = "constant"
rate = 10

[mix]
search = 9
insert = 1

[data]
vectors = 1000
dimension = 8

[search]
k = 10
recall_sample_ratio = 0.5
recall_samples_max = 20

[target]
compact_after_preload = true

[criteria]
gets_per_search_max = 18
recall_min = 0.9
rss_mb_over_budget_max = 1024
`;

function scenarioWith(find: string, replace: string): string {
  if (!SCENARIO.includes(find)) throw new Error(`fixture has no ${find}`);
  return SCENARIO.replace(find, replace);
}

describe('the scenario keys of the large-dataset criteria', () => {
  it('reads compact_after_preload, the recall sampling and the three limits into the run', () => {
    const run = resolveScenario(readScenario(SCENARIO, 'partitioned.toml'), 'short');
    expect(run.target.compactAfterPreload).toBe(true);
    expect(run.target.search).toMatchObject({ recallSampleRatio: 0.5, recallSamplesMax: 20 });
    expect(run.target.limits).toEqual({
      gets_per_search_max: 18,
      recall_min: 0.9,
      rss_mb_over_budget_max: 1024,
    });
    const plain = resolveScenario(
      readScenario(scenarioWith('compact_after_preload = true', ''), 'plain.toml'),
      'short',
    );
    expect(plain.target.compactAfterPreload).toBe(false);
  });

  const invalid: Array<{ name: string; text: string; where: string }> = [
    {
      name: 'recall_min above 1',
      text: scenarioWith('recall_min = 0.9', 'recall_min = 1.5'),
      where: 'partitioned.toml:34: criteria.recall_min: expected a number >= 0 and <= 1, got 1.5',
    },
    {
      name: 'a negative GETs limit',
      text: scenarioWith('gets_per_search_max = 18', 'gets_per_search_max = -1'),
      where: 'criteria.gets_per_search_max',
    },
    {
      name: 'an RSS limit that is not a number',
      text: scenarioWith('rss_mb_over_budget_max = 1024', 'rss_mb_over_budget_max = "1GiB"'),
      where: 'criteria.rss_mb_over_budget_max',
    },
    {
      name: 'compact_after_preload that is not a boolean',
      text: scenarioWith('compact_after_preload = true', 'compact_after_preload = "yes"'),
      where: 'target.compact_after_preload',
    },
    {
      name: 'a sample ratio of 0',
      text: scenarioWith('recall_sample_ratio = 0.5', 'recall_sample_ratio = 0'),
      where: 'search.recall_sample_ratio',
    },
    {
      name: 'a fractional sample count',
      text: scenarioWith('recall_samples_max = 20', 'recall_samples_max = 2.5'),
      where: 'search.recall_samples_max',
    },
    {
      name: 'recall sampling without recall_min',
      text: scenarioWith('recall_min = 0.9\n', ''),
      where: 'search.recall_sample_ratio: applies only when [criteria] sets recall_min',
    },
  ];
  for (const { name, text, where } of invalid) {
    it(`rejects ${name} with SCENARIO_INVALID naming the key`, () => {
      let caught: unknown;
      try {
        readScenario(text, 'partitioned.toml');
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: ErrorCode.SCENARIO_INVALID });
      expect((caught as Error).message).toContain(where);
    });
  }
});
