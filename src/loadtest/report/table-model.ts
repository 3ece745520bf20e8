/**
 * The shape of a report table: a section as `{ title, header, rows }` whose cells are text plus
 * what a renderer may show its own way (a verdict, a scenario-file key, a unit, a total, a caveat).
 * Types and two constructors only; the sections are built in `report-tables.ts` and
 * `settings-tables.ts` and rendered by `markdown.ts`, `html-table.ts` and `text-table.ts`.
 */

export interface ReportCell {
  text: string;
  /** A verdict cell: renderers colour it or show a mark instead of the text. */
  status?: 'pass' | 'fail' | 'skipped';
  /** A key as scenario files spell it, shown after the text in parentheses. */
  key?: string;
  /** The unit of a figure: renderers that inline units append it to the text. */
  unit?: string;
  /** A totals row's label. */
  strong?: boolean;
  /** Why the figure should be read with care (too short a window, …). */
  caveat?: string;
}

export interface ReportTable {
  /** Stable identifier of the section (`criteria`, `latency`, …). */
  id: string;
  /** Section heading; empty for the run-settings table that sits under the page title. */
  title: string;
  /** A sentence before the table. */
  intro?: string;
  header: string[];
  rows: ReportCell[][];
  /** Said instead of the table when there are no rows; without it an empty section is left out. */
  empty?: string;
  /** A sentence after the table. */
  note?: string;
  /** A column that only repeats the `unit` of other cells: renderers that inline units drop it. */
  unitColumn?: number;
  /** The row that fails (every criterion row that did not pass), for renderers that colour rows. */
  failedRows?: number[];
}

/** The distinct caveats of a table's cells, in reading order. */
export function tableCaveats(table: ReportTable): string[] {
  return [
    ...new Set(table.rows.flatMap((row) => row.flatMap((c) => (c.caveat === undefined ? [] : [c.caveat])))),
  ];
}

export const cell = (text: string, extra: Omit<ReportCell, 'text'> = {}): ReportCell => ({ text, ...extra });
export const cells = (texts: string[]): ReportCell[] => texts.map((text) => cell(text));
