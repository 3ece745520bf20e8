/**
 * The shared report tables (`report-tables.ts`) as HTML: a heading, the table, its notes. Verdict
 * cells and failed rows get classes the page colours, units are inlined into the figures they
 * belong to, and caveats are shown beside the figure (and in its tooltip). Every text is escaped;
 * this file never decides which rows a section has.
 */

import { type ReportCell, type ReportTable, tableCaveats } from './table-model.ts';

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STATUS_TEXT = { pass: 'pass', fail: 'FAIL', skipped: 'skipped' } as const;

function htmlCell(cell: ReportCell): string {
  if (cell.status !== undefined) {
    return `<td class="status ${cell.status}">${STATUS_TEXT[cell.status]}</td>`;
  }
  let html = escapeHtml(cell.text);
  if (cell.unit !== undefined && cell.unit !== '' && cell.unit !== 'ratio' && cell.text !== '–') {
    html += cell.unit === '%' ? '%' : `&nbsp;${escapeHtml(cell.unit)}`;
  }
  if (cell.key !== undefined) html += ` (<code>${escapeHtml(cell.key)}</code>)`;
  if (cell.strong === true) html = `<strong>${html}</strong>`;
  if (cell.caveat !== undefined) {
    const caveat = escapeHtml(cell.caveat);
    return `<td class="caveat" title="${caveat}">${html}&nbsp;⚠</td>`;
  }
  return `<td>${html}</td>`;
}

/** The table element alone. */
export function renderHtmlTable(table: ReportTable): string {
  const keep = (_: unknown, i: number) => i !== table.unitColumn;
  const failed = new Set(table.failedRows ?? []);
  const head = table.header
    .filter(keep)
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join('');
  const body = table.rows
    .map((row, i) => {
      const cells = row.filter(keep).map(htmlCell).join('');
      return failed.has(i) ? `<tr class="failed-row">${cells}</tr>` : `<tr>${cells}</tr>`;
    })
    .join('');
  return `<table id="table-${escapeHtml(table.id)}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Heading, intro, table (or its `empty` sentence) and note; '' for an empty section with nothing to say. */
export function renderHtmlSection(table: ReportTable): string {
  if (table.rows.length === 0 && table.empty === undefined) return '';
  return [
    table.title === '' ? '' : `<h2>${escapeHtml(table.title)}</h2>`,
    table.intro === undefined ? '' : `<p>${escapeHtml(table.intro)}</p>`,
    table.rows.length === 0 ? `<p>${escapeHtml(table.empty ?? '')}</p>` : renderHtmlTable(table),
    table.note === undefined ? '' : `<p class="meta">${escapeHtml(table.note)}</p>`,
    ...tableCaveats(table).map((caveat) => `<p class="caveat-note">⚠ ${escapeHtml(caveat)}</p>`),
  ]
    .filter((part) => part !== '')
    .join('\n');
}
