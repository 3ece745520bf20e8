/**
 * The shared report tables (`report-tables.ts`) as plain text for a terminal or a log: columns
 * padded to their widest cell, units inlined, verdicts as ✓ / ✗ / –. No colours, so the text
 * reads the same with NO_COLOR, in a CI log and on a terminal. Pure: a table in, lines out.
 */

import { type ReportCell, type ReportTable, tableCaveats } from './table-model.ts';

const STATUS_MARKS = { pass: '✓', fail: '✗', skipped: '–' } as const;

function textCell(cell: ReportCell): string {
  if (cell.status !== undefined) return STATUS_MARKS[cell.status];
  let text = cell.key === undefined ? cell.text : `${cell.text} (${cell.key})`;
  if (cell.unit !== undefined && cell.unit !== '' && cell.unit !== 'ratio' && text !== '–') {
    text = cell.unit === '%' ? `${text}%` : `${text} ${cell.unit}`;
  }
  return cell.caveat === undefined ? text : `${text} (!)`;
}

/** The table as lines of text, without its title; the `empty` sentence when it has no rows. */
export function renderTextTable(table: ReportTable): string {
  if (table.rows.length === 0) return table.empty ?? '';
  const keep = (_: unknown, i: number) => i !== table.unitColumn;
  const header = table.header.filter(keep);
  const rows = table.rows.map((row) => row.filter(keep).map(textCell));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (texts: readonly string[]) =>
    texts
      .map((text, i) => (i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const caveats = tableCaveats(table).map((caveat) => `(!) ${caveat}`);
  return [line(header), ...rows.map(line), ...caveats].join('\n');
}
