import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/loadtest/histogram.ts';
import {
  distinctValuesMs,
  HarnessMetrics,
  LATENCY_BUCKETS_S,
} from '../../../src/loadtest/live/harness-metrics.ts';
import type { LoadTestProgress } from '../../../src/loadtest/run-session.ts';
import { Rng } from '../../../src/random.ts';
import { parseOpenMetrics, sampleValue } from '../../helpers/openmetrics.ts';

function histogramOf(values: number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const ms of values) histogram.recordMs(ms);
  return histogram;
}

function progress(histograms: Map<string, LatencyHistogram>): LoadTestProgress {
  const counts = Object.fromEntries(
    [...histograms].map(([name, h]) => [
      name,
      { count: h.count, errors: 0, latencyMs: { p50: 1, p95: 1, p99: 1 } },
    ]),
  );
  return {
    elapsedS: 1,
    durationS: 10,
    fraction: 0.1,
    phase: 'measuring',
    targetOpsPerS: 10,
    completed: 0,
    errors: 0,
    dropped: 0,
    latencyHistograms: histograms,
    interval: {
      tS: 1,
      intervalS: 1,
      targetRate: 10,
      achievedRate: 10,
      count: 0,
      inFlight: 0,
      queued: 0,
      dropped: 0,
      errors: 0,
      latencyMs: { p50: 1, p95: 1, p99: 1 },
      operations: counts,
      rssBytes: 1,
      heapUsedBytes: 1,
      cpuPercent: 1,
      eventLoopDelayMsP99: 1,
      gauges: {},
    },
  };
}

describe('distinctValuesMs', () => {
  it('gives every recorded value with its count, as a sorted array of the samples would (seeded)', () => {
    const rng = new Rng(4);
    const values = Array.from(
      { length: 2_000 },
      () => Math.round(rng.nextExponential(0.2) * 100) / 100 + 0.01,
    );
    const histogram = histogramOf(values);
    const distinct = [...distinctValuesMs(histogram)];
    expect(distinct.reduce((sum, [, count]) => sum + count, 0)).toBe(values.length);
    // Ascending, and each value is its samples' HDR-equivalent value (within 0.1 % + 1 µs).
    const sorted = [...values].sort((a, b) => a - b);
    let rank = 0;
    for (const [valueMs, count] of distinct) {
      for (let i = 0; i < count; i++, rank++) {
        const exact = sorted[rank] as number;
        expect(Math.abs(valueMs - exact)).toBeLessThanOrEqual(exact * 0.002 + 0.001);
      }
    }
    histogram.destroy();
  });
});

describe('HarnessMetrics latency histogram', () => {
  it('counts each interval value in the buckets of LATENCY_BUCKETS_S, cumulatively across intervals', async () => {
    const metrics = new HarnessMetrics();
    const first = histogramOf([0.3, 0.3, 4, 40, 700]);
    const second = histogramOf([4, 20_000]);
    metrics.observe(progress(new Map([['search', first]])));
    metrics.observe(progress(new Map([['search', second]])));
    const families = parseOpenMetrics(await metrics.text());
    const bucket = (le: string) =>
      sampleValue(families, 'tiervec_loadtest_latency_seconds_bucket', { operation: 'search', le });
    expect(bucket('0.0005')).toBe(2);
    expect(bucket('0.005')).toBe(4);
    expect(bucket('0.05')).toBe(5);
    expect(bucket('1')).toBe(6);
    expect(bucket('10')).toBe(6);
    expect(bucket('+Inf')).toBe(7);
    expect(
      sampleValue(families, 'tiervec_loadtest_latency_seconds_sum', { operation: 'search' }),
    ).toBeCloseTo(20.7486, 1);
    expect(families.find((f) => f.name === 'tiervec_loadtest_latency_seconds')?.type).toBe('histogram');
    expect(LATENCY_BUCKETS_S[0]).toBe(0.0005);
    first.destroy();
    second.destroy();
  });
});
