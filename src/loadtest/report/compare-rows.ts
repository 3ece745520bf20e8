/**
 * The rows of a comparison, each one figure of both runs with its intervals and verdict: latency
 * percentiles (order statistics of the HDR histograms), typical latency (Welch t over the measured
 * seconds), error rate (Wilson) and throughput (Poisson when arrivals are random). Each row is judged
 * on its own; which rows there are, the table's confidence and the busier-machine rule are
 * `compare.ts`'s.
 */

import {
  countInterval,
  type Interval,
  logRatioInterval,
  proportionInterval,
  quantileInterval,
} from '../confidence-interval.ts';
import type { LatencyHistogram } from '../histogram.ts';
import type { LoadTestReport } from './schema.ts';

export type ComparedMetric =
  | 'typical'
  | 'p50'
  | 'p90'
  | 'p95'
  | 'p99'
  | 'p999'
  | 'throughputOpsPerS'
  | 'achievedRatio'
  | 'errorRate';

/**
 * `regression`: worse beyond tolerance and noise; `inconclusive`: so it seems, but the new run's
 * machine was measurably busier and the operation does not stand out against the run's others;
 * `improvement`: better beyond both; `noise`: the point estimates differ by more than the tolerance
 * but the intervals overlap; `unchanged`: within the tolerance; `too few samples`: not enough
 * samples (or seconds) to judge; `missing`: absent from one run; `shown`: not judged (response time).
 */
export type RowVerdict =
  | 'regression'
  | 'inconclusive'
  | 'improvement'
  | 'noise'
  | 'unchanged'
  | 'too few samples'
  | 'missing'
  | 'shown';

/** Which latency a row is of: the latency rows judge service time and show response time. */
export type RowLatency = 'service' | 'response';

export interface ComparisonRow {
  /** `null` for the whole run. */
  operation: string | null;
  metric: ComparedMetric;
  /** The latency a latency row is of; null for throughput and error rate. */
  latency: RowLatency | null;
  base: number | null;
  next: number | null;
  /** Relative change in percent (positive: higher); null when either side is missing or base is 0. */
  deltaPct: number | null;
  baseInterval: Interval | null;
  nextInterval: Interval | null;
  /** Typical latency: the interval of new/base that holds the run-to-run noise. */
  ratioInterval: Interval | null;
  verdict: RowVerdict;
  regression: boolean;
}

export interface Settings {
  tolerance: number;
  latencyFloor: number;
  errorFloor: number;
  confidence: number;
  samplesAboveMin: number;
  secondsMin: number;
}

export const QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
] as const;

/** Aspects in which two runs are too different to compare without `force`. */
const deltaPctOf = (b: number | null, n: number | null) =>
  b === null || n === null || b === 0 ? null : Math.round(((n - b) / b) * 10_000) / 100;

/**
 * The verdict of one figure where higher is worse: a regression when the new interval's low end is
 * above the base interval's high end by more than the tolerance and the floor; the mirror image is
 * an improvement.
 */
function judgeHigherWorse(
  b: Interval,
  n: Interval,
  point: { b: number; n: number },
  tolerance: number,
  floor: number,
): RowVerdict {
  if (n.low > b.high * (1 + tolerance) && n.low - b.high >= floor) return 'regression';
  if (b.low > n.high * (1 + tolerance) && b.low - n.high >= floor) return 'improvement';
  const beyond =
    Math.abs(point.n - point.b) > Math.abs(point.b) * tolerance && Math.abs(point.n - point.b) >= floor;
  return beyond ? 'noise' : 'unchanged';
}

function row(
  operation: string | null,
  metric: ComparedMetric,
  base: number | null,
  next: number | null,
  intervals: { base: Interval | null; next: Interval | null; ratio?: Interval | null },
  verdict: RowVerdict,
  latency: RowLatency | null = null,
): ComparisonRow {
  return {
    operation,
    metric,
    latency,
    base,
    next,
    deltaPct: deltaPctOf(base, next),
    baseInterval: intervals.base,
    nextInterval: intervals.next,
    ratioInterval: intervals.ratio ?? null,
    verdict,
    regression: verdict === 'regression',
  };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Latency rows of one operation (or the whole run) from its two histograms (either may be absent). */
export function latencyRows(
  operation: string | null,
  base: LatencyHistogram | undefined,
  next: LatencyHistogram | undefined,
  s: Settings,
  latency: RowLatency,
): ComparisonRow[] {
  return QUANTILES.map(([metric, q]) => {
    const b = base === undefined || base.count === 0 ? null : round3(base.percentileMs(q * 100));
    const n = next === undefined || next.count === 0 ? null : round3(next.percentileMs(q * 100));
    const at = (verdict: RowVerdict, intervals: { base: Interval | null; next: Interval | null }) =>
      row(operation, metric, b, n, intervals, verdict, latency);
    if (base === undefined || next === undefined || b === null || n === null)
      return at('missing', { base: null, next: null });
    const enough = (h: LatencyHistogram) => h.count * (1 - q) >= s.samplesAboveMin;
    const bi = enough(base) ? quantileInterval(base, q, s.confidence) : null;
    const ni = enough(next) ? quantileInterval(next, q, s.confidence) : null;
    const intervals = { base: bi, next: ni };
    if (latency === 'response') return at('shown', intervals);
    if (bi === null || ni === null) return at('too few samples', intervals);
    return at(judgeHigherWorse(bi, ni, { b, n }, s.tolerance, s.latencyFloor), intervals);
  });
}

/**
 * The typical-latency row of one operation (or the whole run): the geometric mean of its measured
 * seconds' median service times, judged by the Welch interval of the ratio new/base, whose width is
 * how much the seconds of each run wander (the machine's noise over the run, not just sampling).
 */
export function typicalRow(
  operation: string | null,
  base: readonly number[],
  next: readonly number[],
  s: Settings,
): ComparisonRow {
  const geometric = (logs: readonly number[]) =>
    logs.length === 0 ? null : round3(Math.exp(logs.reduce((sum, x) => sum + x, 0) / logs.length));
  const [b, n] = [geometric(base), geometric(next)];
  const at = (verdict: RowVerdict, ratio: Interval | null) =>
    row(operation, 'typical', b, n, { base: null, next: null, ratio }, verdict, 'service');
  if (b === null || n === null) return at('missing', null);
  if (base.length < s.secondsMin || next.length < s.secondsMin) return at('too few samples', null);
  const ratio = logRatioInterval(base, next, s.confidence) as Interval;
  const apart = 1 + s.tolerance;
  const delta = Math.abs(n - b);
  let verdict: RowVerdict;
  if (ratio.low > apart && delta >= s.latencyFloor) verdict = 'regression';
  else if (ratio.high < 1 / apart && delta >= s.latencyFloor) verdict = 'improvement';
  else verdict = delta > b * s.tolerance && delta >= s.latencyFloor ? 'noise' : 'unchanged';
  return at(verdict, ratio);
}

export function errorRow(
  operation: string | null,
  base: { count: number; errors: number } | undefined,
  next: { count: number; errors: number } | undefined,
  s: Settings,
): ComparisonRow {
  const rate = (x: typeof base) => (x === undefined ? null : x.count > 0 ? x.errors / x.count : 0);
  const b = rate(base);
  const n = rate(next);
  const bi = base === undefined ? null : proportionInterval(base.errors, base.count, s.confidence);
  const ni = next === undefined ? null : proportionInterval(next.errors, next.count, s.confidence);
  if (b === null || n === null) return row(operation, 'errorRate', b, n, { base: bi, next: ni }, 'missing');
  if (bi === null || ni === null)
    return row(operation, 'errorRate', b, n, { base: bi, next: ni }, 'too few samples');
  const verdict = judgeHigherWorse(bi, ni, { b, n }, s.tolerance, s.errorFloor);
  return row(operation, 'errorRate', b, n, { base: bi, next: ni }, verdict);
}

/** The verdict of one figure where lower is worse (throughput), by the same rule mirrored. */
function judgeLowerWorse(
  b: Interval,
  n: Interval,
  point: { b: number; n: number },
  tolerance: number,
): RowVerdict {
  if (n.high < b.low * (1 - tolerance)) return 'regression';
  if (b.high < n.low * (1 - tolerance)) return 'improvement';
  return Math.abs(point.n - point.b) > Math.abs(point.b) * tolerance ? 'noise' : 'unchanged';
}

/** Throughput (or achieved/target when the target rates differ), where lower is worse. */
export function throughputRow(
  base: LoadTestReport,
  next: LoadTestReport,
  s: Settings,
  byRatio: boolean,
): ComparisonRow {
  const figure = (r: LoadTestReport) => (byRatio ? r.summary.achievedRatio : r.summary.throughputOpsPerS);
  // Evenly spaced arrivals offer a fixed count: a shortfall is the system's, not noise. Poisson
  // arrivals and closed-model clients make the count itself random: its noise is then Poisson's.
  const interval = (r: LoadTestReport): Interval | null => {
    const value = figure(r);
    if (value === null) return null;
    const count = r.summary.throughputOpsPerS * Math.max(r.durationS - r.warmupS, 0);
    const random = Object.values(r.groups).some((g) => g.model === 'closed' || g.arrival === 'poisson');
    if (!random) return { low: value, high: value };
    if (!(count > 0)) return { low: 0, high: value };
    const c = countInterval(count, s.confidence);
    return { low: (c.low * value) / count, high: (c.high * value) / count };
  };
  const metric = byRatio ? 'achievedRatio' : 'throughputOpsPerS';
  const [b, n, bi, ni] = [figure(base), figure(next), interval(base), interval(next)];
  const intervals = { base: bi, next: ni };
  if (b === null || n === null || bi === null || ni === null)
    return row(null, metric, b, n, intervals, 'missing');
  return row(null, metric, b, n, intervals, judgeLowerWorse(bi, ni, { b, n }, s.tolerance));
}
