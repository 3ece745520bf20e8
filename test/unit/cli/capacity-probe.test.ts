import { beforeAll, describe, expect, it } from 'vitest';
import { judgeProbe, probeDurationS, probeSamplesWanted } from '../../../src/cli/capacity-probe.ts';
import { LatencyHistogram } from '../../../src/loadtest/histogram.ts';
import type { LoadTestReport } from '../../../src/loadtest/report/schema.ts';
import { Rng } from '../../../src/random.ts';
import { type ManualRun, manualRun } from '../loadtest/fixtures.ts';

let fixture: ManualRun;
beforeAll(async () => {
  fixture = await manualRun({ seed: 1 });
});

/** The fixture with one operation of `count` seeded latencies uniform in [0, maxMs). */
function reportWith(count: number, maxMs: number): LoadTestReport {
  const report = structuredClone(fixture.report);
  const rng = new Rng(count);
  const histogram = new LatencyHistogram();
  for (let i = 0; i < count; i++) histogram.recordMs(rng.next() * maxMs);
  report.operations = {
    search: {
      ...(report.operations.search as LoadTestReport['operations'][string]),
      count,
      errors: 0,
      histogram: histogram.encode(),
    },
  };
  report.summary = {
    ...report.summary,
    latencyMs: histogram.summaryMs(),
    errorRate: 0,
    dropped: 0,
    achievedRatio: 1,
  };
  histogram.destroy();
  return report;
}

const slo = { p99MsMax: 30, errorRateMax: 0.01, achievedRatioMin: 0.95 };

describe('capacity probes', () => {
  it('are sized for 10 / (1 - 0.99) samples at the rate, within the shortest and longest probe', () => {
    expect(probeSamplesWanted()).toBe(1_000);
    expect(probeDurationS(100, 1, 10, 60)).toBe(11);
    expect(probeDurationS(1_000, 1, 10, 60)).toBe(10);
    expect(probeDurationS(5, 1, 10, 60)).toBe(60);
  });

  it('pass with confidence only when p99 is bounded below the SLO by enough samples', () => {
    const many = judgeProbe(reportWith(2_000, 20), slo, 100, 'p');
    expect(many).toMatchObject({ passed: true, confident: true, samples: 2_000 });
    expect(many.p99BoundsMs.high).toBeLessThanOrEqual(20);
    // 100 samples all under 20 ms: p99 meets the SLO, but 100 samples cannot bound p99 from above.
    const few = judgeProbe(reportWith(100, 20), slo, 100, 'p');
    expect(few).toMatchObject({ passed: true, confident: false });
    expect(few.p99BoundsMs.high).toBeNull();
  });

  it('fail with confidence when even the lower bound of p99 misses the SLO', () => {
    const slow = judgeProbe(reportWith(2_000, 100), slo, 100, 'p');
    expect(slow.passed).toBe(false);
    expect(slow.confident).toBe(true);
    expect(slow.reasons.join()).toMatch(/p99 [\d.]+ ms > 30 ms/);
  });
});
