/**
 * Comparing two reports of the same scenario (a baseline and a candidate): per operation and overall,
 * the latency percentiles, the throughput and the error rate, each with its change in percent and a
 * regression flag when it got worse by more than the tolerance. A latency change must also exceed a
 * small absolute floor to count, so that microsecond noise on a fast operation is not a regression.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import { formatValue } from './format.ts';
import { assertReport, type LatencySummaryMs, type LoadTestReport } from './schema.ts';

export const COMPARE_DEFAULTS = Object.freeze({
  /** Worse by more than this percentage is a regression. */
  tolerancePct: 10,
  /** A latency regression must also be at least this many ms. */
  latencyMsDeltaMin: 0.1,
  /** An error-rate regression must also be at least this much (absolute). */
  errorRateDeltaMin: 0.001,
});

export interface CompareOptions {
  /** @default 10 */
  tolerancePct?: number;
  /** @default 0.1 */
  latencyMsDeltaMin?: number;
  /** @default 0.001 */
  errorRateDeltaMin?: number;
}

export type ComparedMetric = 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'throughputOpsPerS' | 'errorRate';

export interface ComparisonRow {
  /** `null` for the whole run. */
  operation: string | null;
  metric: ComparedMetric;
  base: number | null;
  next: number | null;
  /** Relative change in percent (positive: higher); null when either side is missing or base is 0. */
  deltaPct: number | null;
  regression: boolean;
}

export interface Comparison {
  tolerancePct: number;
  rows: ComparisonRow[];
  regressions: ComparisonRow[];
  regressed: boolean;
}

const LATENCY_METRICS = ['p50', 'p90', 'p95', 'p99', 'p999'] as const;

function checkOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`${name}\` to be a number from 0 up, got ${String(value)}`,
    );
  }
  return value;
}

export function compareReports(
  base: LoadTestReport,
  next: LoadTestReport,
  options: CompareOptions = {},
): Comparison {
  assertReport(base, 'the base report');
  assertReport(next, 'the new report');
  const tolerancePct = checkOption('tolerancePct', options.tolerancePct, COMPARE_DEFAULTS.tolerancePct);
  const latencyFloor = checkOption(
    'latencyMsDeltaMin',
    options.latencyMsDeltaMin,
    COMPARE_DEFAULTS.latencyMsDeltaMin,
  );
  const errorFloor = checkOption(
    'errorRateDeltaMin',
    options.errorRateDeltaMin,
    COMPARE_DEFAULTS.errorRateDeltaMin,
  );
  const tolerance = tolerancePct / 100;
  const rows: ComparisonRow[] = [];
  const add = (operation: string | null, metric: ComparedMetric, b: number | null, n: number | null) => {
    let regression = false;
    if (b !== null && n !== null) {
      if (metric === 'throughputOpsPerS') regression = n < b * (1 - tolerance);
      else if (metric === 'errorRate') regression = n > b * (1 + tolerance) && n - b >= errorFloor;
      else regression = n > b * (1 + tolerance) && n - b >= latencyFloor;
    }
    const deltaPct = b === null || n === null || b === 0 ? null : Math.round(((n - b) / b) * 10_000) / 100;
    rows.push({ operation, metric, base: b, next: n, deltaPct, regression });
  };
  const latency = (
    operation: string | null,
    b: LatencySummaryMs | undefined,
    n: LatencySummaryMs | undefined,
  ) => {
    for (const metric of LATENCY_METRICS) add(operation, metric, b?.[metric] ?? null, n?.[metric] ?? null);
  };
  latency(null, base.summary.latencyMs, next.summary.latencyMs);
  add(null, 'throughputOpsPerS', base.summary.throughputOpsPerS, next.summary.throughputOpsPerS);
  add(null, 'errorRate', base.summary.errorRate, next.summary.errorRate);
  const names = [...new Set([...Object.keys(base.operations), ...Object.keys(next.operations)])];
  for (const name of names) {
    const b = base.operations[name];
    const n = next.operations[name];
    latency(name, b?.latencyMs, n?.latencyMs);
    const rate = (op: typeof b) => (op === undefined ? null : op.count > 0 ? op.errors / op.count : 0);
    add(name, 'errorRate', rate(b), rate(n));
  }
  const regressions = rows.filter((row) => row.regression);
  return { tolerancePct, rows, regressions, regressed: regressions.length > 0 };
}

/** The comparison as a Markdown table (regressions marked), for the console and pull requests. */
export function formatComparison(comparison: Comparison): string {
  const header = `| operation | metric | base | new | change | |\n|---|---|---|---|---|---|`;
  const lines = comparison.rows.map((row) => {
    const change = row.deltaPct === null ? '–' : `${row.deltaPct > 0 ? '+' : ''}${row.deltaPct}%`;
    const unit = row.metric === 'throughputOpsPerS' ? ' ops/s' : row.metric === 'errorRate' ? '' : ' ms';
    const metric =
      row.metric === 'throughputOpsPerS'
        ? 'throughput'
        : row.metric === 'errorRate'
          ? 'error rate'
          : row.metric;
    return `| ${row.operation ?? 'all'} | ${metric} | ${formatValue(row.base)}${unit} | ${formatValue(row.next)}${unit} | ${change} | ${row.regression ? '❌ regression' : ''} |`;
  });
  const verdict = comparison.regressed
    ? `${comparison.regressions.length} regression(s) beyond ${comparison.tolerancePct}%`
    : `no regression beyond ${comparison.tolerancePct}%`;
  return `${header}\n${lines.join('\n')}\n\n${verdict}\n`;
}
