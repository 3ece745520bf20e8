/**
 * The one vocabulary of arrival-rate profiles: the spec a profile is built from (what a scenario
 * file's `[load.profile]` is read into, what a configuration gives `load.profile`, what a report
 * echoes), the `Profile` a run's scheduler follows, and the operations on specs that need no
 * duration: scaling every rate, and the rate a profile is known by. Rates are in operations per
 * second; time fields are `…S` (seconds) or `…Fraction` (of the run's duration). Validation and
 * construction are `createProfile` in `profiles.ts`; nothing here checks or builds a curve.
 */

import { ErrorCode, TierVecError } from '../errors.ts';

export const PROFILE_KINDS = Object.freeze([
  'constant',
  'ramp',
  'stages',
  'spike',
  'periodic',
  'periodic_burst',
  'bursty',
  'random',
] as const);
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** Every rate is in operations per second. Time fields accept `…S` (seconds) or `…Fraction` (of the duration). */
export interface ConstantProfileSpec {
  kind: 'constant';
  rate: number;
}
/** Linear from `fromRate` to `toRate` over the ramp's length (default: the whole run), then held. */
export interface RampProfileSpec {
  kind: 'ramp';
  fromRate: number;
  toRate: number;
  durationS?: number;
  durationFraction?: number;
}
/** k6-style stages: each moves linearly from the previous target (first: `startRate`, default 0) to its own. */
export interface StagesProfileSpec {
  kind: 'stages';
  startRate?: number;
  stages: Array<{ rate: number; durationS?: number; durationFraction?: number }>;
}
/**
 * `rate` until the spike starts, `spikeRate` until it ends, then `recoveryRate` (default `rate`).
 * The spike ends at `end…` or lasts `length…` (give one of them).
 */
export interface SpikeProfileSpec {
  kind: 'spike';
  rate: number;
  spikeRate: number;
  recoveryRate?: number;
  startS?: number;
  startFraction?: number;
  endS?: number;
  endFraction?: number;
  lengthS?: number;
  lengthFraction?: number;
  /** Time to climb to and descend from `spikeRate`, inside the spike window. @default 0 */
  rampS?: number;
  rampFraction?: number;
}
/** Sine: rate + amplitude · sin(2π t / period); amplitude ≤ rate. */
export interface PeriodicProfileSpec {
  kind: 'periodic';
  rate: number;
  amplitude: number;
  periodS?: number;
  periodFraction?: number;
}
/** `rate`, except during the last `burstLength` of every period, which runs at `burstRate`. */
export interface PeriodicBurstProfileSpec {
  kind: 'periodic_burst';
  rate: number;
  burstRate: number;
  burstLengthS?: number;
  burstLengthFraction?: number;
  periodS?: number;
  periodFraction?: number;
}
/** Mean `rate`; each interval (default 1 s) is a burst at `burstFactor` × base with `burstProbability` (seeded). */
export interface BurstyProfileSpec {
  kind: 'bursty';
  rate: number;
  burstFactor: number;
  burstProbability: number;
  intervalS?: number;
  intervalFraction?: number;
  seed?: number;
}
/** A new uniformly drawn rate in [minRate, maxRate] every `changeEvery` (default 10 s), seeded. */
export interface RandomProfileSpec {
  kind: 'random';
  minRate: number;
  maxRate: number;
  changeEveryS?: number;
  changeEveryFraction?: number;
  seed?: number;
}

export type ProfileSpec =
  | ConstantProfileSpec
  | RampProfileSpec
  | StagesProfileSpec
  | SpikeProfileSpec
  | PeriodicProfileSpec
  | PeriodicBurstProfileSpec
  | BurstyProfileSpec
  | RandomProfileSpec;

/** What a report says about a profile: the spec as given plus what it resolved to for this run. */
export interface ProfileDescription {
  kind: ProfileKind;
  spec: ProfileSpec;
  durationS: number;
  rateMax: number;
  meanRate: number;
  expectedOperations: number;
  spike?: { startS: number; endS: number };
}

export interface Profile {
  readonly kind: ProfileKind;
  readonly durationS: number;
  /** The highest rate over the run (the envelope Poisson thinning draws against). */
  readonly rateMax: number;
  /** The spike's window, for `spike` profiles. */
  readonly spike: { startS: number; endS: number } | undefined;
  /** Target rate at `tS` seconds into the run; 0 outside [0, durationS). */
  rateAt(tS: number): number;
  /** Expected arrivals over [fromS, toS], both clamped to [0, durationS]. */
  integral(fromS: number, toS: number): number;
  /**
   * Returns a function giving the earliest time at which the cumulative rate reaches `count`
   * (Infinity past the end of the run). Calls must use non-decreasing counts (amortized O(1)).
   */
  inverseCursor(): (count: number) => number;
  describe(): ProfileDescription;
}

/** Every field of a spec that is a rate (operations per second); stages carry their own. */
const RATE_KEYS = Object.freeze([
  'rate',
  'fromRate',
  'toRate',
  'startRate',
  'spikeRate',
  'recoveryRate',
  'amplitude',
  'burstRate',
  'minRate',
  'maxRate',
]);

/** Multiplies every rate of a spec by `factor` (used to override a scenario's rate or search capacity). */
export function scaleProfile(spec: ProfileSpec, factor: number): ProfileSpec {
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`factor\` to be a positive number, got ${factor}`,
    );
  }
  const scaled: Record<string, unknown> = { ...spec };
  for (const key of RATE_KEYS) {
    if (typeof scaled[key] === 'number') scaled[key] = (scaled[key] as number) * factor;
  }
  if (spec.kind === 'stages' && Array.isArray(spec.stages)) {
    scaled.stages = spec.stages.map((stage) => ({ ...stage, rate: stage.rate * factor }));
  }
  return scaled as unknown as ProfileSpec;
}

/** The rate a profile is known by: its steady rate, or its highest for ramps, stages and random. */
export function profileBaseRate(spec: ProfileSpec): number {
  switch (spec.kind) {
    case 'ramp':
      return Math.max(spec.fromRate, spec.toRate);
    case 'stages':
      return Math.max(spec.startRate ?? 0, ...spec.stages.map((stage) => stage.rate));
    case 'random':
      return spec.maxRate;
    default:
      return spec.rate;
  }
}
