/**
 * The one seam between the load harness and what it drives. A target names its operations (the keys
 * a workload mix weighs), may prepare itself before the clock starts, exposes gauges sampled every
 * second, may verify its own invariants after the load (for example that no acknowledged write was
 * lost), and cleans up. The harness never reaches a store except through a target.
 */

import { describeValue, ErrorCode, TierVecError } from '../errors.ts';
import type { Rng } from '../random.ts';

export interface OperationContext {
  /** The load group's seeded randomness. Draw synchronously (before the first await) for replayable runs. */
  readonly rng: Rng;
  /**
   * Arrival number within the load group, from 0; in a segment of a run split over processes, the
   * number the arrival has in the whole run, so that segments never reuse one.
   */
  readonly index: number;
  readonly operation: string;
  readonly group: string;
  /** Aborted when the operation is cut off at the end of the grace period. */
  readonly signal: AbortSignal;
}

export type LoadOperation = (context: OperationContext) => Promise<unknown>;

export interface SetupContext {
  readonly seed: number;
  readonly rng: Rng;
  /** The operations the run's mixes will call. */
  readonly operations: readonly string[];
  readonly signal: AbortSignal;
}

/** A check a target makes of itself after the load; it joins the run's criteria. */
export interface TargetCheck {
  name: string;
  description: string;
  operation?: string;
  limit: number;
  /** null when the check could not be measured in this run (`skipped` says why; it then counts as passed). */
  actual: number | null;
  passed: boolean;
  /** Why the check could not be measured (`GETs are counted on the mock S3 only`, …). */
  skipped?: string;
}

export interface LoadTarget {
  /** Shown in reports. */
  readonly name: string;
  readonly operations: Readonly<Record<string, LoadOperation>>;
  /** Runs before the clock starts; what it returns (dataset size, preload time, …) goes into the report. */
  setup?(context: SetupContext): Promise<Record<string, unknown> | undefined>;
  /** Sampled every second; finite numbers only. Must be cheap and synchronous. */
  gauges?(): Record<string, number>;
  /**
   * Names a failed operation's error for the report's `errorsByCode` (for example `OBJECT_STORE/SlowDown`
   * for a store error wrapping an S3 one); undefined leaves it to the harness (the error's `code`, else
   * its name). Called on the hot path: cheap and synchronous.
   */
  classifyError?(error: unknown): string | undefined;
  /**
   * Called once when the warm-up ends (at the start when the run has none): what the target counts
   * for its own checks from then until `verify` belongs to the measured run. Must be cheap and synchronous.
   */
  startMeasuring?(): void;
  /** Runs after the last operation settled or was cut off, before `teardown`. */
  verify?(): Promise<TargetCheck[]>;
  teardown?(): Promise<void>;
}

/** Throws INVALID_ARGUMENT unless `target` has the shape of a LoadTarget. */
export function assertLoadTarget(target: unknown): asserts target is LoadTarget {
  const t = target as Partial<LoadTarget> | null | undefined;
  const fail = (what: string, got: unknown): never => {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`target\` ${what}, got ${describeValue(got)}`,
    );
  };
  if (typeof t !== 'object' || t === null) fail('to be a LoadTarget object', t);
  if (typeof t?.name !== 'string' || t.name.length === 0) fail('to have a non-empty `name`', t?.name);
  if (typeof t?.operations !== 'object' || t.operations === null)
    fail('to have an `operations` object', t?.operations);
  for (const [name, fn] of Object.entries(t?.operations ?? {})) {
    if (typeof fn !== 'function') fail(`operation \`${name}\` to be a function`, fn);
  }
  for (const hook of ['setup', 'gauges', 'classifyError', 'startMeasuring', 'verify', 'teardown'] as const) {
    if (t?.[hook] !== undefined && typeof t[hook] !== 'function')
      fail(`\`${hook}\` to be a function`, t[hook]);
  }
}
