/**
 * The search behind `tiervec loadtest capacity`: the highest offered rate at which a probe still
 * meets the SLO. `step` raises the rate by a fixed amount until a probe fails; `bisect` multiplies it
 * until one fails, then halves the interval between the last pass and the first failure a few times.
 * A failing probe is repeated before it is believed (a third run breaks a tie), and the answer is
 * reliable only when the rate it names passed with confidence and no tie was broken there.
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
  /** A failing probe is run again this many times before the failure is believed. */
  failureRepeats: 1,
});

export type CapacityStrategy = 'step' | 'bisect';

export interface ProbeOutcome {
  /** Offered rate, operations per second. */
  rate: number;
  passed: boolean;
  /** Why the probe failed the SLO (empty when it passed). */
  reasons: string[];
  /**
   * Whether the probe had the samples to be sure of its verdict (its SLO percentile's confidence
   * bound is on the same side of the limit). @default true
   */
  confident?: boolean;
}

/** The verdict on one rate, from one or more probes at it. */
export interface RateVerdict {
  rate: number;
  passed: boolean;
  /** Probes run at this rate. */
  runs: number;
  /** Probes that passed. */
  passes: number;
  /** Sure of the verdict: a confident pass, or a failure that repeated. */
  confident: boolean;
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
  /** @default 1 */
  failureRepeats?: number;
  probe: (rate: number) => Promise<P>;
  signal?: AbortSignal;
}

export interface CapacityResult<P extends ProbeOutcome> {
  /** The highest rate that passed; undefined when even `rateMin` failed. */
  highestPassing: number | undefined;
  /** The lowest rate that failed; undefined when every probe up to `rateMax` passed. */
  lowestFailing: number | undefined;
  probes: P[];
  verdicts: RateVerdict[];
  /** Why the answer cannot be trusted; empty when it can. */
  unreliable: string[];
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
  const repeats = checkInteger(
    'failureRepeats',
    options.failureRepeats ?? CAPACITY_DEFAULTS.failureRepeats,
    0,
    10,
  );
  const probes: P[] = [];
  const verdicts: RateVerdict[] = [];
  let pass: number | undefined;
  let fail: number | undefined;
  const run = async (rate: number): Promise<boolean> => {
    const verdict = await judgeRate(roundRate(rate), repeats, probesMax - probes.length, async (r) => {
      options.signal?.throwIfAborted();
      const outcome = await options.probe(r);
      probes.push(outcome);
      return outcome;
    });
    verdicts.push(verdict);
    if (verdict.passed) pass = Math.max(pass ?? 0, verdict.rate);
    else fail = Math.min(fail ?? Infinity, verdict.rate);
    return verdict.passed;
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
  return {
    highestPassing: pass,
    lowestFailing: fail,
    probes,
    verdicts,
    unreliable: unreliability(verdicts, pass),
  };
}

/**
 * Probes `rate` once; a failure is run again `repeats` times, and a tie between passes and failures
 * is broken by one more run. At most `budget` probes.
 */
async function judgeRate(
  rate: number,
  repeats: number,
  budget: number,
  probe: (rate: number) => Promise<ProbeOutcome>,
): Promise<RateVerdict> {
  const outcomes = [await probe(rate)];
  const passesOf = () => outcomes.filter((o) => o.passed).length;
  if (outcomes[0]?.passed !== true) {
    for (let i = 0; i < repeats && outcomes.length < budget; i++) outcomes.push(await probe(rate));
    if (passesOf() * 2 === outcomes.length && outcomes.length < budget) outcomes.push(await probe(rate));
  }
  const runs = outcomes.length;
  const passes = passesOf();
  const unanimous = passes === 0 || passes === runs;
  // One run is as sure as its samples; agreeing repeats are sure.
  const confident = unanimous && (runs > 1 || outcomes[0]?.confident !== false);
  return { rate, passed: passes * 2 > runs, runs, passes, confident };
}

/** Why an answer is not to be trusted: the rate it names was not a confident, unanimous pass. */
function unreliability(verdicts: readonly RateVerdict[], highestPassing: number | undefined): string[] {
  if (highestPassing === undefined) return [];
  const reasons: string[] = [];
  for (const v of verdicts.filter((x) => x.rate === highestPassing && !x.confident)) {
    reasons.push(
      v.passes < v.runs
        ? `${v.rate} ops/s passed only ${v.passes} of ${v.runs} probes`
        : `${v.rate} ops/s passed with too few samples to bound its SLO percentile`,
    );
  }
  return reasons;
}
