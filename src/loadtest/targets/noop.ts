/**
 * The calibration target: operations that do nothing and resolve at once. Whatever a run against it
 * reports is the harness's own cost and timing error (scheduler lateness, recording, promise
 * overhead), never a system's. It is named so in every report.
 */

import { ErrorCode, TierVecError } from '../../errors.ts';
import type { LoadOperation, LoadTarget } from '../load-target.ts';

export interface NoopTargetOptions {
  /** Operation names to offer, so that any mix can be calibrated. @default ['noop'] */
  operations?: readonly string[];
}

export const NOOP_TARGET_NAME = 'noop (calibration: measures the harness, not a system)';

export function createNoopTarget(options: NoopTargetOptions = {}): LoadTarget {
  const names = options.operations ?? ['noop'];
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.some((n) => typeof n !== 'string' || n.length === 0)
  ) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      'Expected `operations` to be a non-empty list of non-empty operation names',
    );
  }
  const resolved = Promise.resolve();
  const noop: LoadOperation = () => resolved;
  const operations: Record<string, LoadOperation> = {};
  for (const name of names) operations[name] = noop;
  return { name: NOOP_TARGET_NAME, operations };
}
