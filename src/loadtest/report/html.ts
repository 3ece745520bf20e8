/**
 * `report.html`: one self-contained page — the verdict, what the run was asked to do (load groups
 * with their profile, rates and mix; the target's settings), the report tables with failed
 * criteria in red and caveats beside figures from too short a window, and the charts: every time
 * chart shaded with the run's windows and crossed by the limits that apply to it, a latency
 * distribution per operation from the HDR histograms. uPlot's script and stylesheet are inlined
 * from node_modules and the data is embedded as JSON, so the file opens offline, from a CI
 * artifact, without a server. The page exposes `window.tiervecCharts` for tests.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type ChartData, type TimeChartSource, timeChartData } from './chart-data.ts';
import { CHART_SCRIPT, CHART_STYLE } from './chart-script.ts';
import { escapeHtml, renderHtmlSection } from './html-table.ts';
import { distributionCharts } from './latency-distribution.ts';
import { reportTables } from './report-tables.ts';
import type { LoadTestReport } from './schema.ts';

/** The most operations that get a latency chart of their own. */
export { OPERATION_CHARTS_MAX as HTML_OPERATION_CHARTS_MAX } from './chart-data.ts';

let uplotAssets: { script: string; style: string } | undefined;

/** uPlot's script and stylesheet, read once from node_modules. */
export function loadUplot(): { script: string; style: string } {
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
export const scriptSafe = (text: string) =>
  text
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export const PAGE_STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px; color: #1d2329; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; }
.passed { background: #1a7f37; } .failed { background: #cf222e; } .stopped { background: #9a6700; } .running { background: #0969da; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child, td:nth-child(2) { text-align: left; }
#table-load td, #table-target td, #table-errors td, #table-load th, #table-target th, #table-errors th, #table-criteria th:nth-child(2) { text-align: left; }
td.status.pass { color: #1a7f37; } td.status.skipped { color: #57606a; }
tr.failed-row td { background: #ffebe9; color: #a40e26; } td.status.fail { font-weight: 700; }
td.caveat { background: #fff8c5; } .caveat-note { color: #7d4e00; font-size: 13px; margin: 2px 0; }
.meta { color: #57606a; font-size: 13px; }
${CHART_STYLE}`;

/** The data of every chart of a finished report. */
export function reportChartData(report: LoadTestReport): ChartData {
  const source: TimeChartSource = {
    timeline: report.timeline,
    warmupS: report.warmupS,
    windows: report.windows,
    groups: report.groups,
    criteriaConfig: report.criteriaConfig,
    operations: Object.keys(report.operations),
  };
  const data = timeChartData(source);
  return {
    ...data,
    charts: [...data.charts, ...distributionCharts(report.operations, report.criteriaConfig)],
  };
}

function verdict(report: LoadTestReport): { className: string; text: string } {
  if (report.stopReason === 'aborted') return { className: 'stopped', text: 'STOPPED EARLY' };
  return report.passed ? { className: 'passed', text: 'PASSED' } : { className: 'failed', text: 'FAILED' };
}

/** The run's settings line under the title. */
export function metaLine(
  report: Pick<
    LoadTestReport,
    'mode' | 'seed' | 'startedAt' | 'durationS' | 'warmupS' | 'model' | 'profile' | 'target'
  >,
): string {
  return [
    `mode ${report.mode}`,
    `seed ${report.seed}`,
    `started ${report.startedAt}`,
    `duration ${report.durationS} s (warm-up ${report.warmupS} s)`,
    `model ${report.model}`,
    `profile ${report.profile?.kind ?? '–'}`,
    `target ${report.target.name}`,
  ].join(' · ');
}

/** The tables in page order: settings first, then the figures (the charts show the timeline). */
function tables(report: LoadTestReport): string {
  return reportTables(report)
    .filter((table) => table.id !== 'meta' && table.id !== 'timeline')
    .map(renderHtmlSection)
    .filter((section) => section !== '')
    .join('\n');
}

export function renderHtml(report: LoadTestReport): string {
  const { script, style } = loadUplot();
  const { className, text } = verdict(report);
  const warnings =
    report.warnings.length === 0
      ? ''
      : `<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Load test ${report.scenario}: ${text}`)}</title>
<style>${scriptSafe(style)}${PAGE_STYLE}</style>
</head>
<body>
<h1>Load test: ${escapeHtml(report.scenario)} <span class="verdict ${className}">${text}</span></h1>
<p>${escapeHtml(report.description)}</p>
<p class="meta">${escapeHtml(metaLine(report))}</p>
${tables(report)}
${warnings}
<h2>Over time</h2>
<div id="bands" class="bands"></div>
<div id="charts"></div>
<script>${scriptSafe(script)}</script>
<script type="application/json" id="tiervec-data">${scriptSafe(JSON.stringify(reportChartData(report)))}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
