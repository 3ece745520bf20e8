/**
 * Latency percentile distributions from the stored HDR histograms: for each operation, response
 * and service time at percentiles from the median to the max, on HdrHistogram's usual x axis
 * (-log10(1 - q), so that 90, 99, 99.9 and 99.99 are evenly spaced). Pure apart from the
 * histograms it decodes, which it frees.
 */

import type { ResolvedCriteria } from '../criteria.ts';
import { LatencyHistogram } from '../histogram.ts';
import { type ChartSpec, latencyThresholds, OPERATION_CHARTS_MAX } from './chart-data.ts';
import type { OperationReport } from './schema.ts';

/** The percentiles a distribution is drawn at (100 is the max). */
export const DISTRIBUTION_PERCENTILES = [
  0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100,
] as const;

/** The x position of percentile `q`: -log10(1 - q/100), with the max one decade past 99.999. */
export function percentileX(q: number): number {
  return q >= 100 ? 6 : -Math.log10(1 - q / 100);
}

const TICKS = [0, 50, 90, 99, 99.9, 99.99, 99.999, 100].map((q) => ({
  value: percentileX(q),
  label: q === 100 ? 'max' : `p${q}`,
}));

function valuesAt(encoded: string, percentiles: readonly number[]): number[] {
  const histogram = LatencyHistogram.decode(encoded);
  try {
    // A log axis cannot show 0: a sub-microsecond value is drawn at 1 µs.
    return percentiles.map((q) => Math.max(0.001, Math.round(histogram.percentileMs(q) * 1000) / 1000));
  } finally {
    histogram.destroy();
  }
}

/** One distribution chart per operation that completed anything, with the run's and the operation's latency limits. */
export function distributionCharts(
  operations: Record<string, Pick<OperationReport, 'count' | 'histogram' | 'serviceTimeHistogram'>>,
  criteria: ResolvedCriteria,
): ChartSpec[] {
  return Object.entries(operations)
    .filter(([, op]) => op.count > 0)
    .slice(0, OPERATION_CHARTS_MAX)
    .map(([name, op], i) => {
      // Past 1 - 1/count every percentile is the max: stop there so the curve ends at its data.
      const qMax = 100 * (1 - 1 / Math.max(op.count, 2));
      const percentiles = DISTRIBUTION_PERCENTILES.filter((q) => q <= qMax || q === 100);
      return {
        id: `distribution-${i}`,
        title: `Latency distribution: ${name} (${op.count} operations)`,
        kind: 'percentile' as const,
        x: percentiles.map(percentileX),
        xTicks: TICKS,
        yLabel: 'ms',
        yLog: true,
        // Limits of a window are drawn on the time charts; over the whole run they would mislead.
        thresholds: [...latencyThresholds(criteria, null), ...latencyThresholds(criteria, name)].filter(
          (t) => t.fromS === undefined,
        ),
        series: [
          { label: 'response time', unit: 'ms', values: valuesAt(op.histogram, percentiles) },
          {
            label: 'service time',
            unit: 'ms',
            dash: true,
            values: valuesAt(op.serviceTimeHistogram, percentiles),
          },
        ],
      };
    });
}
