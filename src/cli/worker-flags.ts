/**
 * `--workers N` and `--segment i/n` of `tiervec loadtest run`: how the run's load is spread. N
 * workers are N local processes, one execution segment each, merged into one report; a segment is
 * one share of the run made here, for `tiervec loadtest merge` to join with the others made
 * elsewhere. The two do not combine. It parses flags and never starts a process.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { type ExecutionSegment, parseSegment } from '../loadtest/workers/execution-segment.ts';
import { checkWorkers } from '../loadtest/workers/worker-pool.ts';

export interface WorkerFlags {
  /** `--workers <n>`, as typed. */
  workers?: string;
  /** `--segment <i/n>`, as typed. */
  segment?: string;
}

export type LoadSpread =
  | { kind: 'in-process' }
  | { kind: 'workers'; workers: number }
  | { kind: 'segment'; segment: ExecutionSegment };

/** The spread the flags ask for; INVALID_ARGUMENT (exit 2) for a bad value or both flags. */
export function loadSpreadOf(flags: WorkerFlags): LoadSpread {
  if (flags.workers !== undefined && flags.segment !== undefined) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      'Expected at most one of --workers and --segment, got both (a segment runs in one process; run the other segments elsewhere and merge)',
    );
  }
  if (flags.segment !== undefined) return { kind: 'segment', segment: parseSegment(flags.segment) };
  if (flags.workers === undefined) return { kind: 'in-process' };
  const text = flags.workers.trim();
  return { kind: 'workers', workers: checkWorkers(/^\d+$/.test(text) ? Number(text) : flags.workers) };
}
