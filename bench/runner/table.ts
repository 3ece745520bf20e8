/**
 * Text the runner prints: one table per suite (console or Markdown), the targets, and the compare
 * report. Pure string building; the caller decides where it goes.
 */

import type { CompareReport, CompareRow } from './compare.ts';
import type { BenchResults, TargetResult, TaskEntry } from './results-file.ts';

/** Three significant digits below 1,000, whole numbers with separators above. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

const HEADERS = ['task', 'rate / value', 'p50 ms', 'p99 ms', 'samples', '±rme', 'vs baseline', 'of bound'];
const RIGHT_ALIGNED = new Set([1, 2, 3, 4, 5, 6, 7]);

function entryCells(entry: TaskEntry): string[] {
  return [
    entry.name,
    `${formatNumber(entry.value)} ${entry.unit}`,
    entry.latencyMs === null ? '' : formatNumber(entry.latencyMs.p50),
    entry.latencyMs === null ? '' : formatNumber(entry.latencyMs.p99),
    entry.samples === null ? '' : String(entry.samples),
    // A figure measured once (a build, a recall) has no margin of error to show.
    entry.source === 'figure' && entry.samples === null ? '' : `${entry.rmePct.toFixed(1)}%`,
    entry.baseline === null ? '' : `×${formatNumber(entry.baseline.ratio)}`,
    entry.bound === null ? '' : `${(entry.bound.ratio * 100).toFixed(1)}%`,
  ];
}

/** A fixed-width table for the console. */
export function formatConsoleTable(entries: readonly TaskEntry[]): string {
  return renderColumns([HEADERS, ...entries.map(entryCells)]);
}

/** The same table in Markdown, for the README. */
export function formatMarkdownTable(entries: readonly TaskEntry[]): string {
  const row = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  const rule = `|${HEADERS.map((_, i) => (RIGHT_ALIGNED.has(i) ? '---:' : '---')).join('|')}|`;
  return [row(HEADERS), rule, ...entries.map((entry) => row(entryCells(entry)))].join('\n');
}

export function formatTargets(targets: readonly TargetResult[]): string {
  return targets
    .map((target) => {
      const actual = target.ratio === null ? 'not measured' : formatNumber(target.ratio);
      const verdict = target.met ? 'met' : 'NOT MET';
      return `  ${verdict.padEnd(7)} ${target.id}: ${target.description} (ratio ${actual}, needs ≥ ${formatNumber(target.ratioMin)})`;
    })
    .join('\n');
}

function compareCells(row: CompareRow): string[] {
  if (row.state === 'missing') return [row.id, '', '', '', '', 'MISSING from this run'];
  if (row.state === 'new') return [row.id, '', '', '', '', 'new (not in the baseline)'];
  if (row.state === 'skipped') return [row.id, '', '', '', '', `skipped: ${row.reason}`];
  const label = row.verdict === 'regression' ? 'REGRESSION' : row.verdict;
  return [
    row.id,
    row.basis,
    formatNumber(row.saved),
    formatNumber(row.current),
    `${formatNumber(row.change)} (±${row.noisePct.toFixed(1)}%)`,
    label,
  ];
}

export function formatCompareReport(report: CompareReport): string {
  const lines = [
    renderColumns([
      ['task', 'basis', 'baseline', 'now', 'change (noise)', 'verdict'],
      ...report.rows.map(compareCells),
    ]),
    ...report.warnings.map((warning) => `warning: ${warning}`),
    report.passed
      ? `compare: no task fell more than ${report.tolerancePct}% beyond its noise`
      : `compare: ${report.regressions.length} task(s) fell more than ${report.tolerancePct}% beyond their noise: ${report.regressions.join(', ')}`,
  ];
  if (report.missing.length > 0)
    lines.push(`compare: ${report.missing.length} task(s) missing from this run`);
  return lines.join('\n');
}

function renderColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i > 0 && i < row.length - 1 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Every suite's table and targets in Markdown, headed by the machine they ran on (for the README). */
export function formatMarkdownReport(results: BenchResults): string {
  const { environment: env } = results;
  const sections = [
    `Measured ${results.startedAt.slice(0, 10)} in ${results.mode} mode on ${env.cpuModel} × ${env.cores}, Node ${env.nodeVersion} (${env.platform}).`,
  ];
  for (const suite of results.suites) {
    const entries = results.tasks.filter((task) => task.suite === suite.name);
    if (entries.length === 0) continue;
    sections.push(`### ${suite.name}\n\n${formatMarkdownTable(entries)}`);
    const targets = results.targets.filter((target) => target.id.startsWith(`${suite.name}/`));
    if (targets.length > 0) sections.push(formatTargets(targets).replace(/^ {2}/gm, '- '));
  }
  return `${sections.join('\n\n')}\n`;
}
