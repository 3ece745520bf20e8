/**
 * One capacity probe: how long it must run to hold enough samples at the SLO percentile, and its
 * verdict with how sure it is. A probe passes when p99, the error rate, drops and the achieved rate
 * meet the SLO; it is confident when the one-sided order-statistic bound of its p99 (from the
 * decoded HDR histograms) falls on the same side of the limit as its p99 itself. Reads reports, runs
 * nothing.
 */

import { quantileBounds } from '../loadtest/confidence-interval.ts';
import { LatencyHistogram } from '../loadtest/histogram.ts';
import type { LoadTestReport } from '../loadtest/report/schema.ts';
import type { CapacityProbe } from './capacity-report.ts';

export const CAPACITY_PROBE_DEFAULTS = Object.freeze({
  /** The SLO percentile, as a fraction. */
  quantile: 0.99,
  /** A probe is sized for this many samples above the SLO percentile: 10 / (1 - q) samples in all. */
  samplesAboveMin: 10,
  /** Shortest probe, seconds (also what `--probe-duration-s` sets). */
  probeDurationSMin: 10,
  /** Longest probe, seconds, however low the rate. */
  probeDurationSMax: 60,
  /** One-sided confidence of a probe's verdict. */
  confidence: 0.95,
  errorRateMax: 0.01,
  achievedRatioMin: 0.95,
});

export interface ProbeSlo {
  p99MsMax: number;
  errorRateMax: number;
  achievedRatioMin: number;
}

/** Samples a probe is sized for: 10 / (1 - q), 1,000 for p99. */
export function probeSamplesWanted(quantile = CAPACITY_PROBE_DEFAULTS.quantile): number {
  return Math.ceil(CAPACITY_PROBE_DEFAULTS.samplesAboveMin / (1 - quantile));
}

/** Seconds a probe at `rate` runs: warm-up plus the time to collect the samples wanted, within [min, max]. */
export function probeDurationS(rate: number, warmupS: number, minS: number, maxS: number): number {
  const wantedS = warmupS + probeSamplesWanted() / rate;
  return Math.ceil(Math.min(Math.max(wantedS, minS), Math.max(minS, maxS)));
}

/** The p99 bounds of every measured operation together, ms. */
function p99Bounds(report: LoadTestReport): { samples: number; low: number | null; high: number | null } {
  const sum = new LatencyHistogram();
  try {
    for (const op of Object.values(report.operations)) {
      const histogram = LatencyHistogram.decode(op.histogram);
      sum.add(histogram);
      histogram.destroy();
    }
    const bounds = quantileBounds(sum, CAPACITY_PROBE_DEFAULTS.quantile, CAPACITY_PROBE_DEFAULTS.confidence);
    return { samples: sum.count, ...bounds };
  } finally {
    sum.destroy();
  }
}

export function judgeProbe(
  report: LoadTestReport,
  slo: ProbeSlo,
  rate: number,
  reportPath: string,
): CapacityProbe {
  const s = report.summary;
  const reasons: string[] = [];
  if (s.latencyMs.p99 > slo.p99MsMax) reasons.push(`p99 ${s.latencyMs.p99} ms > ${slo.p99MsMax} ms`);
  if (s.errorRate > slo.errorRateMax) reasons.push(`error rate ${s.errorRate} > ${slo.errorRateMax}`);
  if (s.dropped > 0) reasons.push(`${s.dropped} arrivals dropped`);
  if (s.achievedRatio !== null && s.achievedRatio < slo.achievedRatioMin) {
    reasons.push(`achieved/offered ${s.achievedRatio} < ${slo.achievedRatioMin}`);
  }
  if (report.stopReason !== 'completed') reasons.push('stopped early');
  const bounds = p99Bounds(report);
  const latencyOnly = reasons.length === 1 && s.latencyMs.p99 > slo.p99MsMax;
  // A pass is sure when even p99's upper bound meets the limit; a failure on latency alone when even
  // its lower bound misses it. Errors, drops and a short achieved rate are facts, not estimates.
  const confident =
    reasons.length === 0
      ? bounds.high !== null && bounds.high <= slo.p99MsMax
      : !latencyOnly || (bounds.low !== null && bounds.low > slo.p99MsMax);
  return {
    rate,
    passed: reasons.length === 0,
    reasons,
    confident,
    samples: bounds.samples,
    durationS: report.durationS,
    p99BoundsMs: { low: bounds.low, high: bounds.high },
    latencyMs: s.latencyMs,
    throughputOpsPerS: s.throughputOpsPerS,
    achievedRatio: s.achievedRatio,
    errorRate: s.errorRate,
    dropped: s.dropped,
    report: reportPath,
  };
}
