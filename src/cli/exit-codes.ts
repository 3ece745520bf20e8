/**
 * The exit codes of the `tiervec` command (the harness contract) and the mapping from an error to
 * one of them. A scenario or usage problem is the user's to fix (2); anything else that escapes a
 * run means the run itself broke (3).
 */

import { ErrorCode, isTierVecError } from '../errors.ts';
import type { LoadTestReport } from '../loadtest/report/schema.ts';

export const ExitCode = Object.freeze({
  /** The run passed (or the comparison found no regression). */
  PASSED: 0,
  /** A success criterion failed, or `compare` found a regression. */
  FAILED: 1,
  /** Usage or scenario error: the message names the file, line and field. */
  USAGE: 2,
  /** The run itself broke. */
  BROKEN: 3,
  /** `compare`: no regression, but a figure got worse in a run whose machine was measurably busier. */
  INCONCLUSIVE: 4,
} as const);

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Errors the user caused by what they typed or wrote. */
const USAGE_CODES: ReadonlySet<string> = new Set([ErrorCode.SCENARIO_INVALID, ErrorCode.INVALID_ARGUMENT]);

export function exitCodeFor(error: unknown): ExitCode {
  if (isTierVecError(error) && USAGE_CODES.has(error.code)) return ExitCode.USAGE;
  return ExitCode.BROKEN;
}

/**
 * The exit code of a finished run: a run stopped by an `abort_on_fail` criterion failed (1); a run
 * stopped otherwise — interrupted, or every operation failing from the start — broke (3).
 */
export function exitCodeOfReport(
  report: Pick<LoadTestReport, 'passed' | 'stopReason' | 'stoppedBy'>,
): ExitCode {
  if (report.stopReason === 'aborted')
    return report.stoppedBy?.kind === 'abort-on-fail' ? ExitCode.FAILED : ExitCode.BROKEN;
  return report.passed ? ExitCode.PASSED : ExitCode.FAILED;
}
