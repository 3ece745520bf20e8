import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { mergeReports } from '../../../src/loadtest/report/merge.ts';
import type { CriterionResult, LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import { type ManualRun, manualRun } from './fixtures.ts';

let first: ManualRun;
let second: ManualRun;
beforeAll(async () => {
  first = await manualRun({ seed: 1, config: { criteria: { preset: 'none', latencyMsP95Max: 45 } } });
  second = await manualRun({
    seed: 2,
    searchExtraMs: 40,
    config: { criteria: { preset: 'none', latencyMsP95Max: 45 } },
  });
});

const lostWrites = (actual: number): CriterionResult => ({
  name: 'acknowledged_writes_lost_max',
  description: 'acknowledged writes lost ≤ 0',
  operation: null,
  window: null,
  limit: 0,
  actual,
  passed: actual <= 0,
  source: 'target',
});

function withCheck(report: LoadTestReport, check: CriterionResult): LoadTestReport {
  const copy = structuredClone(report);
  copy.criteria.push(check);
  return copy;
}

describe('mergeReports refuses unrelated runs', () => {
  it('throws INVALID_ARGUMENT naming the difference for another scenario, target or criteria', () => {
    const cases: Array<[string, (r: LoadTestReport) => void, string]> = [
      ['scenario', (r) => Object.assign(r, { scenario: 'other' }), 'scenario "fixture" vs "other"'],
      [
        'target',
        (r) => Object.assign(r, { target: { name: 'noop', info: {} } }),
        'target "sleeping fixture" vs "noop"',
      ],
      ['criteria', (r) => Object.assign(r.criteriaConfig, { preset: 'production' }), 'criteria'],
      ['mix', (r) => Object.assign(r.groups.default ?? {}, { mix: { search: 1 } }), 'mix'],
    ];
    for (const [aspect, change, message] of cases) {
      const other = structuredClone(second.report);
      change(other);
      expect(() => mergeReports([first.report, other]), aspect).toThrow(
        expect.objectContaining({
          code: ErrorCode.INVALID_ARGUMENT,
          message: expect.stringContaining(message),
        }),
      );
      expect(mergeReports([first.report, other], { force: true }).warnings.join('\n'), aspect).toContain(
        message,
      );
    }
  });
});

describe('mergeReports verdicts', () => {
  it('re-evaluates the criteria on the merged histograms', () => {
    const merged = mergeReports([first.report, second.report]);
    const p95 = merged.criteria.find((c) => c.name === 'latency_ms_p95_max');
    expect(p95?.actual).toBe(merged.summary.latencyMs.p95);
    expect(first.report.passed).toBe(true);
    expect(merged.passed).toBe(false);
  });

  it('keeps one row per target check holding the worst run, failed when any run failed', () => {
    const merged = mergeReports([
      withCheck(first.report, lostWrites(0)),
      withCheck(second.report, lostWrites(2)),
    ]);
    const rows = merged.criteria.filter((c) => c.name === 'acknowledged_writes_lost_max');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actual: 2, passed: false });
  });

  it('describes the merged run by every input and warns when durations differ', () => {
    const longer = structuredClone(second.report);
    longer.durationS = first.report.durationS + 10;
    longer.description = 'the second half';
    const merged = mergeReports([first.report, longer]);
    expect(merged.description).toBe(`${first.report.description} + the second half`);
    expect(merged.durationS).toBe(longer.durationS);
    expect(merged.warnings.join('\n')).toMatch(/merged runs differ: reports\[1\] duration/);
  });
});
