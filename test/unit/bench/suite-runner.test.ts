import { describe, expect, it } from 'vitest';
import { defineSuite } from '../../../bench/runner/bench-suite.ts';
import { parseResults } from '../../../bench/runner/results-file.ts';
import {
  combineFigureRuns,
  linkEntries,
  type MeasuredItem,
  measuredFigure,
  relativeMarginOfErrorPct,
  runSuite,
} from '../../../bench/runner/suite-runner.ts';
import { results } from './fixtures.ts';

const measured = (name: string, value: number, overrides: Partial<MeasuredItem> = {}): MeasuredItem => ({
  name,
  source: 'tinybench',
  value,
  unit: 'docs/s',
  higherIsBetter: true,
  rmePct: 3,
  opsPerS: value,
  latencyMs: { mean: 1, p50: 1, p99: 1 },
  samples: 10,
  baseline: undefined,
  bound: undefined,
  targets: [],
  compare: true,
  ...overrides,
});

describe('linkEntries', () => {
  it('reports value ÷ baseline value and value ÷ bound, with the noise of both sides', () => {
    const { entries, targets } = linkEntries('uploads', [
      measured('sequential', 100, { rmePct: 4 }),
      measured('batched', 20_000, {
        baseline: 'sequential',
        bound: { value: 25_000, description: 'c × b ÷ latency' },
        targets: [
          { description: '≥ 80% of bound', of: 'bound', ratioMin: 0.8 },
          { description: '≥ 300× sequential', of: 'baseline', ratioMin: 300 },
        ],
      }),
    ]);
    const batched = entries[1];
    expect(batched?.id).toBe('uploads/batched');
    expect(batched?.baseline).toEqual({ id: 'uploads/sequential', ratio: 200, rmePct: 5 });
    expect(batched?.bound).toEqual({ value: 25_000, description: 'c × b ÷ latency', ratio: 0.8 });
    expect(targets.map((t) => [t.ratio, t.met])).toEqual([
      [0.8, true],
      [200, false],
    ]);
  });

  it('inverts the ratio of lower-is-better figures so that above 1 means better', () => {
    const ms = { unit: 'ms', higherIsBetter: false, source: 'figure' as const };
    const { entries } = linkEntries('tiers', [
      measured('cold', 200, ms),
      measured('hot', 50, { ...ms, baseline: 'cold' }),
    ]);
    expect(entries[1]?.baseline?.ratio).toBe(4);
  });

  it('leaves the ratio null and the target unmet when the baseline did not run', () => {
    const { entries, targets } = linkEntries('uploads', [
      measured('batched', 1000, {
        baseline: 'sequential',
        targets: [{ description: 't', of: 'baseline', ratioMin: 1 }],
      }),
    ]);
    expect(entries[0]?.baseline).toBeNull();
    expect(targets[0]).toMatchObject({ ratio: null, met: false });
  });

  it('refuses a baseline in another unit', () => {
    expect(() =>
      linkEntries('s', [measured('a', 1, { unit: 'ops/s' }), measured('b', 1, { baseline: 'a' })]),
    ).toThrow(/cannot be a ratio/);
  });

  it('refuses a figure that is not a finite number', () => {
    expect(() =>
      measuredFigure({ name: 'recall', value: Number.NaN, unit: 'ratio', higherIsBetter: true }),
    ).toThrow(/not a finite number/);
  });
});

describe('runSuite', () => {
  const log = () => undefined;

  function fakeSuite(closed: string[]) {
    return defineSuite({
      name: 'fake',
      summary: 'a suite for the runner tests',
      sizes: { quick: 2, full: 4 },
      plan: (docs: number) => ({
        items: [
          {
            kind: 'timed',
            name: 'spin',
            unitsPerOp: docs,
            unit: 'docs/s',
            fn: () => JSON.stringify({ docs }),
            timeMs: 1,
            iterationsMin: 3,
            warmupIterationsMin: 1,
            warmupTimeMs: 1,
          },
          {
            kind: 'figures',
            name: 'recall',
            figureNames: ['recall@10'],
            measure: async () => [{ name: 'recall@10', value: 0.9, unit: 'ratio', higherIsBetter: true }],
          },
          {
            kind: 'figures',
            name: 'broken',
            figureNames: [],
            measure: async () => Promise.reject(new Error('disk full')),
          },
        ],
        close: async () => void closed.push('closed'),
      }),
    });
  }

  it('measures every selected item, records a failing one, and closes the plan once', async () => {
    const closed: string[] = [];
    const run = await runSuite(fakeSuite(closed), 'quick', [], log);
    expect(run?.outcome).toMatchObject({ name: 'fake', state: 'broken', errors: ['broken: disk full'] });
    expect(run?.entries.map((entry) => [entry.id, entry.source, entry.unit])).toEqual([
      ['fake/spin', 'tinybench', 'docs/s'],
      ['fake/recall@10', 'figure', 'ratio'],
    ]);
    const spin = run?.entries[0];
    // Units per iteration scale the iteration rate: the quick size is 2 documents per call.
    expect(spin?.value).toBeCloseTo((spin?.opsPerS ?? 0) * 2, 6);
    expect(spin?.samples).toBeGreaterThanOrEqual(3);
    expect(closed).toEqual(['closed']);
    // What the runner produced is what the results file accepts.
    expect(() => parseResults(results(run?.entries ?? []), 'run')).not.toThrow();
  });

  it('returns nothing when the filters select none of the suite, and still closes it', async () => {
    const closed: string[] = [];
    expect(await runSuite(fakeSuite(closed), 'quick', ['object-store'], log)).toBeUndefined();
    expect(closed).toEqual(['closed']);
  });

  it('runs only the filtered item and completes when it succeeds', async () => {
    const run = await runSuite(fakeSuite([]), 'full', ['recall'], log);
    expect(run?.outcome.state).toBe('completed');
    expect(run?.entries.map((entry) => entry.name)).toEqual(['recall@10']);
  });
});

describe('repeated figure groups', () => {
  const figure = (name: string, value: number) => ({ name, value, unit: 'ms', higherIsBetter: false });

  it("state the 95% margin of error of a mean with Student's t", () => {
    // 9, 11, 9, 11: mean 10, sample variance 4/3, n = 4, t(3) = 3.182.
    const expected = (3.182 * Math.sqrt(4 / 3 / 4) * 100) / 10;
    expect(relativeMarginOfErrorPct([9, 11, 9, 11])).toBeCloseTo(expected, 10);
    expect(relativeMarginOfErrorPct([5, 5, 5])).toBe(0);
    expect(relativeMarginOfErrorPct([5])).toBe(0);
  });

  it('average each figure over the runs and count the runs as samples', () => {
    const [combined, steady] = combineFigureRuns([
      [figure('p99', 10), figure('recall', 1)],
      [figure('p99', 14), figure('recall', 1)],
      [figure('p99', 12), figure('recall', 1)],
    ]);
    expect(combined).toMatchObject({ name: 'p99', value: 12, samples: 3, unit: 'ms', higherIsBetter: false });
    // Standard deviation 2, n = 3, t(2) = 4.303: 4.303 × 2 ÷ √3 ÷ 12.
    expect(combined?.rmePct).toBeCloseTo((4.303 * (2 / Math.sqrt(3)) * 100) / 12, 10);
    expect(steady).toMatchObject({ value: 1, rmePct: 0, samples: 3 });
  });

  it('return a single run unchanged and refuse runs that lost a figure', () => {
    expect(combineFigureRuns([[figure('a', 3)]])).toEqual([figure('a', 3)]);
    expect(() => combineFigureRuns([[figure('a', 3)], []])).toThrow(/missing from a repeated run/);
  });

  it('run a group as many times as it asks', async () => {
    let calls = 0;
    const suite = defineSuite({
      name: 'repeats',
      summary: 'a group measured three times',
      sizes: { quick: 0, full: 0 },
      plan: () => ({
        items: [
          {
            kind: 'figures' as const,
            name: 'g',
            figureNames: ['x'],
            repeats: 3,
            measure: async () => [figure('x', ++calls)],
          },
        ],
      }),
    });
    const run = await runSuite(suite, 'quick', [], () => undefined);
    expect(calls).toBe(3);
    expect(run?.entries[0]).toMatchObject({ value: 2, samples: 3 });
  });
});
