import { describe, expect, it } from 'vitest';
import { combineRmePct, compareResults, compareTask, verdictOf } from '../../../bench/runner/compare.ts';
import { entry, results } from './fixtures.ts';

const withRatio = (ratio: number, rmePct: number) => ({ id: 'uploads/sequential', ratio, rmePct });

describe('compareResults', () => {
  it('fails a task whose raw rate fell more than the tolerance beyond the combined noise', () => {
    const saved = results([entry({ suite: 'uploads', name: 'put', value: 1000, rmePct: 3 })]);
    const current = results([entry({ suite: 'uploads', name: 'put', value: 700, rmePct: 4 })]);
    const report = compareResults(saved, current, { tolerancePct: 15 });
    // A 30% drop against a band of 15% + √(3² + 4²) = 20%.
    expect(report.passed).toBe(false);
    expect(report.regressions).toEqual(['uploads/put']);
    const row = report.rows[0];
    expect(row).toMatchObject({
      state: 'compared',
      basis: 'value',
      saved: 1000,
      current: 700,
      verdict: 'regression',
    });
    expect(row?.state === 'compared' && row.noisePct).toBeCloseTo(5, 10);
  });

  it('passes a drop beyond the tolerance that stays within tolerance plus noise', () => {
    const saved = results([entry({ suite: 'uploads', name: 'put', value: 1000, rmePct: 8 })]);
    const current = results([entry({ suite: 'uploads', name: 'put', value: 760, rmePct: 6 })]);
    // A 24% drop: beyond 15%, but within 15% + √(8² + 6²) = 25%.
    const report = compareResults(saved, current, { tolerancePct: 15 });
    expect(report.passed).toBe(true);
    expect(report.rows[0]).toMatchObject({ state: 'compared', verdict: 'unchanged' });
  });

  it('compares the ratio to the in-run baseline when both runs have one, not the raw rate', () => {
    // The machine got twice as slow: raw rates halved, the ratio to the baseline did not move.
    const saved = results([
      entry({ suite: 'uploads', name: 'sequential', value: 100 }),
      entry({ suite: 'uploads', name: 'batched', value: 10_000, baseline: withRatio(100, 2) }),
    ]);
    const current = results([
      entry({ suite: 'uploads', name: 'sequential', value: 50 }),
      entry({ suite: 'uploads', name: 'batched', value: 5_000, baseline: withRatio(100, 2) }),
    ]);
    const report = compareResults(saved, current, { tolerancePct: 15 });
    const batched = report.rows.find((row) => row.id === 'uploads/batched');
    expect(batched).toMatchObject({ state: 'compared', basis: 'ratio', change: 1, verdict: 'unchanged' });
    // The baseline task itself has no in-run baseline and is compared raw, so it regresses.
    expect(report.regressions).toEqual(['uploads/sequential']);
  });

  it('fails a ratio that fell beyond tolerance and noise even when the raw rate held', () => {
    const saved = results([entry({ suite: 'u', name: 'b', value: 1000, baseline: withRatio(100, 3) })]);
    const current = results([entry({ suite: 'u', name: 'b', value: 1000, baseline: withRatio(60, 3) })]);
    const report = compareResults(saved, current, { tolerancePct: 15 });
    expect(report.regressions).toEqual(['u/b']);
    expect(report.rows[0]).toMatchObject({ basis: 'ratio', saved: 100, current: 60 });
  });

  it('treats a rise of a lower-is-better figure as a regression', () => {
    const figure = { source: 'figure' as const, unit: 'ms', higherIsBetter: false, rmePct: 0 };
    const saved = results([entry({ suite: 'tiers', name: 'promotion', value: 100, ...figure })]);
    const current = results([entry({ suite: 'tiers', name: 'promotion', value: 130, ...figure })]);
    const report = compareResults(saved, current, { tolerancePct: 15 });
    expect(report.regressions).toEqual(['tiers/promotion']);
    const faster = results([entry({ suite: 'tiers', name: 'promotion', value: 50, ...figure })]);
    expect(compareResults(saved, faster, { tolerancePct: 15 }).rows[0]).toMatchObject({
      verdict: 'improvement',
      change: 2,
    });
  });

  it('reports tasks missing from this run and new ones, without failing on them', () => {
    const saved = results([
      entry({ suite: 'uploads', name: 'gone' }),
      entry({ suite: 'stores', name: 'put' }),
    ]);
    const current = results([entry({ suite: 'uploads', name: 'fresh' })]);
    const report = compareResults(saved, current, {
      tolerancePct: 15,
      selected: (task) => task.suite === 'uploads',
    });
    expect(report.rows).toEqual([
      { state: 'missing', id: 'uploads/gone' },
      { state: 'new', id: 'uploads/fresh' },
    ]);
    expect(report.missing).toEqual(['uploads/gone']);
    expect(report.passed).toBe(true);
  });

  it('skips context-only figures and tasks whose unit changed', () => {
    const saved = results([
      entry({ suite: 's', name: 'bound', compare: false, value: 10 }),
      entry({ suite: 's', name: 'rate', unit: 'docs/s', value: 10 }),
    ]);
    const current = results([
      entry({ suite: 's', name: 'bound', compare: false, value: 1 }),
      entry({ suite: 's', name: 'rate', unit: 'ops/s', value: 1 }),
    ]);
    const report = compareResults(saved, current, { tolerancePct: 15 });
    expect(report.rows.map((row) => row.state)).toEqual(['skipped', 'skipped']);
    expect(report.passed).toBe(true);
  });

  it('warns when either run started on a machine busier than its cores', () => {
    const saved = results([]);
    const busy = { ...saved.environment, loadAverage1m: 5.4 };
    const report = compareResults(saved, { ...saved, environment: busy }, { tolerancePct: 15 });
    expect(report.warnings).toEqual([
      expect.stringContaining('this run started with a load average of 5.4 on 2 cores'),
    ]);
    expect(compareResults(saved, saved, { tolerancePct: 15 }).warnings).toEqual([]);
  });

  it('warns when the two runs used different modes or machines', () => {
    const saved = results([], { mode: 'full' });
    const current = results([]);
    const other = { ...current.environment, cpuModel: 'Other CPU' };
    const report = compareResults(saved, { ...current, environment: other }, { tolerancePct: 15 });
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toContain('full mode');
    expect(report.warnings[1]).toContain('Other CPU');
  });
});

describe('compare arithmetic', () => {
  it('combines margins of error as a root sum of squares', () => {
    expect(combineRmePct(3, 4)).toBe(5);
    expect(combineRmePct()).toBe(0);
  });

  it('puts the regression edge at exactly tolerance plus noise', () => {
    expect(verdictOf(0.8, 5, 15)).toBe('unchanged');
    expect(verdictOf(0.79, 5, 15)).toBe('regression');
    expect(verdictOf(1.21, 5, 15)).toBe('improvement');
  });

  it('skips a comparison with a zero on either side instead of dividing by it', () => {
    const row = compareTask(entry({ suite: 's', name: 'x', value: 0 }), entry({ suite: 's', name: 'x' }), 15);
    expect(row).toMatchObject({ state: 'skipped' });
  });
});
