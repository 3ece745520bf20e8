/**
 * Reports on disk: `report.json` (the report object as it is), `report.md` and `report.html` side by
 * side in one directory, and reading a `report.json` back (for merge and compare), checked against
 * the schema version. Every failure names the file.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, TierVecError } from '../../errors.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { assertReport, type LoadTestReport } from './schema.ts';

export function serializeReport(report: LoadTestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Parses and checks a report; INVALID_ARGUMENT names `source` when the text is not a schema-1 report. */
export function parseReport(text: string, source = 'report'): LoadTestReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TierVecError(ErrorCode.INVALID_ARGUMENT, `${source}: not JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  assertReport(value, source);
  return value;
}

export async function readReportFile(file: string): Promise<LoadTestReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `${file}: cannot read the report (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  return parseReport(text, file);
}

export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
}

/** Writes report.json, report.md and report.html into `dir` (created if needed). */
export async function writeReportFiles(report: LoadTestReport, dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'report.json'),
    markdown: path.join(dir, 'report.md'),
    html: path.join(dir, 'report.html'),
  };
  await writeFile(files.json, serializeReport(report));
  await writeFile(files.markdown, renderMarkdown(report));
  await writeFile(files.html, renderHtml(report));
  return files;
}
