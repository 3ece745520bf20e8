/**
 * What `mergeReports` checks when its inputs are execution segments of one run (`--segment i/n`):
 * either every input is a segment or none is; all are segments of the same split (same n) and seed;
 * and each segment 0 … n − 1 is there exactly once, since a missing one would under-count the run and
 * a duplicate would count its arrivals twice. Both are refused (INVALID_ARGUMENT) unless forced, and
 * then stated as warnings of the merged report. It reads reports and never changes them.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import type { LoadTestReport } from '../report/schema.ts';

export interface SegmentMergeCheck {
  /** n when the inputs are segments of one run split n ways; undefined when they are not segments. */
  segments: number | undefined;
  warnings: string[];
}

function refuse(message: string): TierVecError {
  return new TierVecError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected the segments of one run, each once, got ${message} (pass --force to merge them anyway)`,
  );
}

/** Indices 0 … count − 1 absent from `seen`, as `i/n` strings (at most 10, then "…"). */
function missingOf(seen: ReadonlyMap<number, number>, count: number): string[] {
  const missing: string[] = [];
  for (let i = 0; i < count && missing.length <= 10; i++) if (!seen.has(i)) missing.push(`${i}/${count}`);
  return missing.length > 10 ? [...missing.slice(0, 10), '…'] : missing;
}

/**
 * Checks the segment marks of `reports`; throws INVALID_ARGUMENT on a mix of segments and whole runs,
 * different splits or seeds, a missing or a duplicate segment, unless `force`.
 */
export function checkSegments(reports: readonly LoadTestReport[], force: boolean): SegmentMergeCheck {
  const marked = reports.filter((r) => r.segment !== undefined);
  if (marked.length === 0) return { segments: undefined, warnings: [] };
  const problems: string[] = [];
  if (marked.length !== reports.length) {
    const plain = reports.findIndex((r) => r.segment === undefined);
    problems.push(`reports[${plain}] is a whole run while others are segments`);
  }
  const counts = [...new Set(marked.map((r) => r.segment?.count as number))];
  const seeds = [...new Set(marked.map((r) => r.seed))];
  if (counts.length > 1) problems.push(`segments of runs split ${counts.join(' and ')} ways`);
  if (seeds.length > 1) problems.push(`segments of runs with seeds ${seeds.join(' and ')}`);
  const count = Math.max(...counts);
  const seen = new Map<number, number>();
  for (const report of marked) {
    const index = report.segment?.index as number;
    const at = seen.get(index);
    if (at !== undefined) problems.push(`segment ${index}/${count} twice`);
    seen.set(index, (at ?? 0) + 1);
  }
  const missing = missingOf(seen, count);
  if (missing.length > 0)
    problems.push(`segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`);
  if (problems.length > 0 && !force) throw refuse(problems.join('; '));
  return {
    segments: count,
    warnings: problems.map((p) => `merged segments are not one whole run: ${p}`),
  };
}
