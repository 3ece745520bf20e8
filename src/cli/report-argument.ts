/**
 * A report named on the command line: a `report.json` file, or the run directory `run` prints (its
 * `report.json` is read). Paths are resolved against the command's working directory. Every failure
 * is INVALID_ARGUMENT naming the path, so the command exits 2.
 */

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, TierVecError } from '../errors.ts';
import { readReportFile } from '../loadtest/report/json.ts';
import type { LoadTestReport } from '../loadtest/report/schema.ts';

/** The report file an argument names: itself, or `<dir>/report.json` for a directory. */
export async function reportFileOf(cwd: string, argument: string): Promise<string> {
  const resolved = path.resolve(cwd, argument);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(resolved)).isDirectory();
  } catch (error) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `${argument}: expected a report.json file or a run directory holding one (${(error as Error).message})`,
      { cause: error },
    );
  }
  return isDirectory ? path.join(resolved, 'report.json') : resolved;
}

export async function readReportArgument(cwd: string, argument: string): Promise<LoadTestReport> {
  return readReportFile(await reportFileOf(cwd, argument));
}
