/**
 * The timeline of a run: one entry per interval of about one second (longer when the event loop
 * stalled past a tick), joining what the recorder counted in the interval, the rate the profiles
 * asked for over it, the schedulers' in-flight and queued counts at its end, and a resource sample.
 * The run drives it from one clock timer aligned to the start, so intervals do not drift.
 */

import type { Clock, TimerHandle } from '../clock.ts';
import type { Profile } from './profile-spec.ts';
import type { Recorder } from './recorder.ts';
import type { TimelineEntry } from './report/schema.ts';
import type { ResourceSampler } from './resource-sampler.ts';
import type { LoadGroupRuntime } from './scheduler.ts';

export const TIMELINE_INTERVAL_MS = 1_000;

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export interface TimelineOptions {
  recorder: Recorder;
  sampler: ResourceSampler;
  runtimes: readonly LoadGroupRuntime[];
  /** Profiles of the open-model groups: the target rate is their sum. */
  profiles: readonly Profile[];
  warmupS: number;
  arrivalEndS: number;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly #options: TimelineOptions;
  #lastS = 0;
  #arrivalEndS: number;

  constructor(options: TimelineOptions) {
    this.#options = options;
    this.#arrivalEndS = options.arrivalEndS;
  }

  /** Moves the end of the arrival window earlier (the run was stopped). */
  endArrivals(atS: number): void {
    this.#arrivalEndS = Math.min(this.#arrivalEndS, atS);
  }

  get lastS(): number {
    return this.#lastS;
  }

  /** Closes the interval ending at `nowS` seconds since the start, and returns its entry. */
  close(nowS: number): TimelineEntry {
    const { recorder, sampler, runtimes, profiles, warmupS } = this.#options;
    const fromS = this.#lastS;
    const intervalS = Math.max(nowS - fromS, 1e-6);
    this.#lastS = nowS;
    const interval = recorder.takeInterval();
    const targetEndS = Math.min(nowS, this.#arrivalEndS);
    let expected = 0;
    for (const profile of profiles) expected += profile.integral(fromS, targetEndS);
    // Ticks fire a little early or late; an interval belongs to the measured part by its middle.
    const middleS = (fromS + nowS) / 2;
    const measured = middleS >= warmupS && middleS <= this.#arrivalEndS;
    let inFlight = 0;
    let queued = 0;
    for (const runtime of runtimes) {
      inFlight += runtime.inFlight;
      queued += runtime.queued;
    }
    const entry: TimelineEntry = {
      tS: round3(nowS),
      intervalS: round3(intervalS),
      targetRate: round3(expected / intervalS),
      achievedRate: round3(interval.count / intervalS),
      count: interval.count,
      inFlight,
      queued,
      dropped: interval.dropped,
      errors: interval.errors,
      latencyMs: interval.latencyMs,
      operations: interval.operations,
      errorsByCode: interval.errorsByCode,
      ...(interval.histogram === undefined ? {} : { histogram: interval.histogram }),
      ...sampler.sample(nowS, measured),
    };
    this.entries.push(entry);
    return entry;
  }
}

/** Calls `onTick(nowS)` at every whole interval after `startMs` until stopped; one timer at a time. */
export class Ticker {
  readonly #clock: Clock;
  readonly #startMs: number;
  readonly #onTick: (nowS: number) => void;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(clock: Clock, startMs: number, onTick: (nowS: number) => void) {
    this.#clock = clock;
    this.#startMs = startMs;
    this.#onTick = onTick;
    this.#schedule(1);
  }

  #schedule(tick: number): void {
    const dueMs = this.#startMs + tick * TIMELINE_INTERVAL_MS;
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#stopped) return;
      // Node starts a timer from the event loop's cached time, so it can fire early by as long as
      // the callback that set it ran; an interval must not end before its second is over.
      if (this.#clock.now() < dueMs - 0.5) {
        this.#schedule(tick);
        return;
      }
      const elapsedMs = this.#clock.now() - this.#startMs;
      this.#onTick(elapsedMs / 1000);
      // After a stall, skip to the next whole interval instead of firing once per missed second.
      this.#schedule(Math.max(tick + 1, Math.floor(elapsedMs / TIMELINE_INTERVAL_MS) + 1));
    }, dueMs - this.#clock.now());
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
