import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import {
  logRatioInterval,
  normalQuantile,
  proportionInterval,
  quantileInterval,
  quantileRanks,
  studentTQuantile,
} from '../../../src/loadtest/confidence-interval.ts';
import { LatencyHistogram } from '../../../src/loadtest/histogram.ts';
import { compareReports } from '../../../src/loadtest/report/compare.ts';
import type { LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import { Rng } from '../../../src/random.ts';
import { type ManualRun, manualRun } from './fixtures.ts';

let template: ManualRun;
beforeAll(async () => {
  template = await manualRun({ seed: 1 });
});

/** Seeded log-normal latencies (ms) with a 1 % tail ten times slower: shaped like a store's. */
function latenciesMs(rng: Rng, count: number, medianMs: number, factor: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = medianMs * Math.exp(0.5 * rng.nextGaussian());
    values.push(factor * (rng.next() < 0.01 ? body * 10 : body));
  }
  return values;
}

function encoded(values: number[]): string {
  const histogram = new LatencyHistogram();
  for (const ms of values) histogram.recordMs(ms);
  const text = histogram.encode();
  histogram.destroy();
  return text;
}

const SECONDS = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * A timeline of SECONDS measured seconds after the template's warm-up, each holding the median
 * service time of its share of every operation's values (in the order they were drawn).
 */
function syntheticTimeline(report: LoadTestReport, ops: Record<string, number[]>): void {
  const first = report.timeline[0];
  if (first === undefined) throw new Error('fixture without a timeline');
  report.timeline = Array.from({ length: SECONDS }, (_, second) => {
    const operations: Record<
      string,
      { count: number; errors: number; latencyMs: typeof first.latencyMs; serviceTimeMsP50: number }
    > = {};
    for (const [name, values] of Object.entries(ops)) {
      const size = Math.ceil(values.length / SECONDS);
      const chunk = values.slice(second * size, (second + 1) * size);
      operations[name] = {
        count: chunk.length,
        errors: 0,
        latencyMs: first.latencyMs,
        serviceTimeMsP50: median(chunk),
      };
    }
    return { ...first, tS: report.warmupS + second + 1, intervalS: 1, operations };
  });
}

/**
 * The fixture report with synthetic search and insert service and response times (the same values)
 * and per-second medians; `searchFactor` slows every search, `insertFactor` every insert.
 */
function syntheticReport(seed: number, searchFactor = 1, insertFactor = 1): LoadTestReport {
  const rng = new Rng(seed);
  const report = structuredClone(template.report);
  const ops = {
    search: latenciesMs(rng, 3_000, 5, searchFactor),
    insert: latenciesMs(rng, 1_500, 2, insertFactor),
  };
  for (const [name, values] of Object.entries(ops)) {
    const op = report.operations[name];
    if (op === undefined) throw new Error(`fixture without ${name}`);
    op.count = values.length;
    op.errors = 0;
    op.histogram = encoded(values);
    op.serviceTimeHistogram = op.histogram;
  }
  syntheticTimeline(report, ops);
  report.summary.operations = ops.search.length + ops.insert.length;
  report.summary.errors = 0;
  return report;
}

/** `report` as if its machine had been much busier (event-loop delay 150 ms more). */
function onBusierMachine(report: LoadTestReport): LoadTestReport {
  const busier = structuredClone(report);
  busier.resources.eventLoopDelayMsP99 = report.resources.eventLoopDelayMsP99 + 150;
  return busier;
}

describe('order-statistic confidence intervals', () => {
  it('gives the textbook ranks for the median of 100 samples at 95 % (40 and 61)', () => {
    expect(quantileRanks(100, 0.5, 0.95)).toEqual({ lowRank: 40, highRank: 61 });
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('cannot bound p99 with 300 samples (the upper rank would be past the largest)', () => {
    expect(quantileRanks(300, 0.99, 0.95)).toBeNull();
    expect(quantileRanks(2_000, 0.99, 0.95)).not.toBeNull();
  });

  it('covers the true quantile about as often as promised (seeded uniform samples)', () => {
    const rng = new Rng(7);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const histogram = new LatencyHistogram();
      for (let i = 0; i < 500; i++) histogram.recordMs(rng.next() * 100);
      const interval = quantileInterval(histogram, 0.9, 0.95);
      histogram.destroy();
      if (interval !== null && interval.low <= 90.1 && interval.high >= 89.9) covered++;
    }
    // 95 % nominal (at least, being conservative): allow for the 200 trials' own noise.
    expect(covered / trials).toBeGreaterThan(0.9);
  });

  it('reads order statistics that match a sorted array to HDR precision', () => {
    const rng = new Rng(3);
    const values = Array.from({ length: 1_000 }, () => 0.05 + rng.next() * 50);
    const histogram = new LatencyHistogram();
    for (const ms of values) histogram.recordMs(ms);
    const sorted = [...values].sort((a, b) => a - b);
    for (const rank of [1, 10, 500, 990, 1_000]) {
      const exact = sorted[rank - 1] as number;
      expect(Math.abs(histogram.valueAtRankMs(rank) - exact)).toBeLessThanOrEqual(exact * 0.002 + 0.001);
    }
    expect(() => histogram.valueAtRankMs(0)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    histogram.destroy();
  });

  it("gives Student's t quantiles within 0.1 % of the tables from 5 degrees of freedom", () => {
    for (const [p, df, exact] of [
      [0.975, 5, 2.5706],
      [0.975, 10, 2.2281],
      [0.999, 10, 4.1437],
      [0.995, 30, 2.75],
    ] as const) {
      expect(Math.abs(studentTQuantile(p, df) - exact) / exact, `p ${p}, df ${df}`).toBeLessThan(0.001);
    }
    expect(() => studentTQuantile(0.975, 0.5)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });

  it('gives a Welch interval of a ratio that holds the true ratio about as often as promised', () => {
    const rng = new Rng(5);
    let covered = 0;
    const trials = 200;
    const draw = (shift: number) => Array.from({ length: 8 }, () => shift + 0.4 * rng.nextGaussian());
    for (let t = 0; t < trials; t++) {
      const interval = logRatioInterval(draw(0), draw(Math.log(2)), 0.95);
      if (interval !== null && interval.low <= 2 && interval.high >= 2) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(logRatioInterval([1], [1, 2], 0.95)).toBeNull();
  });

  it('gives a Wilson interval that holds 0 errors of 300 without claiming 0 %', () => {
    const interval = proportionInterval(0, 300, 0.95);
    expect(interval?.low).toBe(0);
    expect(interval?.high).toBeGreaterThan(0.005);
    expect(proportionInterval(0, 0, 0.95)).toBeNull();
  });
});

describe('compareReports under noise (seeded synthetic histograms)', () => {
  it('passes 10 of 10 pairs of runs drawn from the same distributions', () => {
    for (let pair = 0; pair < 10; pair++) {
      const comparison = compareReports(syntheticReport(100 + pair), syntheticReport(200 + pair));
      expect(comparison.regressions, `pair ${pair} (seeds ${100 + pair}, ${200 + pair})`).toEqual([]);
    }
  });

  it('flags an injected 2× slowdown of search in 10 of 10 pairs, and never insert', () => {
    for (let pair = 0; pair < 10; pair++) {
      const comparison = compareReports(syntheticReport(300 + pair), syntheticReport(400 + pair, 2));
      const flagged = comparison.regressions.map((row) => `${row.operation ?? 'all'} ${row.metric}`);
      expect(flagged, `pair ${pair}`).toContain('search typical');
      expect(flagged, `pair ${pair}`).toContain('search p50');
      expect(flagged, `pair ${pair}`).toContain('search p95');
      expect(
        flagged.some((row) => row.startsWith('insert')),
        `pair ${pair}`,
      ).toBe(false);
    }
  });

  it('judges service time and shows response time without judging it', () => {
    const comparison = compareReports(syntheticReport(5), syntheticReport(6, 2));
    const responses = comparison.rows.filter((row) => row.latency === 'response');
    expect(responses.length).toBeGreaterThan(0);
    expect(responses.every((row) => row.verdict === 'shown' && row.operation === null)).toBe(true);
    expect(comparison.regressions.every((row) => row.latency === 'service')).toBe(true);
  });

  it('calls a slowdown of everything on a busier machine inconclusive, not a regression', () => {
    const comparison = compareReports(syntheticReport(7), onBusierMachine(syntheticReport(8, 2, 2)));
    expect(comparison.regressions).toEqual([]);
    expect(comparison.inconclusive.map((row) => `${row.operation ?? 'all'} ${row.metric}`)).toContain(
      'search typical',
    );
    expect(comparison.outcome).toBe('inconclusive');
    expect(compareReports(syntheticReport(7), syntheticReport(8, 2, 2)).outcome).toBe('regression');
  });

  it('still flags one operation that got slower than the rest of a busier run', () => {
    const comparison = compareReports(syntheticReport(9), onBusierMachine(syntheticReport(10, 2)));
    expect(comparison.outcome).toBe('regression');
    expect(comparison.regressions.map((row) => `${row.operation ?? 'all'} ${row.metric}`)).toContain(
      'search typical',
    );
    expect(comparison.regressions.some((row) => row.operation === null)).toBe(false);
  });

  it('does not judge typical latency with fewer measured seconds than secondsMin', () => {
    const comparison = compareReports(syntheticReport(11), syntheticReport(12), { secondsMin: 11 });
    expect(
      comparison.rows.find((row) => row.operation === 'search' && row.metric === 'typical')?.verdict,
    ).toBe('too few samples');
  });

  it('does not judge a percentile without enough samples above it', () => {
    const comparison = compareReports(syntheticReport(1), syntheticReport(2, 2));
    const p999 = comparison.rows.find((row) => row.operation === 'insert' && row.metric === 'p999');
    expect(p999?.verdict).toBe('too few samples');
    expect(p999?.baseInterval).toBeNull();
  });
});

describe('compareReports on different runs', () => {
  it('refuses runs of different scenarios or targets with INVALID_ARGUMENT unless forced', () => {
    const other = structuredClone(template.report);
    other.scenario = 'another';
    expect(() => compareReports(template.report, other)).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('scenario "fixture" vs "another"'),
      }),
    );
    const forced = compareReports(template.report, other, { force: true });
    expect(forced.warnings).toContain('the runs differ: scenario "fixture" vs "another"');
  });

  it('warns on different target rates and compares throughput as achieved/target rate', () => {
    const doubled = structuredClone(template.report);
    doubled.summary.targetOpsPerS = (template.report.summary.targetOpsPerS ?? 0) * 2;
    doubled.summary.throughputOpsPerS = template.report.summary.throughputOpsPerS * 2;
    const comparison = compareReports(template.report, doubled);
    expect(comparison.warnings.join('\n')).toMatch(
      /target rate 100 vs 200 ops\/s \(throughput compared as achieved\/target rate\)/,
    );
    expect(comparison.rows.find((row) => row.metric === 'achievedRatio')?.verdict).toBe('unchanged');
    expect(comparison.regressed).toBe(false);
  });

  it('warns when the machine was clearly busier in one run (event-loop delay, scheduler lateness)', () => {
    const busier = structuredClone(template.report);
    busier.resources.eventLoopDelayMsP99 = template.report.resources.eventLoopDelayMsP99 + 150;
    const warnings = compareReports(template.report, busier).warnings;
    expect(warnings.join('\n')).toMatch(/the new run's machine was busier \(event-loop delay p99/);
    expect(compareReports(template.report, template.report).warnings).toEqual([]);
  });

  it('rejects a confidence outside 0.5..0.9999 with INVALID_ARGUMENT', () => {
    expect(() => compareReports(template.report, template.report, { confidence: 0.2 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});
