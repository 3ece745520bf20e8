/**
 * `report.html`: one self-contained page — the verdict, the tables of the Markdown report, and
 * charts over time drawn with uPlot (latency percentiles per operation, target against achieved
 * rate, in-flight and queued operations, RSS and CPU, the target's gauges). uPlot's script and
 * stylesheet are inlined from node_modules and the chart data is embedded as JSON, so the file
 * opens offline, from a CI artifact, without a server. The page exposes `window.tiervecCharts`
 * (title and number of data points of every chart) for tests.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { escapeHtml, renderHtmlSection } from './html-table.ts';
import { reportTables } from './report-tables.ts';
import type { LoadTestReport, TimelineEntry } from './schema.ts';

/** The most operations that get a latency chart of their own. */
export const HTML_OPERATION_CHARTS_MAX = 16;

interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** `right`: drawn against the right-hand axis. */
  axis?: 'right';
}

interface ChartSpec {
  title: string;
  yLabel: string;
  yLabelRight?: string;
  series: ChartSeries[];
}

let uplotAssets: { script: string; style: string } | undefined;

function loadUplot(): { script: string; style: string } {
  if (uplotAssets === undefined) {
    const require = createRequire(import.meta.url);
    uplotAssets = {
      script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

/** JSON or script text that cannot close the <script> element it sits in. */
const scriptSafe = (text: string) =>
  text
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

function charts(timeline: TimelineEntry[], operations: string[]): ChartSpec[] {
  const per = (pick: (e: TimelineEntry) => number | null) => timeline.map(pick);
  const specs: ChartSpec[] = [
    {
      title: 'Target and achieved rate',
      yLabel: 'ops/s',
      series: [
        { label: 'target', values: per((e) => e.targetRate) },
        { label: 'achieved', values: per((e) => e.achievedRate) },
        { label: 'errors', values: per((e) => e.errors / e.intervalS) },
        { label: 'dropped', values: per((e) => e.dropped / e.intervalS) },
      ],
    },
    {
      title: 'Latency, all operations',
      yLabel: 'ms',
      series: (['p50', 'p95', 'p99'] as const).map((p) => ({
        label: p,
        values: per((e) => (e.count > 0 ? e.latencyMs[p] : null)),
      })),
    },
  ];
  for (const op of operations.slice(0, HTML_OPERATION_CHARTS_MAX)) {
    specs.push({
      title: `Latency: ${op}`,
      yLabel: 'ms',
      series: (['p50', 'p95', 'p99'] as const).map((p) => ({
        label: p,
        values: per((e) => {
          const stats = e.operations[op];
          return stats !== undefined && stats.count > 0 ? stats.latencyMs[p] : null;
        }),
      })),
    });
  }
  specs.push(
    {
      title: 'In flight and queued',
      yLabel: 'operations',
      series: [
        { label: 'in flight', values: per((e) => e.inFlight) },
        { label: 'queued', values: per((e) => e.queued) },
      ],
    },
    {
      title: 'Memory and CPU',
      yLabel: 'MB',
      yLabelRight: 'CPU %',
      series: [
        { label: 'RSS MB', values: per((e) => e.rssBytes / 1e6) },
        { label: 'heap MB', values: per((e) => e.heapUsedBytes / 1e6) },
        { label: 'CPU %', values: per((e) => e.cpuPercent), axis: 'right' },
        { label: 'event-loop delay p99 ms', values: per((e) => e.eventLoopDelayMsP99), axis: 'right' },
      ],
    },
  );
  const gauges = [...new Set(timeline.flatMap((e) => Object.keys(e.gauges)))];
  if (gauges.length > 0) {
    specs.push({
      title: 'Target gauges',
      yLabel: 'value',
      series: gauges.map((g) => ({ label: g, values: per((e) => e.gauges[g] ?? null) })),
    });
  }
  return specs;
}

/** Every table of the report except the condensed timeline (the charts show all of it). */
function tables(report: LoadTestReport): string {
  return reportTables(report)
    .filter((table) => table.id !== 'meta' && table.id !== 'timeline')
    .map(renderHtmlSection)
    .filter((section) => section !== '')
    .join('\n');
}

const PAGE_STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px; color: #1d2329; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; }
.passed { background: #1a7f37; } .failed { background: #cf222e; } .stopped { background: #9a6700; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child, td:nth-child(2) { text-align: left; }
td.status.fail, tr.failed-row td { color: #cf222e; font-weight: 600; } td.status.pass { color: #1a7f37; }
.meta { color: #57606a; font-size: 13px; }
.chart { margin: 16px 0; } .empty { color: #57606a; font-style: italic; }
`;

const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('tiervec-data').textContent);
  var palette = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a3069', '#6e7781'];
  var container = document.getElementById('charts');
  var drawn = [];
  data.charts.forEach(function (chart, index) {
    var holder = document.createElement('div');
    holder.className = 'chart';
    container.appendChild(holder);
    var points = 0;
    chart.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) points++; }); });
    if (data.x.length === 0 || points === 0) {
      var heading = document.createElement('h3');
      heading.textContent = chart.title;
      var note = document.createElement('p');
      note.className = 'empty';
      note.textContent = 'no data';
      holder.appendChild(heading);
      holder.appendChild(note);
      drawn.push({ title: chart.title, points: 0 });
      return;
    }
    var right = chart.series.some(function (s) { return s.axis === 'right'; });
    var opts = {
      title: chart.title,
      width: Math.max(600, Math.min(1150, container.clientWidth || 1000)),
      height: 260,
      scales: { x: { time: false }, y: {}, r: {} },
      series: [{ label: 'time (s)' }].concat(chart.series.map(function (s, i) {
        return { label: s.label, stroke: palette[i % palette.length], width: 1.5, scale: s.axis === 'right' ? 'r' : 'y', spanGaps: false };
      })),
      axes: [{ label: 'seconds' }, { label: chart.yLabel, scale: 'y' }].concat(right ? [{ label: chart.yLabelRight, scale: 'r', side: 1, grid: { show: false } }] : []),
    };
    var plot = new uPlot(opts, [data.x].concat(chart.series.map(function (s) { return s.values; })), holder);
    drawn.push({ title: chart.title, points: points, plot: plot });
  });
  window.tiervecCharts = drawn;
})();
`;

export function renderHtml(report: LoadTestReport): string {
  const { script, style } = loadUplot();
  const data = {
    x: report.timeline.map((e) => e.tS),
    charts: charts(report.timeline, Object.keys(report.operations)),
  };
  const verdictClass = report.stopReason === 'aborted' ? 'stopped' : report.passed ? 'passed' : 'failed';
  const verdictText = report.stopReason === 'aborted' ? 'STOPPED EARLY' : report.passed ? 'PASSED' : 'FAILED';
  const meta = [
    `mode ${report.mode}`,
    `seed ${report.seed}`,
    `started ${report.startedAt}`,
    `duration ${report.durationS} s (warm-up ${report.warmupS} s)`,
    `model ${report.model}`,
    `profile ${report.profile?.kind ?? '–'}`,
    `target ${report.target.name}`,
  ].join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Load test ${report.scenario}: ${verdictText}`)}</title>
<style>${scriptSafe(style)}${PAGE_STYLE}</style>
</head>
<body>
<h1>Load test: ${escapeHtml(report.scenario)} <span class="verdict ${verdictClass}">${verdictText}</span></h1>
<p>${escapeHtml(report.description)}</p>
<p class="meta">${escapeHtml(meta)}</p>
${tables(report)}
<h2>Over time</h2>
<div id="charts"></div>
<script>${scriptSafe(script)}</script>
<script type="application/json" id="tiervec-data">${scriptSafe(JSON.stringify(data))}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
