/**
 * `tiervec loadtest compare BASE NEW`: per-operation percentile, throughput and error-rate deltas
 * with their confidence intervals; exit 1 when anything regressed beyond the tolerance and the
 * noise, 4 when nothing did but a figure got worse in a run whose machine was measurably busier
 * (inconclusive), 0 otherwise, 2 when the runs are of different scenarios or targets (unless `--force`).
 * BASE and NEW are report.json files or the run directories that hold them.
 */

import { compareReports } from '../loadtest/report/compare.ts';
import { formatComparison } from '../loadtest/report/compare-format.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { readReportArgument } from './report-argument.ts';
import { createStyle } from './style.ts';

export interface CompareFlags {
  tolerancePct?: number;
  confidence?: number;
  force?: boolean;
}

export async function compareCommand(
  io: CliIo,
  baseArgument: string,
  nextArgument: string,
  flags: CompareFlags,
): Promise<number> {
  const base = await readReportArgument(io.cwd, baseArgument);
  const next = await readReportArgument(io.cwd, nextArgument);
  const comparison = compareReports(base, next, {
    ...(flags.tolerancePct === undefined ? {} : { tolerancePct: flags.tolerancePct }),
    ...(flags.confidence === undefined ? {} : { confidence: flags.confidence }),
    force: flags.force === true,
  });
  const style = createStyle(io.color);
  io.stdout.write(`${base.scenario} (${baseArgument}) → ${next.scenario} (${nextArgument})\n\n`);
  const text = formatComparison(comparison).trimEnd().split('\n');
  const verdict = text.pop() ?? '';
  const styled =
    comparison.outcome === 'pass'
      ? style.pass(verdict)
      : comparison.outcome === 'regression'
        ? style.fail(verdict)
        : style.bold(verdict);
  io.stdout.write(`${text.join('\n')}\n${styled}\n`);
  return comparison.outcome === 'pass'
    ? ExitCode.PASSED
    : comparison.outcome === 'regression'
      ? ExitCode.FAILED
      : ExitCode.INCONCLUSIVE;
}
