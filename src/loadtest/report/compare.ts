/**
 * Comparing two reports of the same scenario (a baseline and a candidate): per operation and overall,
 * the typical service time, the service-time percentiles, the throughput and the error rate, each
 * with its change in percent and a verdict. A figure regresses only when it got worse by more than
 * the tolerance *and* by more than the noise the two runs allow:
 * - typical latency (the geometric mean of each measured second's median service time) by a Welch
 *   t interval on its ratio, whose width comes from how much those seconds wander: the machine's
 *   noise at the time scale of a run, which one histogram's samples cannot show;
 * - percentiles by distribution-free order-statistic intervals from the decoded HDR histograms
 *   (judged only with enough samples above them): sampling noise, apart by the tolerance;
 * - error rates by Wilson intervals, throughput by Poisson intervals when arrivals are random.
 * Response time (which counts queueing, so its samples are not independent) is shown, not judged.
 * A regression in a run whose machine was measurably busier is called inconclusive unless the
 * operation stands out against the run's other operations. Runs of different scenarios or targets
 * are refused unless forced; other differences are warnings.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import { LatencyHistogram } from '../histogram.ts';
import {
  type ComparisonRow,
  errorRow,
  latencyRows,
  QUANTILES,
  type Settings,
  throughputRow,
  typicalRow,
} from './compare-rows.ts';
import { type LatencySeconds, latencySeconds } from './latency-seconds.ts';
import { machineNoise } from './machine-noise.ts';
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
  /** Typical latency is judged only when each run has at least this many measured seconds of it. */
  secondsMin: 5,
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
  /** @default 5 */
  secondsMin?: number;
  /** Compare runs of different scenarios or targets instead of refusing them. @default false */
  force?: boolean;
}

export type { ComparedMetric, ComparisonRow, RowLatency, RowVerdict } from './compare-rows.ts';

export interface Comparison {
  tolerancePct: number;
  /** The confidence of the whole table: no row flagged by chance, with at least this probability. */
  confidence: number;
  /** Each row's intervals' confidence (Bonferroni: 1 - (1 - confidence) / rows judged). */
  rowConfidence: number;
  rows: ComparisonRow[];
  regressions: ComparisonRow[];
  regressed: boolean;
  /** Rows that would regress but for a measurably busier machine in the new run. */
  inconclusive: ComparisonRow[];
  /** `regression` (exit 1), `inconclusive` (no regression, but some rows cannot be told from the machine), `pass`. */
  outcome: 'regression' | 'inconclusive' | 'pass';
  /** Differences between the runs that did not stop the comparison. */
  warnings: string[];
}

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
    secondsMin: Math.max(2, checkOption('secondsMin', options.secondsMin, COMPARE_DEFAULTS.secondsMin)),
  };
}

type Pair = [LatencyHistogram | undefined, LatencyHistogram | undefined];

/** Rows judged, for Bonferroni: percentiles with enough samples, typical latencies with enough seconds. */
function judgedRows(
  pairs: ReadonlyArray<Pair>,
  seconds: ReadonlyArray<[readonly number[], readonly number[]]>,
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
  for (const [b, n] of seconds) if (b.length >= s.secondsMin && n.length >= s.secondsMin) judged++;
  return judged;
}

/** Decoded histograms of one report; `destroy()` frees them all. */
class DecodedRun {
  readonly service = new Map<string, LatencyHistogram>();
  readonly response = new Map<string, LatencyHistogram>();
  readonly totals: LatencyHistogram[] = [];

  decode(report: LoadTestReport): void {
    for (const [name, op] of Object.entries(report.operations)) {
      this.response.set(name, LatencyHistogram.decode(op.histogram));
      this.service.set(name, LatencyHistogram.decode(op.serviceTimeHistogram));
    }
  }

  sum(which: 'service' | 'response'): LatencyHistogram {
    const sum = new LatencyHistogram();
    this.totals.push(sum);
    for (const histogram of this[which].values()) sum.add(histogram);
    return sum;
  }

  destroy(): void {
    for (const h of [...this.totals, ...this.service.values(), ...this.response.values()]) h.destroy();
  }
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
  const noise = machineNoise(base, next);
  const warnings = [
    ...differences.map(
      (d) =>
        `the runs differ: ${d.message}` +
        (d.aspect === 'rate' && byRatio ? ' (throughput compared as achieved/target rate)' : ''),
    ),
    ...noise.warnings,
  ];
  return { warnings, byRatio, busier: noise.busier };
}

/** The median of the typical-latency ratios (new/base) of the operations other than `operation`. */
function othersRatio(rows: readonly ComparisonRow[], operation: string): number | null {
  const ratios = rows
    .filter((r) => r.metric === 'typical' && r.operation !== null && r.operation !== operation)
    .filter((r) => r.verdict !== 'missing' && r.verdict !== 'too few samples' && r.base && r.next)
    .map((r) => (r.next as number) / (r.base as number))
    .sort((x, y) => x - y);
  if (ratios.length === 0) return null;
  const middle = Math.floor(ratios.length / 2);
  return ratios.length % 2 === 1
    ? (ratios[middle] as number)
    : ((ratios[middle - 1] as number) + (ratios[middle] as number)) / 2;
}

/**
 * A latency regression of a run whose machine was measurably busier stays one only when the
 * operation got slower than the run's other operations did (their median typical ratio) by more
 * than the tolerance, judged on the low end of its own ratio; otherwise it is inconclusive.
 */
function standsOut(r: ComparisonRow, rows: readonly ComparisonRow[], tolerance: number): boolean {
  if (r.operation === null || r.latency !== 'service') return false;
  const others = othersRatio(rows, r.operation);
  if (others === null) return false;
  const low =
    r.ratioInterval !== null
      ? r.ratioInterval.low
      : r.baseInterval !== null && r.nextInterval !== null
        ? r.nextInterval.low / r.baseInterval.high
        : 0;
  return low / Math.max(1, others) > 1 + tolerance;
}

function operationRows(
  name: string | null,
  pair: Pair,
  seconds: [readonly number[], readonly number[]],
  r: Settings,
): ComparisonRow[] {
  return [typicalRow(name, seconds[0], seconds[1], r), ...latencyRows(name, pair[0], pair[1], r, 'service')];
}

export function compareReports(
  base: LoadTestReport,
  next: LoadTestReport,
  options: CompareOptions = {},
): Comparison {
  assertReport(base, 'the base report');
  assertReport(next, 'the new report');
  const s = settingsOf(options);
  const { warnings, byRatio, busier } = comparability(base, next, options.force === true);
  const runs = [new DecodedRun(), new DecodedRun()] as const;
  try {
    runs[0].decode(base);
    runs[1].decode(next);
    const secs: [LatencySeconds, LatencySeconds] = [latencySeconds(base), latencySeconds(next)];
    const names = [...new Set([...runs[0].service.keys(), ...runs[1].service.keys()])];
    const allPair: Pair = [runs[0].sum('service'), runs[1].sum('service')];
    const pairs = names.map((name): Pair => [runs[0].service.get(name), runs[1].service.get(name)]);
    const seconds = names.map((name): [number[], number[]] => [
      secs[0].operations.get(name) ?? [],
      secs[1].operations.get(name) ?? [],
    ]);
    const allSeconds: [number[], number[]] = [secs[0].all, secs[1].all];
    // Bonferroni: the confidence holds for the table as a whole, so each judged row's is higher.
    const judged = judgedRows([allPair, ...pairs], [allSeconds, ...seconds], s) + names.length + 2;
    const rowConfidence = 1 - (1 - s.confidence) / judged;
    const r: Settings = { ...s, confidence: rowConfidence };
    const rows: ComparisonRow[] = [
      ...operationRows(null, allPair, allSeconds, r),
      ...latencyRows(null, runs[0].sum('response'), runs[1].sum('response'), r, 'response'),
      throughputRow(base, next, r, byRatio),
      errorRow(
        null,
        { count: base.summary.operations, errors: base.summary.errors },
        { count: next.summary.operations, errors: next.summary.errors },
        r,
      ),
    ];
    names.forEach((name, i) => {
      rows.push(...operationRows(name, pairs[i] as Pair, seconds[i] as [number[], number[]], r));
      rows.push(errorRow(name, base.operations[name], next.operations[name], r));
    });
    return verdictOf(
      rows,
      { tolerancePct: s.tolerancePct, confidence: s.confidence, rowConfidence },
      warnings,
      busier === 'new',
    );
  } finally {
    runs[0].destroy();
    runs[1].destroy();
  }
}

/** Turns latency regressions of a busier new run into `inconclusive` unless they stand out, and sums up. */
function verdictOf(
  rows: ComparisonRow[],
  settings: Pick<Comparison, 'tolerancePct' | 'confidence' | 'rowConfidence'>,
  warnings: string[],
  newBusier: boolean,
): Comparison {
  const tolerance = settings.tolerancePct / 100;
  const judgedRows = rows.map((r) =>
    r.regression && newBusier && r.latency === 'service' && !standsOut(r, rows, tolerance)
      ? { ...r, verdict: 'inconclusive' as const, regression: false }
      : r,
  );
  const regressions = judgedRows.filter((r) => r.regression);
  const inconclusive = judgedRows.filter((r) => r.verdict === 'inconclusive');
  return {
    ...settings,
    rows: judgedRows,
    regressions,
    regressed: regressions.length > 0,
    inconclusive,
    outcome: regressions.length > 0 ? 'regression' : inconclusive.length > 0 ? 'inconclusive' : 'pass',
    warnings,
  };
}
