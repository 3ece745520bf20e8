/**
 * A comparison as text: a Markdown table of every row (which latency it is of, both figures, the
 * change, the intervals and the verdict), the warnings above it, how the intervals were made, and
 * the one-line verdict last. Formatting only: the verdicts are `compare.ts`'s.
 */

import type { Interval } from '../confidence-interval.ts';
import type { ComparedMetric, Comparison, ComparisonRow, RowVerdict } from './compare.ts';
import { formatValue } from './format.ts';

const METRIC_LABELS: Record<ComparedMetric, string> = {
  typical: 'typical',
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
  typical: ' ms',
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
  inconclusive: '⚠ inconclusive (busier machine)',
  improvement: 'improvement',
  noise: 'within noise',
  unchanged: '',
  'too few samples': 'too few samples',
  missing: 'missing',
  shown: 'not judged',
};

const figure = (value: number | null) => (value === null ? '–' : formatValue(value));
const interval = (i: Interval | null) => (i === null ? '–' : `${formatValue(i.low)}–${formatValue(i.high)}`);
const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${Math.round((ratio - 1) * 1000) / 10}%`;

function metricLabel(r: ComparisonRow): string {
  return r.latency === null ? METRIC_LABELS[r.metric] : `${r.latency} ${METRIC_LABELS[r.metric]}`;
}

function line(r: ComparisonRow): string {
  const change = r.deltaPct === null ? '–' : `${r.deltaPct > 0 ? '+' : ''}${r.deltaPct}%`;
  const unit = UNITS[r.metric];
  const intervals =
    r.ratioInterval === null
      ? `${interval(r.baseInterval)} | ${interval(r.nextInterval)}`
      : `change ${percent(r.ratioInterval.low)} to ${percent(r.ratioInterval.high)} |`;
  return `| ${r.operation ?? 'all'} | ${metricLabel(r)} | ${figure(r.base)}${unit} | ${figure(r.next)}${unit} | ${change} | ${intervals} | ${VERDICT_LABELS[r.verdict]} |`;
}

function verdictLine(comparison: Comparison): string {
  const tolerance = `${comparison.tolerancePct}% and the noise`;
  if (comparison.outcome === 'regression')
    return `${comparison.regressions.length} regression(s) beyond ${tolerance}`;
  if (comparison.outcome === 'inconclusive')
    return `inconclusive: ${comparison.inconclusive.length} figure(s) got worse beyond ${tolerance}, but the new run's machine was measurably busier; run both again on a quieter machine`;
  return `no regression beyond ${tolerance}`;
}

/** The comparison as a Markdown table (regressions marked), for the console and pull requests. */
export function formatComparison(comparison: Comparison): string {
  const level = `${Math.round(comparison.rowConfidence * 10_000) / 100}%`;
  const ci = `${level} CI`;
  const header = `| operation | metric | base | new | change | base ${ci} | new ${ci} | |\n|---|---|---|---|---|---|---|---|`;
  const warnings = comparison.warnings.map((w) => `warning: ${w}\n`).join('');
  const note =
    `typical: geometric mean of each measured second's median service time, its change with a Welch t interval over the seconds (the run-to-run noise); ` +
    `percentiles: order statistics of the HDR histograms, apart by the tolerance times that noise; error rate: Wilson; ` +
    `response time is shown, not judged; each row at ${level} so that the table holds at ${Math.round(comparison.confidence * 1000) / 10}%\n`;
  return `${warnings}${warnings === '' ? '' : '\n'}${header}\n${comparison.rows.map(line).join('\n')}\n\n${note}${verdictLine(comparison)}\n`;
}
