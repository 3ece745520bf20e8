/**
 * The suite's verdict in three forms: a pass/fail table per scenario on the console, `summary.md`
 * and `index.html` in `reports/<suite>-<timestamp>/`, each linking every scenario's report (relative
 * links, so the reports directory can be moved or uploaded as one artifact).
 */

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadTestReport } from '../loadtest/report/schema.ts';
import { formatDurationS, formatMs, formatPct, formatRate, formatTable } from './format.ts';
import type { Style } from './style.ts';

export type SuiteOutcome =
  | {
      state: 'completed';
      scenario: string;
      report: LoadTestReport;
      reportDir: string;
      wallS: number;
      preloadS: number | undefined;
    }
  | { state: 'broken'; scenario: string; error: string; wallS: number };

export interface SuiteResult {
  suite: string;
  startedAt: string;
  wallS: number;
  outcomes: SuiteOutcome[];
}

export function verdictOf(outcome: SuiteOutcome): 'PASS' | 'FAIL' | 'ERROR' {
  if (outcome.state === 'broken') return 'ERROR';
  return outcome.report.passed ? 'PASS' : 'FAIL';
}

const HEADER = [
  'scenario',
  'verdict',
  'ops',
  'ops/s',
  'target',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'errors',
  'preload s',
  'wall s',
];

function rowOf(outcome: SuiteOutcome): string[] {
  const verdict = verdictOf(outcome);
  if (outcome.state === 'broken') {
    return [outcome.scenario, verdict, '-', '-', '-', '-', '-', '-', '-', '-', outcome.wallS.toFixed(1)];
  }
  const s = outcome.report.summary;
  return [
    outcome.scenario,
    verdict,
    String(s.operations),
    formatRate(s.throughputOpsPerS),
    formatRate(s.targetOpsPerS ?? undefined),
    formatMs(s.latencyMs.p50),
    formatMs(s.latencyMs.p95),
    formatMs(s.latencyMs.p99),
    formatPct(s.errorRate),
    outcome.preloadS === undefined ? '-' : outcome.preloadS.toFixed(1),
    outcome.wallS.toFixed(1),
  ];
}

/** Why a scenario did not pass, in one line: its failed criteria, or the error. */
function reasonOf(outcome: SuiteOutcome): string | undefined {
  if (outcome.state === 'broken') return outcome.error;
  if (outcome.report.passed) return undefined;
  if (outcome.report.stopReason === 'aborted')
    return `stopped early${outcome.report.stoppedBy === undefined ? '' : `: ${outcome.report.stoppedBy.message}`}`;
  return outcome.report.criteria
    .filter((c) => !c.passed)
    .map(
      (c) =>
        `${c.name}${c.operation === null ? '' : `[${c.operation}]`}${c.window === null ? '' : `@${c.window}`} = ${c.actual} (limit ${c.limit})`,
    )
    .join('; ');
}

export function counts(result: SuiteResult): { passed: number; failed: number; broken: number } {
  const verdicts = result.outcomes.map(verdictOf);
  return {
    passed: verdicts.filter((v) => v === 'PASS').length,
    failed: verdicts.filter((v) => v === 'FAIL').length,
    broken: verdicts.filter((v) => v === 'ERROR').length,
  };
}

export function formatSuiteTable(result: SuiteResult, style: Style): string {
  const rows = result.outcomes.map(rowOf);
  const lines = formatTable(HEADER, rows, 'llrrrrrrrrr');
  const colored = lines.map((line, i) => {
    if (i < 2) return style.bold(line);
    const verdict = verdictOf(result.outcomes[i - 2] as SuiteOutcome);
    return verdict === 'PASS'
      ? line.replace('PASS', style.pass('PASS'))
      : line.replace(verdict, style.fail(verdict));
  });
  const reasons = result.outcomes
    .map((outcome) => [outcome.scenario, reasonOf(outcome)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([scenario, reason]) => `  ${scenario}: ${reason}`);
  const { passed, failed, broken } = counts(result);
  const total = `${result.suite}: ${passed} passed, ${failed} failed, ${broken} broke, in ${formatDurationS(result.wallS)}`;
  return [...colored, ...(reasons.length > 0 ? ['', ...reasons] : []), '', total].join('\n');
}

export async function writeSuiteSummary(
  result: SuiteResult,
  summaryDir: string,
): Promise<{ markdown: string; html: string }> {
  await mkdir(summaryDir, { recursive: true });
  const link = (outcome: SuiteOutcome, file: string) =>
    outcome.state === 'completed'
      ? path.relative(summaryDir, path.join(outcome.reportDir, file)).split(path.sep).join('/')
      : undefined;
  const markdown = renderMarkdown(result, link);
  const html = renderHtml(result, link);
  const files = { markdown: path.join(summaryDir, 'summary.md'), html: path.join(summaryDir, 'index.html') };
  await writeFile(files.markdown, markdown);
  await writeFile(files.html, html);
  return files;
}

type Link = (outcome: SuiteOutcome, file: string) => string | undefined;

function renderMarkdown(result: SuiteResult, link: Link): string {
  const { passed, failed, broken } = counts(result);
  const lines = [
    `# tiervec load-test suite: ${result.suite}`,
    '',
    `Started ${result.startedAt}; ${result.outcomes.length} scenarios in ${formatDurationS(result.wallS)}: ` +
      `**${passed} passed, ${failed} failed, ${broken} broke**.`,
    '',
    `| ${HEADER.join(' | ')} | report |`,
    `|${HEADER.map(() => '---').join('|')}|---|`,
  ];
  for (const outcome of result.outcomes) {
    const reportLink = link(outcome, 'report.md');
    lines.push(
      `| ${rowOf(outcome).join(' | ')} | ${reportLink === undefined ? '-' : `[report](${reportLink})`} |`,
    );
  }
  const reasons = result.outcomes.filter((o) => reasonOf(o) !== undefined);
  if (reasons.length > 0) {
    lines.push('', '## Why', '');
    for (const outcome of reasons) lines.push(`- **${outcome.scenario}**: ${reasonOf(outcome)}`);
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function renderHtml(result: SuiteResult, link: Link): string {
  const { passed, failed, broken } = counts(result);
  const rows = result.outcomes.map((outcome) => {
    const cells = rowOf(outcome);
    const verdict = verdictOf(outcome);
    const href = link(outcome, 'report.html');
    const name =
      href === undefined
        ? escapeHtml(outcome.scenario)
        : `<a href="${escapeHtml(href)}">${escapeHtml(outcome.scenario)}</a>`;
    const rest = cells
      .slice(1)
      .map((cell, i) => `<td class="${i === 0 ? verdict.toLowerCase() : 'num'}">${escapeHtml(cell)}</td>`);
    const reason = reasonOf(outcome);
    return `<tr><td>${name}</td>${rest.join('')}<td class="why">${escapeHtml(reason ?? '')}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tiervec suite ${escapeHtml(result.suite)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.pass{color:#17802f;font-weight:600}td.fail,td.error{color:#b3261e;font-weight:600}td.why{color:#555;font-size:12px}
</style></head><body>
<h1>tiervec load-test suite: ${escapeHtml(result.suite)}</h1>
<p>Started ${escapeHtml(result.startedAt)}; ${result.outcomes.length} scenarios in ${escapeHtml(formatDurationS(result.wallS))}:
<strong>${passed} passed, ${failed} failed, ${broken} broke</strong>. Each name links to the scenario's report.</p>
<table><thead><tr>${HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}<th>why</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}
