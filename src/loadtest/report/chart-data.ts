/**
 * The data behind every chart of the HTML report and the live dashboard: series over time (rates,
 * latency percentiles per operation, errors per code, in-flight work, memory, CPU and event-loop
 * delay, and the target's gauges grouped by unit, one chart per unit), the criteria limits drawn as
 * threshold lines where they apply, and the time bands to shade (warm-up, criteria windows, the
 * spike, object-store partitions, tier moves). Pure: it reads a report or the part of a run seen so
 * far and returns plain JSON; it never draws and never reads a clock.
 */

import type { LatencyLimits, ResolvedCriteria } from '../criteria.ts';
import type { GroupReport, TimelineEntry } from './schema.ts';

/** The most operations that get a latency chart of their own. */
export const OPERATION_CHARTS_MAX = 16;
/** The most error codes drawn over time (the rest are summed as `other`). */
export const ERROR_CODE_SERIES_MAX = 8;

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** Unit shown beside the value in the legend. */
  unit: string;
  /** `right`: drawn against the right-hand axis. */
  axis?: 'right';
  /** Dashed: a planned or reference line (the target rate, service time). */
  dash?: boolean;
}

/** A limit drawn as a horizontal line, over [fromS, toS] when the criterion covers a window. */
export interface ChartThreshold {
  label: string;
  value: number;
  axis?: 'right';
  fromS?: number;
  toS?: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** `time`: x is the run's seconds; `percentile`: x is -log10(1 - q), labelled by `xTicks`. */
  kind: 'time' | 'percentile';
  /** The x values of a percentile chart (time charts share `ChartData.x`). */
  x?: number[];
  xTicks?: Array<{ value: number; label: string }>;
  yLabel: string;
  yLabelRight?: string;
  /** Logarithmic y axis (latency distributions spanning decades). */
  yLog?: boolean;
  series: ChartSeries[];
  thresholds: ChartThreshold[];
}

export type BandKind = 'warm-up' | 'window' | 'spike' | 'partition' | 'tier moves';

export interface ChartBand {
  kind: BandKind;
  label: string;
  startS: number;
  endS: number;
}

export interface ChartData {
  x: number[];
  bands: ChartBand[];
  charts: ChartSpec[];
}

/** What the time charts need: a finished report has all of it, a running one has it so far. */
export interface TimeChartSource {
  timeline: readonly TimelineEntry[];
  warmupS: number;
  windows: ReadonlyArray<{ name: string; startS: number; endS: number }>;
  groups: Record<string, Pick<GroupReport, 'profile'>>;
  criteriaConfig: ResolvedCriteria;
  operations: readonly string[];
}

const LATENCY_LIMITS: ReadonlyArray<[keyof LatencyLimits, string]> = [
  ['latencyMsP50Max', 'p50'],
  ['latencyMsP90Max', 'p90'],
  ['latencyMsP95Max', 'p95'],
  ['latencyMsP99Max', 'p99'],
  ['latencyMsP999Max', 'p99.9'],
  ['latencyMsMaxMax', 'max'],
  ['latencyMsMeanMax', 'mean'],
];

/** Latency limits of one scope (`null`: the whole run) as threshold lines. */
export function latencyThresholds(criteria: ResolvedCriteria, operation: string | null): ChartThreshold[] {
  const lines: ChartThreshold[] = [];
  const add = (limits: LatencyLimits, window?: { name: string; startS: number; endS: number }) => {
    for (const [key, label] of LATENCY_LIMITS) {
      const value = limits[key];
      if (value === undefined) continue;
      lines.push({
        label: `${label} ≤ ${value} ms${window === undefined ? '' : ` (${window.name})`}`,
        value,
        ...(window === undefined ? {} : { fromS: window.startS, toS: window.endS }),
      });
    }
  };
  add(operation === null ? criteria.limits : (criteria.operations[operation] ?? {}));
  for (const window of criteria.windows) if (window.operation === operation) add(window.limits, window);
  return lines;
}

function limitLine(label: string, value: number | undefined, axis?: 'right'): ChartThreshold[] {
  if (value === undefined) return [];
  return [{ label: `${label} ${value}`, value, ...(axis === undefined ? {} : { axis }) }];
}

/** Intervals where `on(entry, previous)` holds, merged when adjacent, as bands. */
function bandsWhere(
  timeline: readonly TimelineEntry[],
  kind: BandKind,
  label: string,
  on: (entry: TimelineEntry, previous: TimelineEntry | undefined) => boolean,
): ChartBand[] {
  const bands: ChartBand[] = [];
  timeline.forEach((entry, i) => {
    if (!on(entry, timeline[i - 1])) return;
    const startS = entry.tS - entry.intervalS;
    const last = bands[bands.length - 1];
    if (last !== undefined && Math.abs(last.endS - startS) < 0.01) last.endS = entry.tS;
    else bands.push({ kind, label, startS, endS: entry.tS });
  });
  return bands;
}

/** Warm-up, spikes, criteria windows, object-store partitions and tier moves, in that order. */
export function chartBands(source: TimeChartSource): ChartBand[] {
  const bands: ChartBand[] = [];
  if (source.warmupS > 0) bands.push({ kind: 'warm-up', label: 'warm-up', startS: 0, endS: source.warmupS });
  for (const [name, group] of Object.entries(source.groups)) {
    const spike = group.profile?.spike;
    if (spike === undefined) continue;
    const label = Object.keys(source.groups).length > 1 ? `spike (${name})` : 'spike';
    bands.push({ kind: 'spike', label, startS: spike.startS, endS: spike.endS });
  }
  for (const w of source.windows)
    bands.push({ kind: 'window', label: w.name, startS: w.startS, endS: w.endS });
  // A criteria window over the spike is the spike: shade it once.
  const unique = bands.filter(
    (band, i) => !bands.some((o, j) => j < i && o.startS === band.startS && o.endS === band.endS),
  );
  const gauge = (e: TimelineEntry | undefined, name: string) => e?.gauges[name];
  unique.push(
    ...bandsWhere(
      source.timeline,
      'partition',
      'object store partitioned',
      (e) => gauge(e, 's3_partitioned') === 1,
    ),
    ...bandsWhere(source.timeline, 'tier moves', 'tier moves', (e, previous) => {
      const now = gauge(e, 'tier_transitions');
      const before = gauge(previous, 'tier_transitions') ?? 0;
      return now !== undefined && now > before;
    }),
  );
  return unique;
}

function latencySeries(
  timeline: readonly TimelineEntry[],
  pick: (
    e: TimelineEntry,
  ) => { count: number; latencyMs: { p50: number; p95: number; p99: number } } | undefined,
): ChartSeries[] {
  return (['p50', 'p95', 'p99'] as const).map((p) => ({
    label: p,
    unit: 'ms',
    values: timeline.map((e) => {
      const stats = pick(e);
      return stats !== undefined && stats.count > 0 ? stats.latencyMs[p] : null;
    }),
  }));
}

/** Errors per second by code; codes beyond ERROR_CODE_SERIES_MAX are summed as `other`. */
function errorSeries(timeline: readonly TimelineEntry[]): ChartSeries[] {
  const totals = new Map<string, number>();
  for (const e of timeline)
    for (const [code, n] of Object.entries(e.errorsByCode ?? {}))
      totals.set(code, (totals.get(code) ?? 0) + n);
  const codes = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([code]) => code);
  const shown = codes.slice(0, ERROR_CODE_SERIES_MAX);
  const rest = codes.slice(ERROR_CODE_SERIES_MAX);
  const rate = (e: TimelineEntry, n: number) => Math.round((n / e.intervalS) * 1000) / 1000;
  const series: ChartSeries[] = shown.map((code) => ({
    label: code,
    unit: '/s',
    values: timeline.map((e) => rate(e, e.errorsByCode?.[code] ?? 0)),
  }));
  if (rest.length > 0) {
    series.push({
      label: `other (${rest.length} codes)`,
      unit: '/s',
      values: timeline.map((e) =>
        rate(
          e,
          rest.reduce((n, code) => n + (e.errorsByCode?.[code] ?? 0), 0),
        ),
      ),
    });
  }
  return series;
}

interface GaugeGroup {
  id: string;
  title: string;
  unit: string;
  scale: number;
  match: RegExp;
}

/** Gauges by what they count: one chart (and one axis) per unit, first match wins. */
export const GAUGE_GROUPS: readonly GaugeGroup[] = [
  { id: 'gauges-bytes', title: 'Data per tier and WAL', unit: 'MB', scale: 1e-6, match: /bytes/i },
  { id: 'gauges-segments', title: 'Segments per tier', unit: 'segments', scale: 1, match: /^segments/i },
  { id: 'gauges-vectors', title: 'Vectors', unit: 'vectors', scale: 1, match: /^vectors$/i },
  { id: 'gauges-states', title: 'States (1 = yes)', unit: 'state', scale: 1, match: /open$|partitioned$/i },
  {
    id: 'gauges-queues',
    title: 'Queues and work in flight',
    unit: 'items',
    scale: 1,
    match: /queued|in_flight|pending/i,
  },
  {
    id: 'gauges-requests',
    title: 'Object-store requests (cumulative)',
    unit: 'requests',
    scale: 1,
    match: /^s3_/i,
  },
  {
    id: 'gauges-problems',
    title: 'Dead letters, failures and warnings',
    unit: 'count',
    scale: 1,
    match: /dead|error|warning|fail/i,
  },
  {
    id: 'gauges-background',
    title: 'Tier moves and background jobs (cumulative)',
    unit: 'count',
    scale: 1,
    match: /transition|job|compaction/i,
  },
  { id: 'gauges-other', title: 'Other gauges', unit: 'value', scale: 1, match: /./ },
];

function gaugeCharts(timeline: readonly TimelineEntry[]): ChartSpec[] {
  const names = [...new Set(timeline.flatMap((e) => Object.keys(e.gauges)))];
  const byGroup = new Map<GaugeGroup, string[]>();
  for (const name of names) {
    const group = GAUGE_GROUPS.find((g) => g.match.test(name)) as GaugeGroup;
    byGroup.set(group, [...(byGroup.get(group) ?? []), name]);
  }
  return GAUGE_GROUPS.filter((g) => byGroup.has(g)).map((group) => ({
    id: group.id,
    title: group.title,
    kind: 'time',
    yLabel: group.unit,
    thresholds: [],
    series: (byGroup.get(group) ?? []).map((name) => ({
      label: name,
      unit: group.unit,
      values: timeline.map((e) => {
        const value = e.gauges[name];
        return value === undefined ? null : Math.round(value * group.scale * 1000) / 1000;
      }),
    })),
  }));
}

function rateChart(source: TimeChartSource): ChartSpec {
  const { timeline } = source;
  const limits = source.criteriaConfig.limits;
  return {
    id: 'rate',
    title: 'Target and achieved rate',
    kind: 'time',
    yLabel: 'ops/s',
    series: [
      { label: 'achieved', unit: 'ops/s', values: timeline.map((e) => e.achievedRate) },
      { label: 'target', unit: 'ops/s', dash: true, values: timeline.map((e) => e.targetRate) },
      { label: 'errors', unit: '/s', values: timeline.map((e) => e.errors / e.intervalS) },
      { label: 'dropped', unit: '/s', values: timeline.map((e) => e.dropped / e.intervalS) },
    ],
    thresholds: [
      ...limitLine('throughput ≥', limits.throughputOpsPerSMin),
      ...limitLine('throughput in every window ≥', limits.throughputOpsPerSWindowMin),
    ],
  };
}

function resourceCharts(source: TimeChartSource): ChartSpec[] {
  const { timeline } = source;
  const limits = source.criteriaConfig.limits;
  const mb = (bytes: number) => Math.round(bytes / 1e3) / 1e3;
  return [
    {
      id: 'in-flight',
      title: 'In flight and queued',
      kind: 'time',
      yLabel: 'operations',
      thresholds: [],
      series: [
        { label: 'in flight', unit: '', values: timeline.map((e) => e.inFlight) },
        { label: 'queued', unit: '', values: timeline.map((e) => e.queued) },
      ],
    },
    {
      id: 'memory',
      title: 'Memory',
      kind: 'time',
      yLabel: 'MB',
      thresholds: [],
      series: [
        { label: 'RSS', unit: 'MB', values: timeline.map((e) => mb(e.rssBytes)) },
        { label: 'heap used', unit: 'MB', values: timeline.map((e) => mb(e.heapUsedBytes)) },
      ],
    },
    {
      id: 'cpu',
      title: 'CPU and event-loop delay',
      kind: 'time',
      yLabel: 'CPU %',
      yLabelRight: 'event-loop delay p99 (ms)',
      series: [
        { label: 'CPU', unit: '%', values: timeline.map((e) => e.cpuPercent) },
        {
          label: 'event-loop delay p99',
          unit: 'ms',
          axis: 'right',
          values: timeline.map((e) => e.eventLoopDelayMsP99),
        },
      ],
      thresholds: [
        ...limitLine('CPU avg ≤', limits.cpuPercentAvgMax),
        ...limitLine('CPU max ≤', limits.cpuPercentMaxMax),
        ...limitLine('event-loop delay p99 ≤', limits.eventLoopDelayMsP99Max, 'right'),
      ],
    },
  ];
}

/** Every time chart, in the order the page shows them. */
export function timeCharts(source: TimeChartSource): ChartSpec[] {
  const { timeline, criteriaConfig } = source;
  const charts: ChartSpec[] = [
    rateChart(source),
    {
      id: 'latency',
      title: 'Latency, all operations',
      kind: 'time',
      yLabel: 'ms',
      series: latencySeries(timeline, (e) => e),
      thresholds: latencyThresholds(criteriaConfig, null),
    },
  ];
  source.operations.slice(0, OPERATION_CHARTS_MAX).forEach((op, i) => {
    charts.push({
      id: `latency-${i}`,
      title: `Latency: ${op}`,
      kind: 'time',
      yLabel: 'ms',
      series: latencySeries(timeline, (e) => e.operations[op]),
      thresholds: latencyThresholds(criteriaConfig, op),
    });
  });
  const errors = errorSeries(timeline);
  if (errors.length > 0) {
    charts.push({
      id: 'errors',
      title: 'Errors by code',
      kind: 'time',
      yLabel: 'errors/s',
      series: errors,
      thresholds: [],
    });
  }
  charts.push(...resourceCharts(source), ...gaugeCharts(timeline));
  return charts;
}

/** The x values and bands every time chart shares, and the time charts. */
export function timeChartData(source: TimeChartSource): ChartData {
  return { x: source.timeline.map((e) => e.tS), bands: chartBands(source), charts: timeCharts(source) };
}
