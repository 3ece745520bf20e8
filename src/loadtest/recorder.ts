/**
 * The measurements of one run, recorded on the hot path of every operation: per operation and load
 * group, HDR histograms of response time (from the intended start t_i) and service time (from the
 * actual start), errors by code, drops and cut-offs; per 1-second interval, the same by operation
 * name; per criteria window, the operations intended inside it; and the scheduler's own lateness.
 * Memory is fixed once the operations are known: histograms and counters, never arrays of samples;
 * the only text kept is a bounded handful of error messages per operation and code.
 * Times are milliseconds since the start of the run. This module never reads a clock.
 */

import { isTierVecError } from '../errors.ts';
import { LatencyHistogram } from './histogram.ts';
import type { PercentilesMs } from './report/schema.ts';

/** Distinct error codes kept per operation; further codes are counted under `OTHER`. */
export const ERROR_CODES_MAX = 100;
/** Sample error messages kept per operation and code (the first ones seen). */
export const ERROR_SAMPLES_MAX = 3;
/** Longest sample error message kept, in characters; longer ones are cut. */
export const ERROR_SAMPLE_CHARS_MAX = 300;
/** The code cut-off operations are counted under. */
export const CUT_OFF_CODE = 'CUT_OFF';
const CUT_OFF_ERROR = Object.assign(new Error('cut off at the end of the grace period'), {
  code: CUT_OFF_CODE,
});

/** A target's own naming of an error (`LoadTarget.classifyError`); undefined leaves it to `errorCode`. */
export type ErrorClassifier = (error: unknown) => string | undefined;

/** The longest error code counted as given; longer ones are counted by the error's name. */
const ERROR_CODE_LENGTH_MAX = 64;

/**
 * What errors are counted by: the target's classification when it gives one (the tiervec target
 * adds the S3 code an OBJECT_STORE error wraps), else a TierVecError's code, an error's own `code`,
 * else its name.
 */
export function errorCode(error: unknown, classify?: ErrorClassifier): string {
  const classified = classify?.(error);
  if (isCode(classified)) return classified;
  if (isTierVecError(error)) return error.code;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return isCode(code) ? code : error.name;
  }
  return typeof error;
}

function isCode(code: unknown): code is string {
  return typeof code === 'string' && code.length > 0 && code.length <= ERROR_CODE_LENGTH_MAX;
}

/** The message of a thrown value, cut to `ERROR_SAMPLE_CHARS_MAX` characters. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > ERROR_SAMPLE_CHARS_MAX ? `${text.slice(0, ERROR_SAMPLE_CHARS_MAX - 1)}…` : text;
}

/** Per-interval figures of one operation name, shared by every group that runs it. */
class IntervalOperation {
  histogram = new LatencyHistogram();
  /** The previous interval's response times, kept until the next interval ends (live metrics read them). */
  last = new LatencyHistogram();
  /** Service times of the interval's operations that started: `compare` reads their median per second. */
  readonly service = new LatencyHistogram();
  count = 0;
  errors = 0;
}

class WindowOperation {
  readonly histogram = new LatencyHistogram();
  count = 0;
  errors = 0;
}

class MeasuredWindow {
  readonly operations = new Map<string, WindowOperation>();
  constructor(
    readonly name: string,
    readonly startMs: number,
    readonly endMs: number,
  ) {}
}

/** Everything recorded about one operation of one load group. */
export class OperationSlot {
  readonly response = new LatencyHistogram();
  readonly service = new LatencyHistogram();
  readonly errorResponse = new LatencyHistogram();
  readonly errorsByCode = new Map<string, number>();
  /** The first `ERROR_SAMPLES_MAX` messages of each code in `errorsByCode`. */
  readonly errorSamples = new Map<string, string[]>();
  count = 0;
  errors = 0;
  dropped = 0;
  cutOff = 0;
  /** Completions within [warm-up end, arrival window end], for throughput. */
  completedInWindow = 0;
  /** Operations intended during the warm-up (not in the figures above). */
  warmupCount = 0;
  readonly windows: WindowOperation[];

  constructor(
    readonly group: string,
    readonly operation: string,
    readonly interval: IntervalOperation,
    windows: MeasuredWindow[],
  ) {
    this.windows = windows.map((window) => {
      let op = window.operations.get(operation);
      if (op === undefined) {
        op = new WindowOperation();
        window.operations.set(operation, op);
      }
      return op;
    });
  }

  /** Counts an error under `code` and keeps its message while the code has fewer than ERROR_SAMPLES_MAX. */
  countError(code: string, error?: unknown): void {
    const key = this.errorsByCode.has(code) || this.errorsByCode.size < ERROR_CODES_MAX ? code : 'OTHER';
    this.errorsByCode.set(key, (this.errorsByCode.get(key) ?? 0) + 1);
    if (error !== undefined) {
      const samples = this.errorSamples.get(key) ?? [];
      if (samples.length < ERROR_SAMPLES_MAX) {
        const message = errorMessage(error);
        if (!samples.includes(message)) samples.push(message);
        this.errorSamples.set(key, samples);
      }
    }
  }
}

export interface IntervalSnapshot {
  count: number;
  errors: number;
  dropped: number;
  latencyMs: PercentilesMs;
  operations: Record<
    string,
    { count: number; errors: number; latencyMs: PercentilesMs; serviceTimeMsP50?: number; histogram?: string }
  >;
  /** The interval's response times (compressed base64), when the recorder keeps them. */
  histogram?: string;
  /** Errors of the interval by code, warm-up included (at most ERROR_CODES_MAX codes, then `OTHER`). */
  errorsByCode: Record<string, number>;
}

export interface RecorderOptions {
  warmupMs: number;
  /** End of the arrival window; completions after it do not count towards throughput. */
  windowEndMs: number;
  windows: ReadonlyArray<{ name: string; startS: number; endS: number }>;
  /** The target's error classification, tried first. */
  classifyError?: ErrorClassifier;
  /** Keep each interval's histograms in its snapshot, so that timelines of several processes add exactly. */
  intervalHistograms?: boolean;
}

export class Recorder {
  readonly #warmupMs: number;
  readonly #classifyError: ErrorClassifier | undefined;
  readonly #intervalHistograms: boolean;
  #windowEndMs: number;
  readonly #windows: MeasuredWindow[];
  readonly #windowStartMs: Float64Array;
  readonly #windowEndMsList: Float64Array;
  readonly #slots: OperationSlot[] = [];
  readonly #interval = new Map<string, IntervalOperation>();
  readonly #intervalAll = new LatencyHistogram();
  #intervalDropped = 0;
  #intervalCodes = new Map<string, number>();
  readonly lateness = new LatencyHistogram();
  /** Totals since the start, warm-up included, for progress lines. */
  completedTotal = 0;
  errorsTotal = 0;
  droppedTotal = 0;
  /** The first failure of the run (warm-up included), for a run stopped because everything failed. */
  firstError: { operation: string; code: string; message: string } | undefined;

  constructor(options: RecorderOptions) {
    this.#warmupMs = options.warmupMs;
    this.#classifyError = options.classifyError;
    this.#intervalHistograms = options.intervalHistograms === true;
    this.#windowEndMs = options.windowEndMs;
    this.#windows = options.windows.map((w) => new MeasuredWindow(w.name, w.startS * 1000, w.endS * 1000));
    this.#windowStartMs = Float64Array.from(this.#windows, (w) => w.startMs);
    this.#windowEndMsList = Float64Array.from(this.#windows, (w) => w.endMs);
  }

  /** The slot of `operation` in `group`, created on first use. */
  slot(group: string, operation: string): OperationSlot {
    const existing = this.#slots.find((s) => s.group === group && s.operation === operation);
    if (existing !== undefined) return existing;
    let interval = this.#interval.get(operation);
    if (interval === undefined) {
      interval = new IntervalOperation();
      this.#interval.set(operation, interval);
    }
    const slot = new OperationSlot(group, operation, interval, this.#windows);
    this.#slots.push(slot);
    return slot;
  }

  get slots(): readonly OperationSlot[] {
    return this.#slots;
  }

  get windows(): readonly MeasuredWindow[] {
    return this.#windows;
  }

  /** Stops counting completions towards throughput from `atMs` on (the run was stopped early). */
  closeWindow(atMs: number): void {
    this.#windowEndMs = Math.min(this.#windowEndMs, atMs);
  }

  /** Records a finished operation; `error` is only read when `failed`. Failed operations keep their real latency. */
  complete(
    slot: OperationSlot,
    intendedMs: number,
    startedMs: number,
    endMs: number,
    failed: boolean,
    error: unknown,
  ): void {
    const responseMs = endMs - intendedMs;
    this.completedTotal++;
    this.#intervalAll.recordMs(responseMs);
    const interval = slot.interval;
    interval.histogram.recordMs(responseMs);
    interval.service.recordMs(endMs - startedMs);
    interval.count++;
    const code = failed ? errorCode(error, this.#classifyError) : '';
    if (failed) {
      interval.errors++;
      this.errorsTotal++;
      this.#countIntervalCode(code);
      this.firstError ??= {
        operation: slot.operation,
        code,
        message: error instanceof Error ? error.message : String(error),
      };
    }
    if (endMs >= this.#warmupMs && endMs <= this.#windowEndMs) slot.completedInWindow++;
    if (intendedMs < this.#warmupMs) {
      slot.warmupCount++;
      return;
    }
    slot.count++;
    slot.response.recordMs(responseMs);
    slot.service.recordMs(endMs - startedMs);
    if (failed) {
      slot.errors++;
      slot.errorResponse.recordMs(responseMs);
      slot.countError(code, error);
    }
    for (let w = 0; w < this.#windowStartMs.length; w++) {
      if (
        intendedMs >= (this.#windowStartMs[w] as number) &&
        intendedMs < (this.#windowEndMsList[w] as number)
      ) {
        const op = slot.windows[w] as WindowOperation;
        op.histogram.recordMs(responseMs);
        op.count++;
        if (failed) op.errors++;
      }
    }
  }

  /** Counts an error of the interval (warm-up included) under its code; bounded like `errorsByCode`. */
  #countIntervalCode(code: string): void {
    const key = this.#intervalCodes.has(code) || this.#intervalCodes.size < ERROR_CODES_MAX ? code : 'OTHER';
    this.#intervalCodes.set(key, (this.#intervalCodes.get(key) ?? 0) + 1);
  }

  /** Records an arrival refused at saturation. */
  drop(slot: OperationSlot, intendedMs: number): void {
    this.droppedTotal++;
    this.#intervalDropped++;
    if (intendedMs >= this.#warmupMs) slot.dropped++;
  }

  /**
   * Records an operation still queued (`startedMs` undefined) or running when the grace period ran
   * out: a failure with code CUT_OFF whose latency is the time it had been waiting by then (a floor).
   */
  cutOff(slot: OperationSlot, intendedMs: number, startedMs: number | undefined, atMs: number): void {
    if (intendedMs >= this.#warmupMs) slot.cutOff++;
    if (startedMs === undefined) {
      // Never started: no service time; the response time is the whole wait.
      this.completedTotal++;
      this.errorsTotal++;
      slot.interval.count++;
      slot.interval.errors++;
      slot.interval.histogram.recordMs(atMs - intendedMs);
      this.#intervalAll.recordMs(atMs - intendedMs);
      this.#countIntervalCode(CUT_OFF_CODE);
      if (intendedMs < this.#warmupMs) return;
      slot.count++;
      slot.errors++;
      slot.response.recordMs(atMs - intendedMs);
      slot.errorResponse.recordMs(atMs - intendedMs);
      slot.countError(CUT_OFF_CODE, CUT_OFF_ERROR);
      return;
    }
    this.complete(slot, intendedMs, startedMs, atMs, true, CUT_OFF_ERROR);
  }

  /**
   * Each operation's response times of the interval `takeInterval` last returned (warm-up included),
   * valid until the next call of `takeInterval`: the live metrics' histogram is fed from them.
   */
  lastIntervalHistograms(): ReadonlyMap<string, LatencyHistogram> {
    return new Map([...this.#interval].map(([name, op]) => [name, op.last]));
  }

  /** Returns the figures of the interval since the previous call and starts a new one. */
  takeInterval(): IntervalSnapshot {
    const operations: IntervalSnapshot['operations'] = {};
    let count = 0;
    let errors = 0;
    for (const [name, op] of this.#interval) {
      operations[name] = {
        count: op.count,
        errors: op.errors,
        latencyMs: percentiles(op.histogram),
        ...(op.service.count > 0 ? { serviceTimeMsP50: round3(op.service.percentileMs(50)) } : {}),
        ...(this.#intervalHistograms ? { histogram: op.histogram.encode() } : {}),
      };
      count += op.count;
      errors += op.errors;
      op.count = 0;
      op.errors = 0;
      [op.last, op.histogram] = [op.histogram, op.last];
      op.histogram.reset();
      op.service.reset();
    }
    const snapshot = {
      count,
      errors,
      dropped: this.#intervalDropped,
      latencyMs: percentiles(this.#intervalAll),
      operations,
      errorsByCode: Object.fromEntries(this.#intervalCodes),
      ...(this.#intervalHistograms ? { histogram: this.#intervalAll.encode() } : {}),
    };
    this.#intervalCodes = new Map();
    this.#intervalAll.reset();
    this.#intervalDropped = 0;
    return snapshot;
  }

  /** Frees every histogram. */
  destroy(): void {
    for (const slot of this.#slots) {
      slot.response.destroy();
      slot.service.destroy();
      slot.errorResponse.destroy();
    }
    for (const op of this.#interval.values()) {
      op.histogram.destroy();
      op.last.destroy();
      op.service.destroy();
    }
    for (const window of this.#windows) for (const op of window.operations.values()) op.histogram.destroy();
    this.#intervalAll.destroy();
    this.lateness.destroy();
  }
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function percentiles(histogram: LatencyHistogram): PercentilesMs {
  return {
    p50: round3(histogram.percentileMs(50)),
    p95: round3(histogram.percentileMs(95)),
    p99: round3(histogram.percentileMs(99)),
  };
}
