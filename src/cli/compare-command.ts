/**
 * `tiervec loadtest compare BASE.json NEW.json`: per-operation percentile, throughput and error-rate
 * deltas with a tolerance; exit 1 when anything regressed beyond it, 0 otherwise.
 */

import { compareReports, formatComparison } from '../loadtest/report/compare.ts';
import { readReportFile } from '../loadtest/report/json.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { createStyle } from './style.ts';

export interface CompareFlags {
  tolerancePct?: number;
}

export async function compareCommand(
  io: CliIo,
  baseFile: string,
  nextFile: string,
  flags: CompareFlags,
): Promise<number> {
  const base = await readReportFile(baseFile);
  const next = await readReportFile(nextFile);
  const comparison = compareReports(
    base,
    next,
    flags.tolerancePct === undefined ? {} : { tolerancePct: flags.tolerancePct },
  );
  const style = createStyle(io.color);
  io.stdout.write(`${base.scenario} (${baseFile}) → ${next.scenario} (${nextFile})\n\n`);
  const text = formatComparison(comparison).trimEnd().split('\n');
  const verdict = text.pop() ?? '';
  io.stdout.write(
    `${text.join('\n')}\n${comparison.regressed ? style.fail(verdict) : style.pass(verdict)}\n`,
  );
  return comparison.regressed ? ExitCode.FAILED : ExitCode.PASSED;
}
