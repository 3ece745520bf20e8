/**
 * Watching a run for reasons to stop it early, once per timeline interval: an `abortOnFail`
 * criterion failing on the running totals after the warm-up and its delay, or every operation of
 * the first `abortOnAllErrorsS` seconds having failed (the first error's message then says why).
 * It reads the recorder and never stops anything itself: the run session acts on what it returns.
 */

import { criterionName, type ResolvedCriteria } from './criteria.ts';
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
    const { abortOnFail, abortOnFailDelayS } = this.#criteria.failFast;
    if (abortOnFail.length === 0 || nowS < this.#warmupS + abortOnFailDelayS) return undefined;
    for (const key of abortOnFail) {
      const limit = this.#criteria.limits[key];
      const actual = this.#actual(key);
      if (limit === undefined || actual === null || actual <= limit) continue;
      const name = criterionName(key);
      return {
        kind: 'abort-on-fail',
        criterion: name,
        limit,
        actual,
        atS: nowS,
        message: `${name} failed after ${Math.round(nowS)} s: ${actual} > ${limit} (abort_on_fail)`,
      };
    }
    return undefined;
  }

  /** The criterion's figure over the operations intended after the warm-up so far; null with none. */
  #actual(key: AbortableCriterion): number | null {
    const slots = this.#recorder.slots;
    let count = 0;
    let errors = 0;
    let dropped = 0;
    for (const slot of slots) {
      count += slot.count;
      errors += slot.errors;
      dropped += slot.dropped;
    }
    if (key === 'droppedRatioMax') return count + dropped > 0 ? round3(dropped / (count + dropped)) : null;
    if (count === 0) return null;
    if (key === 'errorRateMax') return round3(errors / count);
    const figure = FIGURES[key] as Figure;
    const sum = new LatencyHistogram();
    try {
      for (const slot of slots) sum.add(figure.from === 'response' ? slot.response : slot.service);
      const summary = sum.summaryMs();
      return figure.percentile === 'mean' ? summary.mean : round3(sum.percentileMs(figure.percentile));
    } finally {
      sum.destroy();
    }
  }
}
