/**
 * The capacity search's reports: `capacity.json` (every probe with its latencies and verdict),
 * `capacity.md` (the table) and `capacity.html` (one self-contained page with a uPlot chart of
 * response-time percentiles and achieved throughput against the offered rate, the SLO drawn as a
 * line), beside each probe's own report directory.
 */

import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { LatencySummaryMs } from '../loadtest/report/schema.ts';
import { formatMs, formatPct, formatRate } from './format.ts';

export interface CapacityProbe {
  rate: number;
  passed: boolean;
  reasons: string[];
  /** Whether the probe's samples bound its p99 on the side of the limit its verdict says. */
  confident: boolean;
  /** Measured operations (all operations' histograms together). */
  samples: number;
  /** How long the probe ran, seconds (sized for its samples). */
  durationS: number;
  /** One-sided 95 % bounds of p99, ms; null where there were too few samples. */
  p99BoundsMs: { low: number | null; high: number | null };
  latencyMs: LatencySummaryMs;
  throughputOpsPerS: number;
  achievedRatio: number | null;
  errorRate: number;
  dropped: number;
  /** The probe's report directory, relative to the capacity report. */
  report: string;
}

export interface CapacityReport {
  scenario: string;
  startedAt: string;
  slo: { p99MsMax: number; errorRateMax: number; achievedRatioMin: number; droppedMax: 0 };
  strategy: string;
  /** Shortest and longest probe, seconds; each is sized for `samplesWanted` within them. */
  probeDurationS: number;
  probeDurationSMax: number;
  samplesWanted: number;
  highestPassingRate: number | null;
  lowestFailingRate: number | null;
  /** Why the answer cannot be trusted (the command then exits 1); empty when it can. */
  unreliable: string[];
  probes: CapacityProbe[];
}

export async function writeCapacityReport(
  report: CapacityReport,
  dir: string,
): Promise<{ json: string; markdown: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'capacity.json'),
    markdown: path.join(dir, 'capacity.md'),
    html: path.join(dir, 'capacity.html'),
  };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.markdown, renderCapacityMarkdown(report));
  await writeFile(files.html, renderCapacityHtml(report));
  return files;
}

const PROBE_HEADER = [
  'offered ops/s',
  'achieved ops/s',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'p99 bounds ms',
  'samples',
  'errors',
  'dropped',
  'SLO',
];

function probeCells(probe: CapacityProbe): string[] {
  return [
    formatRate(probe.rate),
    formatRate(probe.throughputOpsPerS),
    formatMs(probe.latencyMs.p50),
    formatMs(probe.latencyMs.p95),
    formatMs(probe.latencyMs.p99),
    `${formatMs(probe.p99BoundsMs.low ?? undefined)}–${formatMs(probe.p99BoundsMs.high ?? undefined)}`,
    String(probe.samples),
    formatPct(probe.errorRate),
    String(probe.dropped),
    `${probe.passed ? 'pass' : `fail: ${probe.reasons.join('; ')}`}${probe.confident ? '' : ' (not sure)'}`,
  ];
}

export function sortedProbes(report: CapacityReport): CapacityProbe[] {
  return [...report.probes].sort((a, b) => a.rate - b.rate);
}

export function renderCapacityMarkdown(report: CapacityReport): string {
  const lines = [
    `# Capacity of ${report.scenario}`,
    '',
    `SLO: p99 ≤ ${report.slo.p99MsMax} ms, error rate ≤ ${report.slo.errorRateMax}, achieved/offered ≥ ` +
      `${report.slo.achievedRatioMin}, nothing dropped. Strategy ${report.strategy}; each probe sized for ${report.samplesWanted} samples ` +
      `(${report.probeDurationS}–${report.probeDurationSMax} s), a failing probe repeated before it is believed.`,
    '',
    report.unreliable.length > 0
      ? `**Cannot tell**: ${report.unreliable.join('; ')}.`
      : report.highestPassingRate === null
        ? '**No probed rate met the SLO.**'
        : `**Highest rate meeting the SLO: ${formatRate(report.highestPassingRate)} ops/s**` +
          (report.lowestFailingRate === null
            ? ' (the highest rate probed).'
            : ` (${formatRate(report.lowestFailingRate)} ops/s did not).`),
    '',
    `| ${PROBE_HEADER.join(' | ')} | report |`,
    `|${PROBE_HEADER.map(() => '---').join('|')}|---|`,
    ...sortedProbes(report).map(
      (probe) => `| ${probeCells(probe).join(' | ')} | [report](${probe.report}/report.md) |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function uplotAssets(): { script: string; style: string } {
  const require = createRequire(import.meta.url);
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
const scriptSafe = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

export function renderCapacityHtml(report: CapacityReport): string {
  const probes = sortedProbes(report);
  const data = [
    probes.map((p) => p.rate),
    probes.map((p) => p.latencyMs.p50),
    probes.map((p) => p.latencyMs.p95),
    probes.map((p) => p.latencyMs.p99),
    probes.map(() => report.slo.p99MsMax),
    probes.map((p) => p.throughputOpsPerS),
  ];
  const { script, style } = uplotAssets();
  const rows = probes
    .map((probe) => {
      const cells = probeCells(probe)
        .map((cell) => `<td>${escapeHtml(cell)}</td>`)
        .join('');
      return `<tr class="${probe.passed ? 'pass' : 'fail'}">${cells}<td><a href="${escapeHtml(probe.report)}/report.html">report</a></td></tr>`;
    })
    .join('\n');
  const headline =
    report.unreliable.length > 0
      ? `Cannot tell: ${report.unreliable.join('; ')}`
      : report.highestPassingRate === null
        ? 'No probed rate met the SLO.'
        : `Highest rate meeting the SLO: ${formatRate(report.highestPassingRate)} ops/s`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>capacity of ${escapeHtml(report.scenario)}</title>
<style>${style}
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}tr.fail td:last-child{color:#b3261e}
tr.pass td{color:#17802f}</style></head><body>
<h1>Capacity of ${escapeHtml(report.scenario)}</h1>
<p><strong>${escapeHtml(headline)}</strong>. SLO: p99 ≤ ${report.slo.p99MsMax} ms, error rate ≤ ${report.slo.errorRateMax},
achieved/offered ≥ ${report.slo.achievedRatioMin}, nothing dropped; ${probes.length} probes of ${report.probeDurationS}–${report.probeDurationSMax} s sized for ${report.samplesWanted} samples (${escapeHtml(report.strategy)}).</p>
<div id="chart"></div>
<table><thead><tr>${PROBE_HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}<th></th></tr></thead><tbody>
${rows}
</tbody></table>
<script>${scriptSafe(script)}</script>
<script>
const data = ${scriptSafe(JSON.stringify(data))};
const opts = {
  title: 'Response time percentiles and throughput vs offered rate',
  width: Math.min(1100, window.innerWidth - 40), height: 420,
  scales: { x: { time: false }, tput: { auto: true } },
  axes: [
    { label: 'offered rate (ops/s)' },
    { label: 'latency (ms)' },
    { side: 1, scale: 'tput', label: 'achieved (ops/s)', grid: { show: false } },
  ],
  series: [
    { label: 'offered ops/s' },
    { label: 'p50 ms', stroke: '#1f77b4', points: { show: true } },
    { label: 'p95 ms', stroke: '#ff7f0e', points: { show: true } },
    { label: 'p99 ms', stroke: '#d62728', points: { show: true } },
    { label: 'SLO p99 ms', stroke: '#999', dash: [6, 4] },
    { label: 'achieved ops/s', stroke: '#2ca02c', scale: 'tput', points: { show: true } },
  ],
};
window.tiervecCharts = [{ title: opts.title, points: data[0].length }];
new uPlot(opts, data, document.getElementById('chart'));
</script>
</body></html>
`;
}
