/**
 * Watching a run for reasons to stop it early, once per timeline interval: an `abortOnFail`
 * criterion — of the whole run, of one operation, or of one window (from its start plus the delay,
 * or its end if it is shorter) — failing on the running totals after the warm-up and its delay, or
 * every operation of
 * the first `abortOnAllErrorsS` seconds having failed (the first error's message then says why).
 * It reads the recorder and never stops anything itself: the run session acts on what it returns.
 */

import { criterionName, type LatencyLimits, type ResolvedCriteria, type RunLimits } from './criteria.ts';
import type { AbortableCriterion, StopCause } from './fail-fast-config.ts';
import { LatencyHistogram } from './histogram.ts';
import type { Recorder } from './recorder.ts';

type Figure = { from: 'response' | 'service'; percentile: number | 'mean' };

const FIGURES: Partial<Record<AbortableCriterion, Figure>> = {
  latencyMsP50Max: { from: 'response', percentile: 50 },
  latencyMsP90Max: { from: 'response', percentile: 90 },
  latencyMsP95Max: { from: 'response', percentile: 95 },
  latencyMsP99Max: { from: 'response', percentile: 99 },
  latencyMsP999Max: { from: 'response', percentile: 99.9 },
  latencyMsMaxMax: { from: 'response', percentile: 100 },
  latencyMsMeanMax: { from: 'response', percentile: 'mean' },
  serviceTimeMsP50Max: { from: 'service', percentile: 50 },
  serviceTimeMsP95Max: { from: 'service', percentile: 95 },
  serviceTimeMsP99Max: { from: 'service', percentile: 99 },
};

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export class FailFastWatch {
  readonly #criteria: ResolvedCriteria;
  readonly #warmupS: number;
  readonly #recorder: Recorder;
  #allErrorsJudged = false;

  constructor(criteria: ResolvedCriteria, warmupS: number, recorder: Recorder) {
    this.#criteria = criteria;
    this.#warmupS = warmupS;
    this.#recorder = recorder;
  }

  /** The reason to stop at `nowS` (seconds since the start), if there is one. */
  check(nowS: number): StopCause | undefined {
    return this.#allErrors(nowS) ?? this.#abortOnFail(nowS);
  }

  #allErrors(nowS: number): StopCause | undefined {
    const limitS = this.#criteria.failFast.abortOnAllErrorsS;
    if (limitS <= 0 || this.#allErrorsJudged || nowS < limitS) return undefined;
    this.#allErrorsJudged = true;
    const r = this.#recorder;
    if (r.completedTotal === 0 || r.errorsTotal < r.completedTotal) return undefined;
    const first = r.firstError;
    const cause = first === undefined ? 'unknown' : `${first.operation}: ${first.code}: ${first.message}`;
    return {
      kind: 'all-errors',
      atS: nowS,
      message: `every operation failed during the first ${limitS} s (${r.errorsTotal} of ${r.completedTotal}); the first error: ${cause}`,
    };
  }

  #abortOnFail(nowS: number): StopCause | undefined {
    const { failFast, limits, operations, windows } = this.#criteria;
    const startS = this.#warmupS + failFast.abortOnFailDelayS;
    if (nowS < startS) return undefined;
    const scopes: Scope[] = [{ keys: failFast.abortOnFail, limits, parts: () => this.#slotParts(null) }];
    for (const [operation, keys] of Object.entries(failFast.operations)) {
      scopes.push({
        operation,
        keys,
        limits: operations[operation] ?? {},
        parts: () => this.#slotParts(operation),
      });
    }
    failFast.windows.forEach((keys, i) => {
      const window = windows[i];
      // A window shorter than the delay is judged at its end, not never.
      if (window === undefined || keys.length === 0) return;
      if (nowS < Math.min(window.startS + failFast.abortOnFailDelayS, window.endS)) return;
      scopes.push({
        window: window.name,
        keys,
        limits: window.limits,
        parts: () => this.#windowParts(window.name, window.operation),
      });
    });
    for (const scope of scopes) {
      const cause = this.#failed(scope, nowS);
      if (cause !== undefined) return cause;
    }
    return undefined;
  }

  #failed(scope: Scope, nowS: number): StopCause | undefined {
    for (const key of scope.keys) {
      const limit = (scope.limits as Record<string, number | undefined>)[key];
      const actual = limit === undefined ? null : figureOf(key, scope.parts());
      if (limit === undefined || actual === null || actual <= limit) continue;
      const name = criterionName(key);
      const where =
        scope.operation !== undefined
          ? ` of ${scope.operation}`
          : scope.window !== undefined
            ? ` in window "${scope.window}"`
            : '';
      return {
        kind: 'abort-on-fail',
        criterion: name,
        ...(scope.operation === undefined ? {} : { operation: scope.operation }),
        ...(scope.window === undefined ? {} : { window: scope.window }),
        limit,
        actual,
        atS: nowS,
        message: `${name}${where} failed after ${Math.round(nowS)} s: ${actual} > ${limit} (abort_on_fail)`,
      };
    }
    return undefined;
  }

  /** Every slot's figures so far (operations intended after the warm-up), or one operation's. */
  #slotParts(operation: string | null): Part[] {
    return this.#recorder.slots
      .filter((slot) => operation === null || slot.operation === operation)
      .map((slot) => ({
        count: slot.count,
        errors: slot.errors,
        dropped: slot.dropped,
        response: slot.response,
        service: slot.service,
      }));
  }

  /** A window's figures so far: its operations intended inside it (response times only). */
  #windowParts(name: string, operation: string | null): Part[] {
    const window = this.#recorder.windows.find((w) => w.name === name);
    if (window === undefined) return [];
    return [...window.operations]
      .filter(([op]) => operation === null || op === operation)
      .map(([, op]) => ({ count: op.count, errors: op.errors, dropped: 0, response: op.histogram }));
  }
}

/** One criteria block whose `abortOnFail` list is watched. */
interface Scope {
  operation?: string;
  window?: string;
  keys: readonly AbortableCriterion[];
  limits: LatencyLimits | RunLimits;
  parts: () => Part[];
}

/** What one slot or window operation recorded so far. */
interface Part {
  count: number;
  errors: number;
  dropped: number;
  response: LatencyHistogram;
  service?: LatencyHistogram;
}

/** The criterion's figure over `parts`; null with no operations (or no histogram for it). */
function figureOf(key: AbortableCriterion, parts: readonly Part[]): number | null {
  let count = 0;
  let errors = 0;
  let dropped = 0;
  for (const part of parts) {
    count += part.count;
    errors += part.errors;
    dropped += part.dropped;
  }
  if (key === 'droppedRatioMax') return count + dropped > 0 ? round3(dropped / (count + dropped)) : null;
  if (count === 0) return null;
  if (key === 'errorRateMax') return round3(errors / count);
  const figure = FIGURES[key] as Figure;
  const sum = new LatencyHistogram();
  try {
    for (const part of parts) {
      const histogram = figure.from === 'response' ? part.response : part.service;
      if (histogram === undefined) return null;
      sum.add(histogram);
    }
    const summary = sum.summaryMs();
    return figure.percentile === 'mean' ? summary.mean : round3(sum.percentileMs(figure.percentile));
  } finally {
    sum.destroy();
  }
}
