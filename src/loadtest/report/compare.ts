/**
 * Comparing two reports of the same scenario (a baseline and a candidate): per operation and overall,
 * the latency percentiles, the throughput and the error rate, each with its change in percent and a
 * verdict. A figure regresses only when it got worse by more than the tolerance *and* by more than
 * the noise the two runs allow: latency percentiles come with distribution-free order-statistic
 * confidence intervals computed from the decoded HDR histograms (and need enough samples above the
 * percentile to be judged at all), error rates with Wilson intervals, throughput with Poisson
 * intervals on the completion counts when arrivals are random (Poisson or closed-model); a
 * regression needs the two intervals to be apart by more than the tolerance. Runs of different scenarios or targets are refused unless forced; other differences
 * (rate, mode, duration, object store) are warnings, and throughput is then compared as achieved
 * over target rate when the target rates differ; so is a machine clearly busier in one run.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import {
  countInterval,
  type Interval,
  proportionInterval,
  quantileInterval,
} from '../confidence-interval.ts';
import { LatencyHistogram } from '../histogram.ts';
import { formatValue } from './format.ts';
import { machineNoiseWarnings } from './machine-noise.ts';
import { runDifferences } from './run-identity.ts';
import { assertReport, type LoadTestReport } from './schema.ts';

export const COMPARE_DEFAULTS = Object.freeze({
  /** Worse by more than this percentage (beyond the noise) is a regression. */
  tolerancePct: 10,
  /** A latency regression must also be at least this many ms. */
  latencyMsDeltaMin: 0.1,
  /** An error-rate regression must also be at least this much (absolute). */
  errorRateDeltaMin: 0.001,
  /** Confidence level of every interval. */
  confidence: 0.95,
  /** A percentile is judged only when each run has at least this many samples above it. */
  samplesAboveMin: 10,
});

export interface CompareOptions {
  /** @default 10 */
  tolerancePct?: number;
  /** @default 0.1 */
  latencyMsDeltaMin?: number;
  /** @default 0.001 */
  errorRateDeltaMin?: number;
  /** @default 0.95 */
  confidence?: number;
  /** @default 10 */
  samplesAboveMin?: number;
  /** Compare runs of different scenarios or targets instead of refusing them. @default false */
  force?: boolean;
}

export type ComparedMetric =
  | 'p50'
  | 'p90'
  | 'p95'
  | 'p99'
  | 'p999'
  | 'throughputOpsPerS'
  | 'achievedRatio'
  | 'errorRate';

/**
 * `regression`: worse beyond tolerance and noise; `improvement`: better beyond both; `noise`: the
 * point estimates differ by more than the tolerance but the intervals overlap; `unchanged`: within
 * the tolerance; `too few samples`: not enough samples to judge; `missing`: absent from one run.
 */
export type RowVerdict = 'regression' | 'improvement' | 'noise' | 'unchanged' | 'too few samples' | 'missing';

export interface ComparisonRow {
  /** `null` for the whole run. */
  operation: string | null;
  metric: ComparedMetric;
  base: number | null;
  next: number | null;
  /** Relative change in percent (positive: higher); null when either side is missing or base is 0. */
  deltaPct: number | null;
  baseInterval: Interval | null;
  nextInterval: Interval | null;
  verdict: RowVerdict;
  regression: boolean;
}

export interface Comparison {
  tolerancePct: number;
  /** The confidence of the whole table: no row flagged by chance, with at least this probability. */
  confidence: number;
  /** Each row's intervals' confidence (Bonferroni: 1 - (1 - confidence) / rows judged). */
  rowConfidence: number;
  rows: ComparisonRow[];
  regressions: ComparisonRow[];
  regressed: boolean;
  /** Differences between the runs that did not stop the comparison. */
  warnings: string[];
}

interface Settings {
  tolerance: number;
  latencyFloor: number;
  errorFloor: number;
  confidence: number;
  samplesAboveMin: number;
}

const QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
] as const;

/** Aspects in which two runs are too different to compare without `force`. */
const REFUSED_ASPECTS: ReadonlySet<string> = new Set(['scenario', 'target']);

function checkOption(name: string, value: unknown, fallback: number, max = Number.MAX_VALUE): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`${name}\` to be a number from 0 to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function settingsOf(options: CompareOptions): Settings & { tolerancePct: number } {
  const tolerancePct = checkOption('tolerancePct', options.tolerancePct, COMPARE_DEFAULTS.tolerancePct);
  const confidence = checkOption('confidence', options.confidence, COMPARE_DEFAULTS.confidence, 0.9999);
  if (confidence < 0.5) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`confidence\` to be a number from 0.5 to 0.9999, got ${confidence}`,
    );
  }
  return {
    tolerancePct,
    tolerance: tolerancePct / 100,
    latencyFloor: checkOption(
      'latencyMsDeltaMin',
      options.latencyMsDeltaMin,
      COMPARE_DEFAULTS.latencyMsDeltaMin,
    ),
    errorFloor: checkOption(
      'errorRateDeltaMin',
      options.errorRateDeltaMin,
      COMPARE_DEFAULTS.errorRateDeltaMin,
    ),
    confidence,
    samplesAboveMin: checkOption(
      'samplesAboveMin',
      options.samplesAboveMin,
      COMPARE_DEFAULTS.samplesAboveMin,
    ),
  };
}

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
  intervals: { base: Interval | null; next: Interval | null },
  verdict: RowVerdict,
): ComparisonRow {
  return {
    operation,
    metric,
    base,
    next,
    deltaPct: deltaPctOf(base, next),
    baseInterval: intervals.base,
    nextInterval: intervals.next,
    verdict,
    regression: verdict === 'regression',
  };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Latency rows of one operation (or the whole run) from its two histograms (either may be absent). */
function latencyRows(
  operation: string | null,
  base: LatencyHistogram | undefined,
  next: LatencyHistogram | undefined,
  s: Settings,
): ComparisonRow[] {
  return QUANTILES.map(([metric, q]) => {
    const b = base === undefined || base.count === 0 ? null : round3(base.percentileMs(q * 100));
    const n = next === undefined || next.count === 0 ? null : round3(next.percentileMs(q * 100));
    if (base === undefined || next === undefined || b === null || n === null)
      return row(operation, metric, b, n, { base: null, next: null }, 'missing');
    const enough = (h: LatencyHistogram) => h.count * (1 - q) >= s.samplesAboveMin;
    const bi = enough(base) ? quantileInterval(base, q, s.confidence) : null;
    const ni = enough(next) ? quantileInterval(next, q, s.confidence) : null;
    const intervals = { base: bi, next: ni };
    if (bi === null || ni === null) return row(operation, metric, b, n, intervals, 'too few samples');
    return row(
      operation,
      metric,
      b,
      n,
      intervals,
      judgeHigherWorse(bi, ni, { b, n }, s.tolerance, s.latencyFloor),
    );
  });
}

function errorRow(
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
function throughputRow(
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

/** Latency rows whose two histograms both hold enough samples above the percentile to be judged. */
function judgedLatencyRows(
  pairs: ReadonlyArray<[LatencyHistogram | undefined, LatencyHistogram | undefined]>,
  s: Settings,
): number {
  let judged = 0;
  for (const [b, n] of pairs) {
    for (const [, q] of QUANTILES) {
      const enough = (h: LatencyHistogram | undefined) =>
        h !== undefined && h.count * (1 - q) >= s.samplesAboveMin;
      if (enough(b) && enough(n)) judged++;
    }
  }
  return judged;
}

/** Decodes every operation's response-time histogram of a report into `into` (the caller destroys them). */
function decodeOperations(report: LoadTestReport, into: Map<string, LatencyHistogram>): void {
  for (const [name, op] of Object.entries(report.operations))
    into.set(name, LatencyHistogram.decode(op.histogram));
}

function sumOf(histograms: Iterable<LatencyHistogram>): LatencyHistogram {
  const sum = new LatencyHistogram();
  for (const histogram of histograms) sum.add(histogram);
  return sum;
}

/**
 * Differences that stop the comparison (INVALID_ARGUMENT unless `force`) and those that are only
 * warned about; whether throughput is compared as achieved/target because the target rates differ.
 */
function comparability(base: LoadTestReport, next: LoadTestReport, force: boolean) {
  const differences = runDifferences(base, next);
  const refused = differences.filter((d) => REFUSED_ASPECTS.has(d.aspect));
  if (refused.length > 0 && !force) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected two runs of the same scenario and target to compare, got ${refused.map((d) => d.message).join(', ')} (pass --force to compare them anyway)`,
    );
  }
  const byRatio =
    differences.some((d) => d.aspect === 'rate') &&
    base.summary.achievedRatio !== null &&
    next.summary.achievedRatio !== null;
  const warnings = [
    ...differences.map(
      (d) =>
        `the runs differ: ${d.message}` +
        (d.aspect === 'rate' && byRatio ? ' (throughput compared as achieved/target rate)' : ''),
    ),
    ...machineNoiseWarnings(base, next),
  ];
  return { warnings, byRatio };
}

export function compareReports(
  base: LoadTestReport,
  next: LoadTestReport,
  options: CompareOptions = {},
): Comparison {
  assertReport(base, 'the base report');
  assertReport(next, 'the new report');
  const s = settingsOf(options);
  const { warnings, byRatio } = comparability(base, next, options.force === true);
  const baseOps = new Map<string, LatencyHistogram>();
  const nextOps = new Map<string, LatencyHistogram>();
  const totals: LatencyHistogram[] = [];
  try {
    decodeOperations(base, baseOps);
    decodeOperations(next, nextOps);
    const baseAll = sumOf(baseOps.values());
    totals.push(baseAll);
    const nextAll = sumOf(nextOps.values());
    totals.push(nextAll);
    const names = [...new Set([...baseOps.keys(), ...nextOps.keys()])];
    const pairs: Array<[LatencyHistogram | undefined, LatencyHistogram | undefined]> = [
      [baseAll, nextAll],
      ...names.map((name): [LatencyHistogram | undefined, LatencyHistogram | undefined] => [
        baseOps.get(name),
        nextOps.get(name),
      ]),
    ];
    // Bonferroni: the confidence holds for the table as a whole, so each judged row's is higher.
    const judged = judgedLatencyRows(pairs, s) + names.length + 2;
    const rowConfidence = 1 - (1 - s.confidence) / judged;
    const r: Settings = { ...s, confidence: rowConfidence };
    const rows: ComparisonRow[] = [
      ...latencyRows(null, baseAll, nextAll, r),
      throughputRow(base, next, r, byRatio),
      errorRow(
        null,
        { count: base.summary.operations, errors: base.summary.errors },
        { count: next.summary.operations, errors: next.summary.errors },
        r,
      ),
    ];
    for (const name of names) {
      rows.push(...latencyRows(name, baseOps.get(name), nextOps.get(name), r));
      rows.push(errorRow(name, base.operations[name], next.operations[name], r));
    }
    const regressions = rows.filter((r) => r.regression);
    return {
      tolerancePct: s.tolerancePct,
      confidence: s.confidence,
      rowConfidence,
      rows,
      regressions,
      regressed: regressions.length > 0,
      warnings,
    };
  } finally {
    for (const histogram of [...totals, ...baseOps.values(), ...nextOps.values()]) histogram.destroy();
  }
}

const METRIC_LABELS: Record<ComparedMetric, string> = {
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  p999: 'p99.9',
  throughputOpsPerS: 'throughput',
  achievedRatio: 'achieved/target',
  errorRate: 'error rate',
};

const UNITS: Record<ComparedMetric, string> = {
  p50: ' ms',
  p90: ' ms',
  p95: ' ms',
  p99: ' ms',
  p999: ' ms',
  throughputOpsPerS: ' ops/s',
  achievedRatio: '',
  errorRate: '',
};

const VERDICT_LABELS: Record<RowVerdict, string> = {
  regression: '❌ regression',
  improvement: 'improvement',
  noise: 'within noise',
  unchanged: '',
  'too few samples': 'too few samples',
  missing: 'missing',
};

const figure = (value: number | null) => (value === null ? '–' : formatValue(value));
const interval = (i: Interval | null) => (i === null ? '–' : `${formatValue(i.low)}–${formatValue(i.high)}`);

/** The comparison as a Markdown table (regressions marked), for the console and pull requests. */
export function formatComparison(comparison: Comparison): string {
  const ci = `${Math.round(comparison.rowConfidence * 10_000) / 100}% CI`;
  const header = `| operation | metric | base | new | change | base ${ci} | new ${ci} | |\n|---|---|---|---|---|---|---|---|`;
  const lines = comparison.rows.map((r) => {
    const change = r.deltaPct === null ? '–' : `${r.deltaPct > 0 ? '+' : ''}${r.deltaPct}%`;
    const unit = UNITS[r.metric];
    return `| ${r.operation ?? 'all'} | ${METRIC_LABELS[r.metric]} | ${figure(r.base)}${unit} | ${figure(r.next)}${unit} | ${change} | ${interval(r.baseInterval)} | ${interval(r.nextInterval)} | ${VERDICT_LABELS[r.verdict]} |`;
  });
  const warnings = comparison.warnings.map((w) => `warning: ${w}\n`).join('');
  const note = `intervals: order statistics of the HDR histograms (latency), Wilson (error rate); each row at ${Math.round(comparison.rowConfidence * 10_000) / 100}% so that the table holds at ${Math.round(comparison.confidence * 1000) / 10}%\n`;
  const verdict = comparison.regressed
    ? `${comparison.regressions.length} regression(s) beyond ${comparison.tolerancePct}% and the noise`
    : `no regression beyond ${comparison.tolerancePct}% and the noise`;
  return `${warnings}${warnings === '' ? '' : '\n'}${header}\n${lines.join('\n')}\n\n${note}${verdict}\n`;
}
