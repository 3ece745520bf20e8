/**
 * `report.md`: the tables a reviewer reads in a pull request — verdict, criteria, throughput,
 * latency per operation (response and service time), errors by code, resources, scheduler accuracy
 * and a condensed timeline. Pure: a report in, a string out.
 */

import { formatBytes, formatClock, formatMsValue, formatPercent, formatRate, formatValue } from './format.ts';
import type { LatencySummaryMs, LoadTestReport } from './schema.ts';

/** The most timeline rows the Markdown report shows; longer runs are sampled evenly. */
export const MARKDOWN_TIMELINE_ROWS_MAX = 30;

function table(header: string[], rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function latencyCells(l: LatencySummaryMs): string[] {
  return [l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.mean].map(formatMsValue);
}

function verdict(report: LoadTestReport): string {
  if (report.stopReason === 'aborted') return 'STOPPED EARLY (partial report, not passed)';
  return report.passed ? 'PASSED' : 'FAILED';
}

export function renderMarkdown(report: LoadTestReport): string {
  const sections = [
    `# Load test: ${report.scenario} — ${verdict(report)}`,
    report.description === '' ? '' : `> ${report.description}`,
    metaTable(report),
    '## Criteria',
    criteriaTable(report),
    '## Summary',
    summaryTable(report),
    '## Latency (ms)',
    "Response time is measured from each operation's intended start (corrected for coordinated omission); service time from its actual start.",
    latencyTable(report),
    errorsSection(report),
    windowsSection(report),
    groupsSection(report),
    '## Resources',
    resourcesTable(report),
    '## Scheduler',
    schedulerTable(report),
    '## Timeline',
    timelineTable(report),
    report.warnings.length === 0 ? '' : `## Warnings\n\n${report.warnings.map((w) => `- ${w}`).join('\n')}`,
    report.merged === undefined
      ? ''
      : `_Merged from ${report.merged.runs} runs (seeds ${report.merged.seeds.join(', ')}); timeline percentiles and resources are the highest of the runs._`,
  ];
  return `${sections.filter((section) => section !== '').join('\n\n')}\n`;
}

function metaTable(report: LoadTestReport): string {
  const stopped = report.durationS < report.plannedDurationS ? ` of ${report.plannedDurationS} s` : '';
  return table(
    ['mode', 'seed', 'started', 'duration', 'warm-up', 'model', 'profile', 'target'],
    [
      [
        report.mode,
        String(report.seed),
        report.startedAt,
        `${report.durationS} s${stopped}`,
        `${report.warmupS} s`,
        report.model,
        report.profile?.kind ?? '–',
        report.target.name,
      ],
    ],
  );
}

function criteriaTable(report: LoadTestReport): string {
  if (report.criteria.length === 0) return 'No criteria were set.';
  return table(
    ['', 'criterion', 'scope', 'limit', 'actual'],
    report.criteria.map((c) => [
      c.skipped !== undefined ? '➖' : c.passed ? '✅' : '❌',
      `${c.description} (\`${c.name}\`)`,
      [c.operation, c.window].filter((x) => x !== null).join(', ') || 'run',
      formatValue(c.limit),
      c.skipped === undefined ? formatValue(c.actual) : `skipped: ${c.skipped}`,
    ]),
  );
}

function summaryTable(report: LoadTestReport): string {
  const s = report.summary;
  return table(
    [
      'operations',
      'errors',
      'error rate',
      'dropped',
      'cut off',
      'throughput (ops/s)',
      'target (ops/s)',
      'achieved/target',
    ],
    [
      [
        String(s.operations),
        String(s.errors),
        formatPercent(s.errorRate, 3),
        String(s.dropped),
        String(s.cutOff),
        formatRate(s.throughputOpsPerS),
        formatRate(s.targetOpsPerS),
        formatValue(s.achievedRatio),
      ],
    ],
  );
}

function latencyTable(report: LoadTestReport): string {
  const s = report.summary;
  const header = ['operation', 'count', 'errors', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'];
  const row = (
    name: string,
    count: number,
    errors: number,
    l: LatencySummaryMs,
    service: LatencySummaryMs,
  ) => [
    name,
    String(count),
    String(errors),
    ...latencyCells(l),
    formatMsValue(service.p50),
    formatMsValue(service.p99),
  ];
  return table(
    [...header, 'service p50', 'service p99'],
    [
      ...Object.entries(report.operations).map(([name, op]) =>
        row(name, op.count, op.errors, op.latencyMs, op.serviceTimeMs),
      ),
      row('**all**', s.operations, s.errors, s.latencyMs, s.serviceTimeMs),
    ],
  );
}

function schedulerTable(report: LoadTestReport): string {
  const lateness = report.scheduler.latenessMs;
  return table(
    ['lateness p50 (ms)', 'lateness p99 (ms)', 'lateness max (ms)', 'queued at most'],
    [
      [
        formatMsValue(lateness.p50),
        formatMsValue(lateness.p99),
        formatMsValue(lateness.max),
        String(report.scheduler.queuedMax),
      ],
    ],
  );
}

function errorsSection(report: LoadTestReport): string {
  const rows = Object.entries(report.operations).flatMap(([name, op]) =>
    Object.entries(op.errorsByCode).map(([code, count]) => [name, code, String(count)]),
  );
  return rows.length === 0 ? '' : `## Errors by code\n\n${table(['operation', 'code', 'count'], rows)}`;
}

function windowsSection(report: LoadTestReport): string {
  if (report.windows.length === 0) return '';
  return `## Windows\n\n${table(
    ['window', 'from (s)', 'to (s)', 'operations', 'errors', 'p50', 'p95', 'p99', 'max'],
    report.windows.map((w) => [
      w.name,
      formatValue(w.startS),
      formatValue(w.endS),
      String(w.count),
      String(w.errors),
      formatMsValue(w.latencyMs.p50),
      formatMsValue(w.latencyMs.p95),
      formatMsValue(w.latencyMs.p99),
      formatMsValue(w.latencyMs.max),
    ]),
  )}`;
}

function groupsSection(report: LoadTestReport): string {
  const groups = Object.entries(report.groups);
  if (groups.length < 2) return '';
  return `## Load groups\n\n${table(
    [
      'group',
      'model',
      'profile',
      'in flight max',
      'operations',
      'errors',
      'dropped',
      'throughput',
      'target',
      'achieved/target',
    ],
    groups.map(([name, g]) => [
      name,
      g.model,
      g.profile?.kind ?? '–',
      String(g.inFlightMax),
      String(g.operations),
      String(g.errors),
      String(g.dropped),
      formatRate(g.throughputOpsPerS),
      formatRate(g.targetOpsPerS),
      formatValue(g.achievedRatio),
    ]),
  )}`;
}

function resourcesTable(report: LoadTestReport): string {
  const r = report.resources;
  return table(
    [
      'RSS start',
      'RSS end',
      'RSS max',
      'memory growth (MB/min)',
      'CPU avg',
      'CPU max',
      'event-loop delay p99 (ms)',
    ],
    [
      [
        formatBytes(r.rssBytesStart),
        formatBytes(r.rssBytesEnd),
        formatBytes(r.rssBytesMax),
        r.memoryGrowthMbPerMin === null
          ? '–'
          : `${formatValue(r.memoryGrowthMbPerMin)} (over ${r.memoryGrowthSpanS} s)`,
        `${r.cpuPercentAvg}%`,
        `${r.cpuPercentMax}%`,
        formatMsValue(r.eventLoopDelayMsP99),
      ],
    ],
  );
}

function timelineTable(report: LoadTestReport): string {
  const entries = report.timeline;
  if (entries.length === 0) return 'No complete interval was recorded.';
  const step = Math.ceil(entries.length / MARKDOWN_TIMELINE_ROWS_MAX);
  const rows = entries
    .filter((_, i) => i % step === 0 || i === entries.length - 1)
    .map((e) => [
      formatClock(e.tS),
      formatRate(e.targetRate),
      formatRate(e.achievedRate),
      String(e.inFlight),
      String(e.queued),
      String(e.errors),
      String(e.dropped),
      formatMsValue(e.latencyMs.p50),
      formatMsValue(e.latencyMs.p95),
      formatMsValue(e.latencyMs.p99),
      formatBytes(e.rssBytes),
      `${e.cpuPercent}%`,
    ]);
  const note =
    step > 1
      ? `\n\n_Every ${step}th interval of ${entries.length}; report.json and report.html hold them all._`
      : '';
  return (
    table(
      [
        'time',
        'target/s',
        'achieved/s',
        'in flight',
        'queued',
        'errors',
        'dropped',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'RSS',
        'CPU',
      ],
      rows,
    ) + note
  );
}
