/**
 * `report.md`: the tables a reviewer reads in a pull request — verdict, criteria, throughput,
 * latency per operation (response and service time), errors by code, resources, scheduler accuracy
 * and a condensed timeline — rendered from the shared table model (`report-tables.ts`). Pure: a
 * report in, a string out; it decides Markdown syntax only, never which rows a section has.
 */

import { type ReportCell, type ReportTable, reportTables, TIMELINE_ROWS_MAX } from './report-tables.ts';
import type { LoadTestReport } from './schema.ts';
import { tableCaveats } from './table-model.ts';

/** The most timeline rows the Markdown report shows; longer runs are sampled evenly. */
export const MARKDOWN_TIMELINE_ROWS_MAX = TIMELINE_ROWS_MAX;

const STATUS_MARKS = { pass: '✅', fail: '❌', skipped: '➖' } as const;

function markdownCell(cell: ReportCell): string {
  if (cell.status !== undefined) return STATUS_MARKS[cell.status];
  let text = cell.key === undefined ? cell.text : `${cell.text} (\`${cell.key}\`)`;
  if (cell.strong === true) text = `**${text}**`;
  if (cell.caveat !== undefined) text = `${text} ⚠`;
  return text;
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (texts: readonly string[]) => `| ${texts.map(escapeCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function section(table: ReportTable): string {
  if (table.rows.length === 0 && table.empty === undefined) return '';
  const caveats = tableCaveats(table).map((caveat) => `⚠ ${caveat}`);
  const body =
    table.rows.length === 0
      ? (table.empty as string)
      : markdownTable(
          table.header,
          table.rows.map((row) => row.map(markdownCell)),
        );
  return [
    table.title === '' ? '' : `## ${table.title}`,
    table.intro ?? '',
    body + (table.note === undefined ? '' : `\n\n_${table.note}_`),
    caveats.join('\n\n'),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

function verdict(report: LoadTestReport): string {
  if (report.stopReason === 'aborted') return 'STOPPED EARLY (partial report, not passed)';
  return report.passed ? 'PASSED' : 'FAILED';
}

export function renderMarkdown(report: LoadTestReport): string {
  const sections = [
    `# Load test: ${report.scenario} — ${verdict(report)}`,
    report.description === '' ? '' : `> ${report.description}`,
    ...reportTables(report).map(section),
    report.warnings.length === 0 ? '' : `## Warnings\n\n${report.warnings.map((w) => `- ${w}`).join('\n')}`,
    report.merged === undefined
      ? ''
      : `_Merged from ${report.merged.runs} runs (seeds ${report.merged.seeds.join(', ')}); timeline percentiles and resources are the highest of the runs._`,
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}
