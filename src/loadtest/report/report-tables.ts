/**
 * The report's tables as data: one `{ title, header, rows }` per section (run settings, criteria,
 * summary, latency, errors, windows, load groups, resources, scheduler, timeline), built once from
 * a report and rendered by the Markdown, HTML and console renderers. Cells are text plus what a
 * renderer may show in its own way (a verdict, a scenario-file key, a unit, a total, a caveat), so
 * a figure reads the same in every format. Pure: a report in, tables out; no format's syntax here.
 */

import { formatBytes, formatClock, formatMsValue, formatPercent, formatRate, formatValue } from './format.ts';
import type { LatencySummaryMs, LoadTestReport } from './schema.ts';
import { loadSettingsTable, targetSettingsTable } from './settings-tables.ts';
import { cell, cells, type ReportCell, type ReportTable } from './table-model.ts';

export type { ReportCell, ReportTable };

/** Fewer samples than this make a p99 a caveat (about one sample above it). */
export const P99_SAMPLES_MIN = 100;
/** Fewer samples than this make a p99.9 a caveat. */
export const P999_SAMPLES_MIN = 1_000;
/** A measured window shorter than this makes throughput and rates a caveat, in seconds. */
export const MEASURED_S_MIN = 10;

/** The most timeline rows the timeline table shows; longer runs are sampled evenly. */
export const TIMELINE_ROWS_MAX = 30;

/** The unit a criterion's limit and actual value are in, from its scenario-file name. */
export function criterionUnit(name: string): string {
  if (name.includes('_ms_') || name.endsWith('_ms')) return 'ms';
  if (name.startsWith('memory_growth')) return 'MB/min';
  if (name.includes('percent')) return '%';
  if (name.includes('ops_per_s')) return 'ops/s';
  if (name.includes('factor')) return '×';
  if (name.startsWith('rss_mb')) return 'MiB';
  if (name.startsWith('gets_per_search')) return 'GETs';
  if (name.includes('rate') || name.includes('ratio')) return 'ratio';
  return '';
}

/** The run's settings: mode, seed, start, duration, warm-up, model, profile, target. */
export function metaTable(report: LoadTestReport): ReportTable {
  const stopped = report.durationS < report.plannedDurationS ? ` of ${report.plannedDurationS} s` : '';
  return {
    id: 'meta',
    title: '',
    header: ['mode', 'seed', 'started', 'duration', 'warm-up', 'model', 'profile', 'target'],
    rows: [
      cells([
        report.mode,
        String(report.seed),
        report.startedAt,
        `${report.durationS} s${stopped}`,
        `${report.warmupS} s`,
        report.model,
        report.profile?.kind ?? '–',
        report.target.name,
      ]),
    ],
  };
}

export function criteriaTable(report: LoadTestReport): ReportTable {
  const rows = report.criteria.map((c) => {
    const unit = criterionUnit(c.name);
    const status = c.skipped !== undefined ? 'skipped' : c.passed ? 'pass' : 'fail';
    return [
      cell(status === 'fail' ? 'FAIL' : status, { status }),
      cell(c.description, { key: c.name }),
      cell([c.operation, c.window].filter((x) => x !== null).join(', ') || 'run'),
      cell(formatValue(c.limit), { unit }),
      c.skipped === undefined ? cell(formatValue(c.actual), { unit }) : cell(`not measured: ${c.skipped}`),
      cell(unit),
    ];
  });
  return {
    id: 'criteria',
    title: 'Criteria',
    header: ['', 'criterion', 'scope', 'limit', 'actual', 'unit'],
    rows,
    empty: 'No criteria were set.',
    unitColumn: 5,
    failedRows: report.criteria.flatMap((c, i) => (c.passed ? [] : [i])),
  };
}

/** A rate over a measured window shorter than MEASURED_S_MIN is shown with a caveat. */
function measuredCell(report: LoadTestReport, text: string): ReportCell {
  const measuredS = Math.max(0, report.durationS - report.warmupS);
  if (measuredS >= MEASURED_S_MIN) return cell(text);
  return cell(text, {
    caveat: `measured over ${formatValue(measuredS)} s after the warm-up (less than ${MEASURED_S_MIN} s)`,
  });
}

export function summaryTable(report: LoadTestReport): ReportTable {
  const s = report.summary;
  return {
    id: 'summary',
    title: 'Summary',
    header: [
      'operations',
      'errors',
      'error rate',
      'dropped',
      'cut off',
      'throughput (ops/s)',
      'target (ops/s)',
      'achieved/target',
    ],
    rows: [
      [
        ...cells([
          String(s.operations),
          String(s.errors),
          formatPercent(s.errorRate, 3),
          String(s.dropped),
          String(s.cutOff),
        ]),
        measuredCell(report, formatRate(s.throughputOpsPerS)),
        ...cells([formatRate(s.targetOpsPerS), formatValue(s.achievedRatio)]),
      ],
    ],
  };
}

/** A tail percentile estimated from too few samples says so. */
function tailCell(ms: number, count: number, samplesMin: number, label: string): ReportCell {
  if (count === 0 || count >= samplesMin) return cell(formatMsValue(ms));
  return cell(formatMsValue(ms), {
    caveat: `${label} from ${count} samples (fewer than ${samplesMin}): it is close to the max, not a stable percentile`,
  });
}

function latencyRow(
  name: ReportCell,
  count: number,
  errors: number,
  l: LatencySummaryMs,
  service: LatencySummaryMs,
): ReportCell[] {
  return [
    name,
    ...cells([String(count), String(errors), ...[l.p50, l.p90, l.p95].map(formatMsValue)]),
    tailCell(l.p99, count, P99_SAMPLES_MIN, 'p99'),
    tailCell(l.p999, count, P999_SAMPLES_MIN, 'p99.9'),
    ...cells([formatMsValue(l.max), formatMsValue(l.mean), formatMsValue(service.p50)]),
    tailCell(service.p99, count, P99_SAMPLES_MIN, 'service p99'),
  ];
}

export function latencyTable(report: LoadTestReport): ReportTable {
  const s = report.summary;
  return {
    id: 'latency',
    title: 'Latency (ms)',
    intro:
      "Response time is measured from each operation's intended start (corrected for coordinated omission); service time from its actual start.",
    header: [
      'operation',
      'count',
      'errors',
      'p50',
      'p90',
      'p95',
      'p99',
      'p99.9',
      'max',
      'mean',
      'service p50',
      'service p99',
    ],
    rows: [
      ...Object.entries(report.operations).map(([name, op]) =>
        latencyRow(cell(name), op.count, op.errors, op.latencyMs, op.serviceTimeMs),
      ),
      latencyRow(cell('all', { strong: true }), s.operations, s.errors, s.latencyMs, s.serviceTimeMs),
    ],
  };
}

export function errorsTable(report: LoadTestReport): ReportTable {
  return {
    id: 'errors',
    title: 'Errors by code',
    header: ['operation', 'code', 'count', 'sample messages'],
    rows: Object.entries(report.operations).flatMap(([name, op]) =>
      Object.entries(op.errorsByCode).map(([code, count]) =>
        cells([name, code, String(count), (op.errorSamples?.[code] ?? []).join(' · ') || '–']),
      ),
    ),
  };
}

/** p50, p95 and p99 as bare milliseconds. */
const percentileTexts = (l: { p50: number; p95: number; p99: number }) =>
  [l.p50, l.p95, l.p99].map(formatMsValue);

export function windowsTable(report: LoadTestReport): ReportTable {
  return {
    id: 'windows',
    title: 'Windows',
    header: ['window', 'from (s)', 'to (s)', 'operations', 'errors', 'p50', 'p95', 'p99', 'max'],
    rows: report.windows.map((w) =>
      cells([
        w.name,
        formatValue(w.startS),
        formatValue(w.endS),
        String(w.count),
        String(w.errors),
        ...percentileTexts(w.latencyMs),
        formatMsValue(w.latencyMs.max),
      ]),
    ),
  };
}

export function groupsTable(report: LoadTestReport): ReportTable {
  const groups = Object.entries(report.groups);
  return {
    id: 'groups',
    title: 'Load groups',
    header: [
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
    // One group is the run itself: the summary already says it all.
    rows:
      groups.length < 2
        ? []
        : groups.map(([name, g]) =>
            cells([
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
          ),
  };
}

/** Memory growth fitted over a span shorter than the criteria require is shown with a caveat. */
function memoryGrowthCell(report: LoadTestReport): ReportCell {
  const r = report.resources;
  if (r.memoryGrowthMbPerMin === null) return cell('–');
  const text = `${formatValue(r.memoryGrowthMbPerMin)} (over ${r.memoryGrowthSpanS} s)`;
  const spanSMin = report.criteriaConfig.memoryGrowthSpanSMin;
  if (r.memoryGrowthSpanS >= spanSMin) return cell(text);
  return cell(text, {
    caveat: `memory growth fitted over ${r.memoryGrowthSpanS} s, less than the ${spanSMin} s needed to tell growth from start-up allocation`,
  });
}

export function resourcesTable(report: LoadTestReport): ReportTable {
  const r = report.resources;
  return {
    id: 'resources',
    title: 'Resources',
    header: [
      'RSS start',
      'RSS end',
      'RSS max',
      'memory growth (MB/min)',
      'CPU avg',
      'CPU max',
      'event-loop delay p99 (ms)',
    ],
    rows: [
      [
        ...cells([formatBytes(r.rssBytesStart), formatBytes(r.rssBytesEnd), formatBytes(r.rssBytesMax)]),
        memoryGrowthCell(report),
        ...cells([`${r.cpuPercentAvg}%`, `${r.cpuPercentMax}%`, formatMsValue(r.eventLoopDelayMsP99)]),
      ],
    ],
  };
}

export function schedulerTable(report: LoadTestReport): ReportTable {
  const lateness = report.scheduler.latenessMs;
  return {
    id: 'scheduler',
    title: 'Scheduler',
    header: ['lateness p50 (ms)', 'lateness p99 (ms)', 'lateness max (ms)', 'queued at most'],
    rows: [
      cells([
        formatMsValue(lateness.p50),
        formatMsValue(lateness.p99),
        formatMsValue(lateness.max),
        String(report.scheduler.queuedMax),
      ]),
    ],
  };
}

export function timelineTable(report: LoadTestReport): ReportTable {
  const entries = report.timeline;
  const step = Math.max(1, Math.ceil(entries.length / TIMELINE_ROWS_MAX));
  return {
    id: 'timeline',
    title: 'Timeline',
    header: [
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
    rows: entries
      .filter((_, i) => i % step === 0 || i === entries.length - 1)
      .map((e) =>
        cells([
          formatClock(e.tS),
          formatRate(e.targetRate),
          formatRate(e.achievedRate),
          String(e.inFlight),
          String(e.queued),
          String(e.errors),
          String(e.dropped),
          ...percentileTexts(e.latencyMs),
          formatBytes(e.rssBytes),
          `${e.cpuPercent}%`,
        ]),
      ),
    empty: 'No complete interval was recorded.',
    ...(step > 1
      ? { note: `Every ${step}th interval of ${entries.length}; report.json and report.html hold them all.` }
      : {}),
  };
}

/** Every section in reading order: the one list the Markdown and HTML reports render. */
export function reportTables(report: LoadTestReport): ReportTable[] {
  return [
    metaTable(report),
    loadSettingsTable(report),
    targetSettingsTable(report),
    criteriaTable(report),
    summaryTable(report),
    latencyTable(report),
    errorsTable(report),
    windowsTable(report),
    groupsTable(report),
    resourcesTable(report),
    schedulerTable(report),
    timelineTable(report),
  ];
}
