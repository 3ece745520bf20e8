import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import { HISTOGRAM_VALUE_US_MAX, LatencyHistogram } from '../../../src/loadtest/histogram.ts';

/** Nearest-rank percentile of a sorted array: the smallest value with at least p % of values at or below it. */
function nearestRank(sorted: number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** HDR with 3 significant digits reports a value equivalent to the true one within 1/1000 of it (and 1 µs). */
const withinHdrPrecision = (hdrUs: number, exactUs: number) =>
  Math.abs(hdrUs - exactUs) <= exactUs / 1000 + 1;

describe('LatencyHistogram', () => {
  it('percentiles equal those of a sorted array within HDR precision (property, seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 600_000_000 }), { minLength: 1, maxLength: 2_000 }),
        fc.constantFrom(1, 25, 50, 90, 95, 99, 99.9, 100),
        (valuesUs, percentile) => {
          const histogram = new LatencyHistogram();
          try {
            for (const us of valuesUs) histogram.recordUs(us);
            const sorted = [...valuesUs].sort((a, b) => a - b);
            expect(histogram.count).toBe(valuesUs.length);
            const hdrUs = histogram.percentileMs(percentile) * 1000;
            expect(withinHdrPrecision(Math.round(hdrUs), nearestRank(sorted, percentile))).toBe(true);
          } finally {
            histogram.destroy();
          }
        },
      ),
      { seed: 20_240_601, numRuns: 200 },
    );
  });

  it('adding decoded histograms equals one histogram of the union (property, seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 500 }),
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 500 }),
        (a, b) => {
          const [ha, hb, union] = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
          try {
            for (const us of a) ha.recordUs(us);
            for (const us of b) hb.recordUs(us);
            for (const us of [...a, ...b]) union.recordUs(us);
            const merged = LatencyHistogram.decode(ha.encode());
            const decodedB = LatencyHistogram.decode(hb.encode());
            merged.add(decodedB);
            decodedB.destroy();
            expect(merged.summaryMs()).toEqual(union.summaryMs());
            expect(merged.count).toBe(a.length + b.length);
            merged.destroy();
          } finally {
            for (const h of [ha, hb, union]) h.destroy();
          }
        },
      ),
      { seed: 77, numRuns: 50 },
    );
  });

  it('clamps negative and over-range values instead of throwing, and reports an empty histogram as zeros', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.summaryMs()).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    histogram.recordMs(-3);
    histogram.recordMs(10 * 3_600_000);
    expect(histogram.count).toBe(2);
    expect(histogram.percentileMs(0)).toBe(0);
    expect(withinHdrPrecision(histogram.percentileMs(100) * 1000, HISTOGRAM_VALUE_US_MAX)).toBe(true);
    histogram.reset();
    expect(histogram.count).toBe(0);
    histogram.destroy();
    histogram.destroy();
  });

  it('refuses to decode what is not an encoded histogram with INVALID_ARGUMENT', () => {
    for (const text of ['garbage', '', 'HISTFAAA']) {
      expect(() => LatencyHistogram.decode(text)).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
      );
    }
  });
});
