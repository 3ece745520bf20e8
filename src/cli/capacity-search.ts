/**
 * The search behind `tiervec loadtest capacity`: the highest offered rate at which a probe still
 * meets the SLO. `step` raises the rate by a fixed amount until a probe fails; `bisect` multiplies it
 * until one fails, then halves the interval between the last pass and the first failure a few times.
 * Probes run one after another through the callback, so this module is pure and testable without a
 * store; the number of probes is bounded.
 */

import { checkInteger, checkNumber, ErrorCode, TierVecError } from '../errors.ts';

export const CAPACITY_DEFAULTS = Object.freeze({
  strategy: 'bisect' as CapacityStrategy,
  /** bisect: each probe before the first failure offers this many times the previous rate. */
  growthFactor: 2,
  /** bisect: halvings of [last pass, first failure] after the first failure. */
  refineSteps: 3,
  /** Probes at most, whatever the strategy. */
  probesMax: 30,
});

export type CapacityStrategy = 'step' | 'bisect';

export interface ProbeOutcome {
  /** Offered rate, operations per second. */
  rate: number;
  passed: boolean;
  /** Why the probe failed the SLO (empty when it passed). */
  reasons: string[];
}

export interface CapacitySearchOptions<P extends ProbeOutcome> {
  rateMin: number;
  rateMax: number;
  strategy?: CapacityStrategy;
  /** step: the increment, ops/s. @default rateMin */
  stepRate?: number;
  growthFactor?: number;
  refineSteps?: number;
  probesMax?: number;
  probe: (rate: number) => Promise<P>;
  signal?: AbortSignal;
}

export interface CapacityResult<P extends ProbeOutcome> {
  /** The highest rate that passed; undefined when even `rateMin` failed. */
  highestPassing: number | undefined;
  /** The lowest rate that failed; undefined when every probe up to `rateMax` passed. */
  lowestFailing: number | undefined;
  probes: P[];
}

/** Rates are shown and offered with sensible precision (a rate of 1234.5678 is 1235). */
export function roundRate(rate: number): number {
  if (rate >= 100) return Math.round(rate);
  if (rate >= 10) return Math.round(rate * 10) / 10;
  return Math.round(rate * 100) / 100;
}

export async function searchCapacity<P extends ProbeOutcome>(
  options: CapacitySearchOptions<P>,
): Promise<CapacityResult<P>> {
  const rateMin = checkNumber('rateMin', options.rateMin, 0.01, 1e9);
  const rateMax = checkNumber('rateMax', options.rateMax, rateMin, 1e9);
  const strategy = options.strategy ?? CAPACITY_DEFAULTS.strategy;
  if (strategy !== 'step' && strategy !== 'bisect') {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`strategy\` to be "step" or "bisect", got "${String(strategy)}"`,
    );
  }
  const probesMax = checkInteger('probesMax', options.probesMax ?? CAPACITY_DEFAULTS.probesMax, 1, 1000);
  const probes: P[] = [];
  let pass: number | undefined;
  let fail: number | undefined;
  const run = async (rate: number): Promise<boolean> => {
    options.signal?.throwIfAborted();
    const outcome = await options.probe(roundRate(rate));
    probes.push(outcome);
    if (outcome.passed) pass = Math.max(pass ?? 0, outcome.rate);
    else fail = Math.min(fail ?? Infinity, outcome.rate);
    return outcome.passed;
  };
  if (strategy === 'step') {
    const step = checkNumber('stepRate', options.stepRate ?? rateMin, 0.01, 1e9);
    for (let rate = rateMin; rate <= rateMax + 1e-9 && probes.length < probesMax; rate += step) {
      if (!(await run(rate))) break;
    }
  } else {
    const factor = checkNumber(
      'growthFactor',
      options.growthFactor ?? CAPACITY_DEFAULTS.growthFactor,
      1.01,
      100,
    );
    const refine = checkInteger('refineSteps', options.refineSteps ?? CAPACITY_DEFAULTS.refineSteps, 0, 20);
    let rate = rateMin;
    while (probes.length < probesMax && (await run(rate)) && rate < rateMax)
      rate = Math.min(rate * factor, rateMax);
    for (
      let i = 0;
      i < refine && probes.length < probesMax && pass !== undefined && fail !== undefined;
      i++
    ) {
      const mid = roundRate((pass + fail) / 2);
      if (mid <= pass || mid >= fail) break;
      await run(mid);
    }
  }
  return { highestPassing: pass, lowestFailing: fail, probes };
}
