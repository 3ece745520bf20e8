/**
 * `runLoadTest`: validates a configuration, prepares the target, drives every load group for the
 * run's duration while the timeline ticks, lets in-flight and queued operations finish within the
 * grace period (cutting off the rest), asks the target to verify itself, tears it down and returns
 * the report with its verdict. An AbortSignal ends the arrivals early and still yields a valid,
 * partial report (`stopReason: 'aborted'`, never passed).
 */

import { type Clock, systemClock } from '../clock.ts';
import { abortError } from '../errors.ts';
import { Rng } from '../random.ts';
import { type LoadTestConfig, type ResolvedLoadTestConfig, resolveLoadTestConfig } from './config.ts';
import { fieldError } from './field-check.ts';
import { assertLoadTarget, type LoadTarget, type TargetCheck } from './load-target.ts';
import type { LoadTestReport } from './report/schema.ts';
import { type LoadTestProgress, RunSession } from './run-session.ts';
import { checkSegment, type ExecutionSegment, WHOLE_RUN } from './workers/execution-segment.ts';

export { type LoadTestProgress, WARNINGS_MAX } from './run-session.ts';

export interface RunLoadTestOptions {
  /** What to drive. */
  target: LoadTarget;
  /** Called after every timeline interval (about once a second). */
  onProgress?: (progress: LoadTestProgress) => void;
  /** Stops the run early; the report is then partial. */
  signal?: AbortSignal;
  /** @default systemClock */
  clock?: Clock;
  /** Offer only this execution segment of the load (see workers/execution-segment.ts). @default the whole run */
  segment?: ExecutionSegment;
  /** Awaited after the target's setup and before the clock starts (workers start together through it). */
  startGate?: () => Promise<void>;
}

export async function runLoadTest(
  config: LoadTestConfig,
  options: RunLoadTestOptions,
): Promise<LoadTestReport> {
  assertLoadTarget(options.target);
  const resolved = resolveLoadTestConfig(config);
  const segment =
    options.segment === undefined ? WHOLE_RUN : checkSegment(options.segment, 'options.segment');
  const target = options.target;
  assertMixOperations(resolved, target);
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) throw abortError(signal, 'load test');
  const root = new Rng(resolved.seed);
  const operations = [...new Set(resolved.groups.flatMap((g) => g.operations))];
  let report: LoadTestReport;
  try {
    const info =
      (await target.setup?.({ seed: resolved.seed, rng: root.fork('setup'), operations, signal })) ?? {};
    await options.startGate?.();
    if (signal.aborted) throw abortError(signal, 'load test');
    report = await execute(resolved, target, info, options, signal, root, segment);
  } catch (error) {
    await teardownAfterFailure(target, error);
    throw error;
  }
  await target.teardown?.();
  return report;
}

/** Every operation a mix weighs must be one the target offers; SCENARIO_INVALID names the mix key. */
function assertMixOperations(config: ResolvedLoadTestConfig, target: LoadTarget): void {
  for (const group of config.groups) {
    for (const operation of group.operations) {
      if (typeof target.operations[operation] === 'function') continue;
      const field = group.field === 'load' ? 'mix' : `${group.field}.mix`;
      const offered = Object.keys(target.operations).join(', ');
      throw fieldError(
        `${field}.${operation}`,
        `an operation of target "${target.name}" (${offered})`,
        operation,
      );
    }
  }
}

async function teardownAfterFailure(target: LoadTarget, error: unknown): Promise<void> {
  try {
    await target.teardown?.();
  } catch (teardownError) {
    throw new AggregateError([error, teardownError], 'the load test failed and so did the target teardown');
  }
}

async function execute(
  config: ResolvedLoadTestConfig,
  target: LoadTarget,
  info: Record<string, unknown>,
  options: RunLoadTestOptions,
  signal: AbortSignal,
  root: Rng,
  segment: ExecutionSegment,
): Promise<LoadTestReport> {
  const session = new RunSession(config, target, options.clock ?? systemClock, root, segment);
  try {
    await session.start(options.onProgress);
    const stopReason = await session.runArrivalWindow(signal);
    await session.drain(signal, stopReason);
    const checks: TargetCheck[] = (await target.verify?.()) ?? [];
    const report = session.report(info, stopReason, checks);
    return segment.count === 1 ? report : { ...report, segment: { ...segment } };
  } finally {
    session.close();
  }
}
