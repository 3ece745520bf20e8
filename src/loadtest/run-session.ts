/**
 * One run of a load test, from a validated configuration and a prepared target to its report:
 * builds the recorder, a scheduler per load group, the resource sampler and the timeline; starts the
 * clock; waits out the arrival window (or the stop signal); drains within the grace period and cuts
 * off the rest; then assembles the report. It owns the histograms and wake-up threads it creates and
 * releases them in `close()`, whatever happened. Setup and teardown of the target are the caller's.
 */

import { type Clock, systemClock } from '../clock.ts';
import type { Rng } from '../random.ts';
import { createArrivals } from './arrivals.ts';
import { ClosedScheduler } from './closed-scheduler.ts';
import type { ResolvedGroup, ResolvedLoadTestConfig } from './config.ts';
import { criteriaWindows } from './criteria.ts';
import { FailFastWatch } from './fail-fast.ts';
import type { StopCause } from './fail-fast-config.ts';
import type { LatencyHistogram } from './histogram.ts';
import type { LoadTarget, TargetCheck } from './load-target.ts';
import { Recorder } from './recorder.ts';
import { buildReport } from './report/build.ts';
import type { LoadTestReport, TimelineEntry } from './report/schema.ts';
import { ResourceSampler } from './resource-sampler.ts';
import { type LoadGroupRuntime, OpenScheduler, type SchedulerContext } from './scheduler.ts';
import { Ticker, Timeline } from './timeline.ts';
import { ClockWakeup, ThreadWakeup, type Wakeup } from './wakeup.ts';
import {
  type ExecutionSegment,
  segmentArrivals,
  segmentShareProfile,
  segmentStreamLabel,
  shareOf,
  WHOLE_RUN,
} from './workers/execution-segment.ts';
import { createMix } from './workload.ts';

/** The configuration as one segment's report sees it: each open group at its share of the rate. */
function segmentView(config: ResolvedLoadTestConfig, segment: ExecutionSegment): ResolvedLoadTestConfig {
  if (segment.count === 1) return config;
  return {
    ...config,
    groups: config.groups.map((g) =>
      g.profile === undefined ? g : { ...g, profile: segmentShareProfile(g.profile, segment) },
    ),
  };
}

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
  /**
   * Each operation's response times of the interval (warm-up included; absent where progress is
   * not a local run's), valid during the callback only: they are reused for the next interval.
   * Read, never keep or change them.
   */
  latencyHistograms?: ReadonlyMap<string, LatencyHistogram>;
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

export class RunSession {
  readonly #config: ResolvedLoadTestConfig;
  readonly #target: LoadTarget;
  readonly #clock: Clock;
  readonly #recorder: Recorder;
  readonly #wakeups: Wakeup[] = [];
  readonly #cut = new AbortController();
  readonly #runtimes: LoadGroupRuntime[];
  readonly #sampler: ResourceSampler;
  readonly #timeline: Timeline;
  readonly #warnings: string[] = [];
  readonly #failFast = new AbortController();
  readonly #watch: FailFastWatch;
  #stopCause: StopCause | undefined;
  #ticker: Ticker | undefined;
  #startMs = 0;
  #arrivalEndMs: number;
  #phase: LoadTestProgress['phase'];

  readonly #segment: ExecutionSegment;

  constructor(
    config: ResolvedLoadTestConfig,
    target: LoadTarget,
    clock: Clock,
    root: Rng,
    segment: ExecutionSegment = WHOLE_RUN,
  ) {
    this.#segment = segment;
    // The report and the timeline see this segment's share of each profile; arrivals use the whole.
    this.#config = segmentView(config, segment);
    this.#target = target;
    this.#clock = clock;
    this.#arrivalEndMs = config.durationS * 1000;
    this.#phase = config.warmupS > 0 ? 'warmup' : 'measuring';
    this.#recorder = new Recorder({
      warmupMs: config.warmupS * 1000,
      windowEndMs: this.#arrivalEndMs,
      windows: criteriaWindows(config.criteria),
      ...(target.classifyError === undefined ? {} : { classifyError: target.classifyError.bind(target) }),
      // A segment's timeline is merged with the others': keep each interval's histograms to add them.
      intervalHistograms: segment.count > 1,
    });
    this.#watch = new FailFastWatch(config.criteria, config.warmupS, this.#recorder);
    this.#runtimes = config.groups.map((group) => this.#runtime(group, root));
    this.#sampler = new ResourceSampler({ gauges: target.gauges?.bind(target), warn: (m) => this.#warn(m) });
    this.#timeline = new Timeline({
      recorder: this.#recorder,
      sampler: this.#sampler,
      runtimes: this.#runtimes,
      profiles: this.#config.groups.flatMap((g) => (g.profile === undefined ? [] : [g.profile])),
      warmupS: config.warmupS,
      arrivalEndS: config.durationS,
    });
  }

  #warn(message: string): void {
    if (this.#warnings.length < WARNINGS_MAX) this.#warnings.push(message);
  }

  #runtime(group: ResolvedGroup, root: Rng): LoadGroupRuntime {
    const config = this.#config;
    const clock = this.#clock;
    const recorder = this.#recorder;
    const segment = this.#segment;
    const label = (name: string) => segmentStreamLabel(`${name}:${group.name}`, segment);
    const mix = createMix(group.mix, root.fork(label('mix')), `${group.field}.mix`);
    const context: SchedulerContext = {
      group: group.name,
      clock,
      recorder,
      mix,
      operations: mix.operations.map(
        (op) => this.#target.operations[op] as NonNullable<LoadTarget['operations'][string]>,
      ),
      slots: mix.operations.map((op) => recorder.slot(group.name, op)),
      rng: root.fork(label('operations')),
      signal: this.#cut.signal,
      ...(segment.count === 1 ? {} : { segment }),
    };
    if (group.profile === undefined) {
      return new ClosedScheduler(context, {
        clients: shareOf(group.inFlightMax, segment),
        thinkTimeMs: group.thinkTimeMs,
        endMs: config.durationS * 1000,
      });
    }
    // Real time gets the precise wake-up thread unless told otherwise; an injected clock (tests)
    // drives its own timers.
    const wakeup =
      clock === systemClock && config.wakeup === 'thread' ? new ThreadWakeup() : new ClockWakeup(clock);
    this.#wakeups.push(wakeup);
    return new OpenScheduler(context, {
      wakeup,
      // Every segment draws the whole run's arrival stream (same seed) and keeps its own arrivals.
      arrivals: segmentArrivals(
        createArrivals(group.profile, group.arrival, root.fork(`arrivals:${group.name}`)),
        segment,
      ),
      inFlightMax: group.inFlightMax,
      onSaturation: group.onSaturation,
      queueLengthMax: group.queueLengthMax,
      spinMs: config.spinMs,
      sleepMinMs: config.sleepMinMs,
      batchMax: config.batchMax,
    });
  }

  /** Starts the clock, the timeline and every load group. */
  async start(onProgress: ((progress: LoadTestProgress) => void) | undefined): Promise<void> {
    // A wake-up thread still booting would make the first arrivals late: start the clock after it.
    await Promise.all(this.#wakeups.map((w) => w.ready()));
    this.#startMs = this.#clock.now();
    const config = this.#config;
    const open = config.groups.some((g) => g.model === 'open');
    this.#ticker = new Ticker(this.#clock, this.#startMs, (nowS) => {
      if (this.#phase === 'warmup' && nowS >= config.warmupS) this.#startMeasuring();
      const interval = this.#timeline.close(nowS);
      this.#watchFailFast(nowS);
      this.#report(onProgress, {
        elapsedS: nowS,
        durationS: config.durationS,
        fraction: Math.min(1, nowS / config.durationS),
        phase: this.#phase,
        interval,
        targetOpsPerS: open ? interval.targetRate : null,
        completed: this.#recorder.completedTotal,
        errors: this.#recorder.errorsTotal,
        dropped: this.#recorder.droppedTotal,
        latencyHistograms: this.#recorder.lastIntervalHistograms(),
      });
    });
    this.#sampler.start();
    if (this.#phase === 'measuring') this.#callStartMeasuring();
    for (const runtime of this.#runtimes) runtime.start(this.#startMs);
  }

  #startMeasuring(): void {
    this.#phase = 'measuring';
    this.#callStartMeasuring();
  }

  /** Tells the target the measured run begins; a hook that throws is reported, not fatal. */
  #callStartMeasuring(): void {
    try {
      this.#target.startMeasuring?.();
    } catch (error) {
      this.#warn(
        `target.startMeasuring threw (${String(error)}); its measured-run figures may include the warm-up`,
      );
    }
  }

  #progressFailed = false;

  /** Stops the arrivals when the run has a reason to stop itself (see `fail-fast.ts`). */
  #watchFailFast(nowS: number): void {
    if (this.#stopCause !== undefined || this.#phase === 'draining') return;
    const cause = this.#watch.check(nowS);
    if (cause === undefined) return;
    this.#stopCause = cause;
    this.#warn(`stopped early: ${cause.message}`);
    this.#failFast.abort();
  }

  /** Hands progress to the caller; a callback that throws is reported once and not called again. */
  #report(onProgress: ((progress: LoadTestProgress) => void) | undefined, progress: LoadTestProgress): void {
    if (onProgress === undefined || this.#progressFailed) return;
    try {
      onProgress(progress);
    } catch (error) {
      this.#progressFailed = true;
      this.#warn(`onProgress threw (${String(error)}); progress was not reported for the rest of the run`);
    }
  }

  /** Waits for the end of the arrival window or `signal`; then no new arrival starts. */
  async runArrivalWindow(callerSignal: AbortSignal): Promise<'completed' | 'aborted'> {
    const signal = AbortSignal.any([callerSignal, this.#failFast.signal]);
    const stopWaiting = new AbortController();
    const untilEndMs = this.#startMs + this.#arrivalEndMs - this.#clock.now();
    await Promise.race([
      Promise.all([
        ...this.#runtimes.map((r) => r.arrivalsDone),
        wait(this.#clock, untilEndMs, stopWaiting.signal),
      ]),
      aborted(signal, stopWaiting.signal),
    ]);
    stopWaiting.abort();
    const stopReason = signal.aborted ? 'aborted' : 'completed';
    if (stopReason === 'aborted') {
      this.#arrivalEndMs = Math.min(this.#clock.now() - this.#startMs, this.#arrivalEndMs);
      this.#recorder.closeWindow(this.#arrivalEndMs);
      this.#timeline.endArrivals(this.#arrivalEndMs / 1000);
    }
    for (const runtime of this.#runtimes) runtime.stopArrivals();
    this.#phase = 'draining';
    return stopReason;
  }

  /** Lets queued and running operations finish within the grace period (or until `signal`), then cuts off the rest. */
  async drain(signal: AbortSignal, stopReason: 'completed' | 'aborted'): Promise<void> {
    const stopDraining = new AbortController();
    await Promise.race([
      Promise.all(this.#runtimes.map((r) => r.whenIdle())),
      wait(this.#clock, this.#config.gracePeriodS * 1000, stopDraining.signal),
      // A stop during the drain ends it at once; a run already stopped gets its grace period.
      ...(stopReason === 'completed' ? [aborted(signal, stopDraining.signal)] : []),
    ]);
    stopDraining.abort();
    const endMs = this.#clock.now() - this.#startMs;
    this.#cut.abort();
    const cutOff = this.#runtimes.reduce((sum, r) => sum + r.cutOff(endMs), 0);
    if (cutOff > 0) {
      this.#warn(
        `${cutOff} operations were still queued or running when the grace period ended (counted as CUT_OFF errors)`,
      );
    }
    this.#ticker?.stop();
    const endS = endMs / 1000;
    if (endS - this.#timeline.lastS > 0.05 || this.#timeline.entries.length === 0) this.#timeline.close(endS);
    this.#sampler.stop();
  }

  report(
    info: Record<string, unknown>,
    stopReason: 'completed' | 'aborted',
    checks: readonly TargetCheck[],
  ): LoadTestReport {
    const report = buildReport({
      config: this.#config,
      target: { name: this.#target.name, info },
      startedAt: new Date(this.#startMs).toISOString(),
      durationS: this.#arrivalEndMs / 1000,
      stopReason,
      recorder: this.#recorder,
      runtimes: this.#runtimes,
      timeline: this.#timeline.entries,
      resources: this.#sampler.summary(),
      checks,
      warnings: this.#warnings,
    });
    return this.#stopCause === undefined ? report : { ...report, stoppedBy: this.#stopCause };
  }

  /** Releases histograms, timers and wake-up threads; safe after any failure. */
  close(): void {
    this.#ticker?.stop();
    this.#sampler.stop();
    for (const wakeup of this.#wakeups) wakeup.close();
    this.#recorder.destroy();
  }
}
