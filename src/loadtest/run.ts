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
import { createArrivals } from './arrivals.ts';
import { ClosedScheduler } from './closed-scheduler.ts';
import {
  type LoadTestConfig,
  type ResolvedGroup,
  type ResolvedLoadTestConfig,
  resolveLoadTestConfig,
} from './config.ts';
import { criteriaWindows } from './criteria.ts';
import { scenarioError } from './field-check.ts';
import { assertLoadTarget, type LoadTarget, type TargetCheck } from './load-target.ts';
import { Recorder } from './recorder.ts';
import { buildReport } from './report/build.ts';
import type { LoadTestReport, TimelineEntry } from './report/schema.ts';
import { ResourceSampler } from './resource-sampler.ts';
import { type LoadGroupRuntime, OpenScheduler, type SchedulerContext } from './scheduler.ts';
import { Ticker, Timeline } from './timeline.ts';
import { ClockWakeup, ThreadWakeup, type Wakeup } from './wakeup.ts';
import { createMix } from './workload.ts';

/** The most warnings a report keeps. */
export const WARNINGS_MAX = 100;

export interface LoadTestProgress {
  elapsedS: number;
  durationS: number;
  /** elapsedS / durationS, capped at 1. */
  fraction: number;
  phase: 'warmup' | 'measuring' | 'draining';
  /** The interval that just ended. */
  interval: TimelineEntry;
  /** Target rate of the interval; null when every group is closed-model. */
  targetOpsPerS: number | null;
  /** Since the start, warm-up included. */
  completed: number;
  errors: number;
  dropped: number;
}

export interface RunLoadTestOptions {
  /** What to drive. */
  target: LoadTarget;
  /** Called after every timeline interval (about once a second). */
  onProgress?: (progress: LoadTestProgress) => void;
  /** Stops the run early; the report is then partial. */
  signal?: AbortSignal;
  /** @default systemClock */
  clock?: Clock;
}

export async function runLoadTest(
  config: LoadTestConfig,
  options: RunLoadTestOptions,
): Promise<LoadTestReport> {
  assertLoadTarget(options.target);
  const resolved = resolveLoadTestConfig(config);
  const target = options.target;
  for (const group of resolved.groups) {
    for (const operation of group.operations) {
      if (typeof target.operations[operation] !== 'function') {
        const field = group.field === 'load' ? 'mix' : `${group.field}.mix`;
        const offered = Object.keys(target.operations).join(', ');
        throw scenarioError(
          `${field}.${operation}`,
          `an operation of target "${target.name}" (${offered})`,
          operation,
        );
      }
    }
  }
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) throw abortError(signal, 'load test');
  const root = new Rng(resolved.seed);
  const operations = [...new Set(resolved.groups.flatMap((g) => g.operations))];
  let report: LoadTestReport;
  try {
    const info =
      (await target.setup?.({ seed: resolved.seed, rng: root.fork('setup'), operations, signal })) ?? {};
    report = await execute(
      resolved,
      target,
      info,
      options.clock ?? systemClock,
      signal,
      options.onProgress,
      root,
    );
  } catch (error) {
    await teardownAfterFailure(target, error);
    throw error;
  }
  await target.teardown?.();
  return report;
}

async function teardownAfterFailure(target: LoadTarget, error: unknown): Promise<void> {
  try {
    await target.teardown?.();
  } catch (teardownError) {
    throw new AggregateError([error, teardownError], 'the load test failed and so did the target teardown');
  }
}

function createRuntime(
  group: ResolvedGroup,
  config: ResolvedLoadTestConfig,
  recorder: Recorder,
  target: LoadTarget,
  clock: Clock,
  root: Rng,
  cutSignal: AbortSignal,
  wakeups: Wakeup[],
): LoadGroupRuntime {
  const mix = createMix(group.mix, root.fork(`mix:${group.name}`), `${group.field}.mix`);
  const context: SchedulerContext = {
    group: group.name,
    clock,
    recorder,
    mix,
    operations: mix.operations.map(
      (op) => target.operations[op] as NonNullable<(typeof target.operations)[string]>,
    ),
    slots: mix.operations.map((op) => recorder.slot(group.name, op)),
    rng: root.fork(`operations:${group.name}`),
    signal: cutSignal,
  };
  if (group.model === 'closed') {
    return new ClosedScheduler(context, {
      clients: group.inFlightMax,
      thinkTimeMs: group.thinkTimeMs,
      endMs: config.durationS * 1000,
    });
  }
  const profile = group.profile;
  if (profile === undefined) throw new Error(`open group ${group.name} without a profile`);
  // Real time gets the precise wake-up thread; an injected clock (tests) drives its own timers.
  const wakeup = clock === systemClock ? new ThreadWakeup() : new ClockWakeup(clock);
  wakeups.push(wakeup);
  return new OpenScheduler(context, {
    wakeup,
    arrivals: createArrivals(profile, group.arrival, root.fork(`arrivals:${group.name}`)),
    inFlightMax: group.inFlightMax,
    onSaturation: group.onSaturation,
    queueLengthMax: group.queueLengthMax,
    spinMs: config.spinMs,
    sleepMinMs: config.sleepMinMs,
    batchMax: config.batchMax,
  });
}

/** Resolves after `delayMs` on `clock`, or at once when `cancel` fires. */
function wait(clock: Clock, delayMs: number, cancel: AbortSignal): Promise<void> {
  return clock.sleep(Math.max(0, delayMs), cancel).then(
    () => undefined,
    () => undefined, // Cancelled: the race this wait was part of is over.
  );
}

/** Resolves when `signal` aborts or `until` fires, whichever is first; leaves no listener behind. */
function aborted(signal: AbortSignal, until: AbortSignal): Promise<void> {
  if (signal.aborted || until.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      until.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    until.addEventListener('abort', done, { once: true });
  });
}

async function execute(
  config: ResolvedLoadTestConfig,
  target: LoadTarget,
  info: Record<string, unknown>,
  clock: Clock,
  signal: AbortSignal,
  onProgress: RunLoadTestOptions['onProgress'],
  root: Rng,
): Promise<LoadTestReport> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (warnings.length < WARNINGS_MAX) warnings.push(message);
  };
  const durationMs = config.durationS * 1000;
  const recorder = new Recorder({
    warmupMs: config.warmupS * 1000,
    windowEndMs: durationMs,
    windows: criteriaWindows(config.criteria),
  });
  const wakeups: Wakeup[] = [];
  try {
    const cut = new AbortController();
    const runtimes = config.groups.map((g) =>
      createRuntime(g, config, recorder, target, clock, root, cut.signal, wakeups),
    );
    const sampler = new ResourceSampler({ gauges: target.gauges?.bind(target), warn });
    const timeline = new Timeline({
      recorder,
      sampler,
      runtimes,
      profiles: config.groups.flatMap((g) => (g.profile === undefined ? [] : [g.profile])),
      warmupS: config.warmupS,
      arrivalEndS: config.durationS,
    });
    // A wake-up thread still booting would make the first arrivals late: start the clock after it.
    await Promise.all(wakeups.map((w) => w.ready()));
    const startMs = clock.now();
    let phase: LoadTestProgress['phase'] = config.warmupS > 0 ? 'warmup' : 'measuring';
    const ticker = new Ticker(clock, startMs, (nowS) => {
      if (phase === 'warmup' && nowS >= config.warmupS) phase = 'measuring';
      const interval = timeline.close(nowS);
      onProgress?.({
        elapsedS: nowS,
        durationS: config.durationS,
        fraction: Math.min(1, nowS / config.durationS),
        phase,
        interval,
        targetOpsPerS: config.groups.some((g) => g.model === 'open') ? interval.targetRate : null,
        completed: recorder.completedTotal,
        errors: recorder.errorsTotal,
        dropped: recorder.droppedTotal,
      });
    });
    sampler.start();
    for (const runtime of runtimes) runtime.start(startMs);

    const stopWaiting = new AbortController();
    await Promise.race([
      Promise.all([
        ...runtimes.map((r) => r.arrivalsDone),
        wait(clock, startMs + durationMs - clock.now(), stopWaiting.signal),
      ]),
      aborted(signal, stopWaiting.signal),
    ]);
    stopWaiting.abort();
    const stopReason = signal.aborted ? 'aborted' : 'completed';
    const arrivalEndMs = stopReason === 'aborted' ? Math.min(clock.now() - startMs, durationMs) : durationMs;
    recorder.closeWindow(arrivalEndMs);
    timeline.endArrivals(arrivalEndMs / 1000);
    for (const runtime of runtimes) runtime.stopArrivals();
    phase = 'draining';

    const stopDraining = new AbortController();
    await Promise.race([
      Promise.all(runtimes.map((r) => r.whenIdle())),
      wait(clock, config.gracePeriodS * 1000, stopDraining.signal),
      ...(stopReason === 'completed' ? [aborted(signal, stopDraining.signal)] : []),
    ]);
    stopDraining.abort();
    const endMs = clock.now() - startMs;
    cut.abort();
    const cutOff = runtimes.reduce((sum, r) => sum + r.cutOff(endMs), 0);
    if (cutOff > 0)
      warn(
        `${cutOff} operations were still queued or running when the grace period ended (counted as CUT_OFF errors)`,
      );
    ticker.stop();
    if (endMs / 1000 - timeline.lastS > 0.05 || timeline.entries.length === 0) timeline.close(endMs / 1000);
    sampler.stop();
    const checks: TargetCheck[] = (await target.verify?.()) ?? [];
    return buildReport({
      config,
      target: { name: target.name, info },
      startedAt: new Date(startMs).toISOString(),
      durationS: arrivalEndMs / 1000,
      stopReason,
      recorder,
      runtimes,
      timeline: timeline.entries,
      resources: sampler.summary(),
      checks,
      warnings,
    });
  } finally {
    for (const wakeup of wakeups) wakeup.close();
    recorder.destroy();
  }
}
