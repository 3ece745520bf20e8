/**
 * Evaluates resolved success criteria against a report: latency and error limits for the run, each
 * operation and each window; throughput, achieved rate, memory, CPU and event-loop limits; recovery
 * after a spike. It reads only the report, so a merged report is judged exactly like a single run.
 * The warm-up is excluded: every figure criteria read covers operations intended after it.
 */

import {
  criterionName,
  LATENCY_KEYS,
  type LatencyLimits,
  type ResolvedCriteria,
  type RunLimits,
} from './criteria.ts';
import type { CriterionResult, LatencySummaryMs, LoadTestReport } from './report/schema.ts';

type ReportWithoutVerdict = Omit<LoadTestReport, 'criteria' | 'passed'>;

/** Evaluates every criterion against a report (its criteria and verdict fields are ignored). */
export function evaluateCriteria(
  criteria: ResolvedCriteria,
  report: ReportWithoutVerdict,
): CriterionResult[] {
  const results: CriterionResult[] = [];
  const { limits } = criteria;
  const summary = report.summary;
  latencyResults(results, limits, summary, summary.operations, summary.errors, null, null);
  for (const [operation, opLimits] of Object.entries(criteria.operations)) {
    const stats = report.operations[operation];
    latencyResults(results, opLimits, stats, stats?.count ?? 0, stats?.errors ?? 0, operation, null);
  }
  for (const window of criteria.windows) {
    const data = report.windows.find((w) => w.name === window.name);
    const stats = window.operation === null ? data : data?.operations[window.operation];
    latencyResults(
      results,
      window.limits,
      stats,
      stats?.count ?? 0,
      stats?.errors ?? 0,
      window.operation,
      window.name,
    );
  }
  runResults(results, criteria, report);
  return results;
}

interface LatencyStats {
  latencyMs: LatencySummaryMs;
  serviceTimeMs?: LatencySummaryMs;
}

function latencyResults(
  results: CriterionResult[],
  limits: LatencyLimits,
  stats: LatencyStats | undefined,
  count: number,
  errors: number,
  operation: string | null,
  window: string | null,
): void {
  const scope = { operation, window };
  for (const [key, group, percentile, label] of LATENCY_KEYS) {
    const limit = limits[key];
    if (limit === undefined) continue;
    const summary = stats?.[group];
    const actual = count > 0 && summary !== undefined ? summary[percentile] : null;
    results.push(
      check(key, `${label} ≤ ${limit} ms`, scope, limit, actual, 'max', 'no operations were measured'),
    );
  }
  if (limits.errorRateMax !== undefined) {
    const actual = count > 0 ? errors / count : null;
    results.push(
      check(
        'errorRateMax',
        `error rate ≤ ${limits.errorRateMax}`,
        scope,
        limits.errorRateMax,
        actual,
        'max',
        'no operations were measured',
      ),
    );
  }
}

function runResults(
  results: CriterionResult[],
  criteria: ResolvedCriteria,
  report: ReportWithoutVerdict,
): void {
  const { limits } = criteria;
  const { summary, resources } = report;
  const scope = { operation: null, window: null };
  const add = (
    key: keyof RunLimits,
    description: string,
    actual: number | null,
    kind: 'max' | 'min',
    whyNull: string,
  ) => {
    const limit = limits[key];
    if (limit !== undefined)
      results.push(check(key, description.replace('$', String(limit)), scope, limit, actual, kind, whyNull));
  };
  const offered = summary.operations + summary.dropped;
  add(
    'droppedRatioMax',
    'dropped ratio ≤ $',
    offered > 0 ? summary.dropped / offered : null,
    'max',
    'no arrivals',
  );
  add('throughputOpsPerSMin', 'throughput ≥ $ ops/s', summary.throughputOpsPerS, 'min', '');
  add(
    'achievedRatioMin',
    'achieved/target rate ≥ $',
    summary.achievedRatio,
    'min',
    'no open-model load group',
  );
  add(
    'achievedRatioWindowMin',
    `achieved/target rate ≥ $ in every ${criteria.achievedRatioWindowS} s window`,
    worstWindowRatio(report, criteria.achievedRatioWindowS),
    'min',
    'no open-model load group',
  );
  add(
    'throughputOpsPerSWindowMin',
    `throughput ≥ $ ops/s in every ${criteria.achievedRatioWindowS} s window`,
    worstWindowThroughput(report, criteria.achievedRatioWindowS),
    'min',
    'no measured interval',
  );
  const growthMeasured =
    resources.memoryGrowthMbPerMin !== null && resources.memoryGrowthSpanS >= criteria.memoryGrowthSpanSMin;
  add(
    'memoryGrowthMbPerMinMax',
    'memory growth ≤ $ MB/min',
    growthMeasured ? resources.memoryGrowthMbPerMin : null,
    'max',
    `RSS was sampled over ${resources.memoryGrowthSpanS} s after warm-up, less than the ${criteria.memoryGrowthSpanSMin} s a slope needs`,
  );
  add('cpuPercentAvgMax', 'average CPU ≤ $ %', resources.cpuPercentAvg, 'max', '');
  add('cpuPercentMaxMax', 'peak CPU (1 s) ≤ $ %', resources.cpuPercentMax, 'max', '');
  add('eventLoopDelayMsP99Max', 'event-loop delay p99 ≤ $ ms', resources.eventLoopDelayMsP99, 'max', '');
  if (criteria.recovery !== null) {
    const before = report.windows.find((w) => w.name === criteria.recovery?.before.name);
    const after = report.windows.find((w) => w.name === criteria.recovery?.after.name);
    const measurable =
      before !== undefined &&
      after !== undefined &&
      before.count > 0 &&
      after.count > 0 &&
      before.latencyMs.p95 > 0;
    add(
      'recoveryFactorMax',
      'p95 after the spike ≤ $ × p95 before it',
      measurable ? round(after.latencyMs.p95 / before.latencyMs.p95, 4) : null,
      'max',
      'no operations before or after the spike',
    );
  }
}

interface WindowBucket {
  count: number;
  target: number;
  spanS: number;
}

/** The measured timeline cut into consecutive windows of `windowS` from the end of the warm-up. */
function windowBuckets(
  report: Pick<LoadTestReport, 'timeline' | 'warmupS' | 'durationS'>,
  windowS: number,
): WindowBucket[] {
  const buckets = new Map<number, WindowBucket>();
  for (const entry of report.timeline) {
    // An interval belongs where its middle is; ticks fire a little early or late.
    const middleS = entry.tS - entry.intervalS / 2;
    if (middleS < report.warmupS || middleS > report.durationS) continue;
    const key = Math.floor((middleS - report.warmupS) / windowS);
    const bucket = buckets.get(key) ?? { count: 0, target: 0, spanS: 0 };
    bucket.count += entry.count;
    bucket.target += entry.targetRate * entry.intervalS;
    bucket.spanS += entry.intervalS;
    buckets.set(key, bucket);
  }
  const all = [...buckets.values()];
  // A trailing window shorter than half a window says more about the cut than about the system.
  return all.length > 1 ? all.filter((b) => b.spanS >= windowS / 2) : all;
}

/** The lowest achieved/target ratio over consecutive windows of the measured timeline. */
export function worstWindowRatio(
  report: Pick<LoadTestReport, 'timeline' | 'warmupS' | 'durationS'>,
  windowS: number,
): number | null {
  const judged = windowBuckets(report, windowS).filter((b) => b.target > 0);
  if (judged.length === 0) return null;
  return round(Math.min(...judged.map((b) => b.count / b.target)), 4);
}

/** The lowest throughput (completions per second) over consecutive windows of the measured timeline. */
export function worstWindowThroughput(
  report: Pick<LoadTestReport, 'timeline' | 'warmupS' | 'durationS'>,
  windowS: number,
): number | null {
  const judged = windowBuckets(report, windowS).filter((b) => b.spanS > 0);
  if (judged.length === 0) return null;
  return round(Math.min(...judged.map((b) => b.count / b.spanS)), 3);
}

function check(
  key: string,
  description: string,
  scope: { operation: string | null; window: string | null },
  limit: number,
  actual: number | null,
  kind: 'max' | 'min',
  whyNull: string,
): CriterionResult {
  const result: CriterionResult = {
    name: criterionName(key),
    description,
    operation: scope.operation,
    window: scope.window,
    limit,
    actual: actual === null ? null : round(actual, 6),
    passed: actual === null ? true : kind === 'max' ? actual <= limit : actual >= limit,
  };
  if (actual === null) result.skipped = whyNull;
  return result;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
