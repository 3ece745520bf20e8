/**
 * `tiervec loadtest merge A.json B.json … --out MERGED.json`: adds the histograms and counts of runs
 * made in several processes or on several machines into one report (re-judged against its criteria),
 * written with its Markdown and HTML beside it. Exit 0 when the merged run passes, 1 when it fails,
 * 2 when the runs are unrelated (different scenario, target or configuration) and `--force` is not
 * given. Each input is a report.json or the run directory holding it.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderHtml } from '../loadtest/report/html.ts';
import { serializeReport } from '../loadtest/report/json.ts';
import { renderMarkdown } from '../loadtest/report/markdown.ts';
import { mergeReports } from '../loadtest/report/merge.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { readReportArgument } from './report-argument.ts';
import { shownPath } from './report-dir.ts';

export interface MergeFlags {
  out: string;
  force?: boolean;
}

export async function mergeCommand(io: CliIo, files: string[], flags: MergeFlags): Promise<number> {
  const { out } = flags;
  const reports = [];
  for (const file of files) reports.push(await readReportArgument(io.cwd, file));
  const merged = mergeReports(reports, { force: flags.force === true });
  for (const warning of merged.warnings.filter((w) => w.startsWith('merged runs differ')))
    io.stderr.write(`warning: ${warning}\n`);
  const target = path.resolve(io.cwd, out);
  const base = target.endsWith('.json') ? target.slice(0, -'.json'.length) : target;
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target.endsWith('.json') ? target : `${target}.json`, serializeReport(merged));
  await writeFile(`${base}.md`, renderMarkdown(merged));
  await writeFile(`${base}.html`, renderHtml(merged));
  const s = merged.summary;
  io.stdout.write(
    `merged ${reports.length} reports: ${s.operations} operations, ${s.errors} errors, ` +
      `p99 ${s.latencyMs.p99} ms → ${shownPath(io.cwd, target.endsWith('.json') ? target : `${target}.json`)}` +
      ` (${merged.passed ? 'passed' : 'failed'})\n`,
  );
  return merged.passed ? ExitCode.PASSED : ExitCode.FAILED;
}
