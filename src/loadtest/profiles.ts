/**
 * Arrival-rate profiles: the target rate λ(t), in operations per second, that an open-model load
 * group follows over a run. A profile is built once from its spec and the run's duration (time fields
 * may be given in seconds or as fractions of the duration) and is then a pure function of time:
 * `rateAt(tS)`, the expected number of arrivals over an interval (`integral`), and its inverse, which
 * the uniform arrival process uses to place arrival i exactly where the cumulative rate reaches i.
 *
 * Every profile except `periodic` is stored as a piecewise-linear curve (steps are two points at the
 * same time), so rate, integral and inverse have closed forms. Randomness (`bursty`, `random`) is
 * drawn at construction from a seeded Rng, so the same seed gives the same curve. This module never
 * looks at a clock.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { Rng } from '../random.ts';
import {
  enumField,
  numberField,
  objectField,
  optionalNumberField,
  rejectUnknownKeys,
  scenarioError,
  timeField,
} from './field-check.ts';

/** The highest rate any profile may ask for, in operations per second. */
export const PROFILE_RATE_MAX = 10_000_000;
/** The most pieces (stages, periods, slots) a profile may have over one run. */
export const PROFILE_PIECES_MAX = 1_000_000;

export const PROFILE_KINDS = [
  'constant',
  'ramp',
  'stages',
  'spike',
  'periodic',
  'periodic_burst',
  'bursty',
  'random',
] as const;
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

export interface ProfileOptions {
  durationS: number;
  /** Seed of `bursty` and `random` profiles that give none. */
  seed: number;
  /** Path of the spec in the configuration, for error messages. @default 'profile' */
  field?: string;
}

const KEYS: Record<ProfileKind, readonly string[]> = {
  constant: ['kind', 'rate'],
  ramp: ['kind', 'fromRate', 'toRate', 'durationS', 'durationFraction'],
  stages: ['kind', 'startRate', 'stages'],
  spike: [
    'kind',
    'rate',
    'spikeRate',
    'recoveryRate',
    'startS',
    'startFraction',
    'endS',
    'endFraction',
    'lengthS',
    'lengthFraction',
    'rampS',
    'rampFraction',
  ],
  periodic: ['kind', 'rate', 'amplitude', 'periodS', 'periodFraction'],
  periodic_burst: [
    'kind',
    'rate',
    'burstRate',
    'burstLengthS',
    'burstLengthFraction',
    'periodS',
    'periodFraction',
  ],
  bursty: ['kind', 'rate', 'burstFactor', 'burstProbability', 'intervalS', 'intervalFraction', 'seed'],
  random: ['kind', 'minRate', 'maxRate', 'changeEveryS', 'changeEveryFraction', 'seed'],
};

/** Validates `spec` and builds the profile for a run of `durationS` seconds. */
export function createProfile(spec: unknown, options: ProfileOptions): Profile {
  const path = options.field ?? 'profile';
  const durationS = options.durationS;
  if (!(durationS > 0) || !Number.isFinite(durationS)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`durationS\` to be a positive number, got ${durationS}`,
    );
  }
  const s = objectField(path, spec);
  const kind = enumField(`${path}.kind`, s.kind, PROFILE_KINDS);
  rejectUnknownKeys(path, s, KEYS[kind]);
  const rate = (key: string, fallback?: number) =>
    fallback === undefined
      ? numberField(`${path}.${key}`, s[key], 0, PROFILE_RATE_MAX)
      : optionalNumberField(`${path}.${key}`, s[key], 0, PROFILE_RATE_MAX, fallback);
  const points = new PointsBuilder(durationS);
  let spike: { startS: number; endS: number } | undefined;
  switch (kind) {
    case 'constant': {
      const constant = rate('rate');
      if (!(constant > 0))
        throw scenarioError(`${path}.rate`, `a number above 0 and at most ${PROFILE_RATE_MAX}`, 0);
      points.add(0, constant).add(durationS, constant);
      break;
    }
    case 'ramp': {
      const lengthS = timeField(s, 'duration', path, durationS, durationS);
      points.add(0, rate('fromRate')).add(lengthS, rate('toRate')).add(durationS, rate('toRate'));
      break;
    }
    case 'stages':
      buildStages(s, path, durationS, points, rate('startRate', 0));
      break;
    case 'spike':
      spike = buildSpike(s, path, durationS, points, rate);
      break;
    case 'periodic':
      return createPeriodic(s, path, durationS, rate('rate'), rate('amplitude'));
    case 'periodic_burst':
      buildPeriodicBurst(s, path, durationS, points, rate('rate'), rate('burstRate'));
      break;
    case 'bursty':
      buildBursty(s, path, durationS, points, options.seed, rate('rate'));
      break;
    case 'random':
      buildRandom(s, path, durationS, points, options.seed);
      break;
  }
  const profile = new PiecewiseLinearProfile(kind, s as unknown as ProfileSpec, durationS, points, spike);
  if (!(profile.rateMax > 0))
    throw scenarioError(`${path}.kind`, 'a profile whose rate is above 0 somewhere', 0);
  return profile;
}

/** Multiplies every rate of a spec by `factor` (used to override a scenario's rate or search capacity). */
export function scaleProfile(spec: ProfileSpec, factor: number): ProfileSpec {
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new TierVecError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`factor\` to be a positive number, got ${factor}`,
    );
  }
  const scaled: Record<string, unknown> = { ...spec };
  for (const key of ['rate', 'fromRate', 'toRate', 'startRate', 'spikeRate', 'recoveryRate', 'amplitude']) {
    if (typeof scaled[key] === 'number') scaled[key] = (scaled[key] as number) * factor;
  }
  for (const key of ['burstRate', 'minRate', 'maxRate']) {
    if (typeof scaled[key] === 'number') scaled[key] = (scaled[key] as number) * factor;
  }
  if (spec.kind === 'stages' && Array.isArray(spec.stages)) {
    scaled.stages = spec.stages.map((stage) => ({ ...stage, rate: stage.rate * factor }));
  }
  return scaled as unknown as ProfileSpec;
}

function buildStages(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  points: PointsBuilder,
  startRate: number,
): void {
  const stages = s.stages;
  if (!Array.isArray(stages) || stages.length === 0 || stages.length > PROFILE_PIECES_MAX) {
    throw scenarioError(`${path}.stages`, `a list of 1 to ${PROFILE_PIECES_MAX} stages`, stages);
  }
  let tS = 0;
  points.add(0, startRate);
  stages.forEach((raw, i) => {
    const field = `${path}.stages[${i}]`;
    const stage = objectField(field, raw);
    rejectUnknownKeys(field, stage, ['rate', 'durationS', 'durationFraction']);
    const stageRate = numberField(`${field}.rate`, stage.rate, 0, PROFILE_RATE_MAX);
    tS += timeField(stage, 'duration', field, durationS);
    if (tS > durationS * (1 + 1e-9)) {
      throw scenarioError(`${field}.durationS`, `stages that end within the run's ${durationS} s`, tS);
    }
    points.add(Math.min(tS, durationS), stageRate);
  });
  points.hold();
}

function buildSpike(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  points: PointsBuilder,
  rate: (key: string, fallback?: number) => number,
): { startS: number; endS: number } {
  const base = rate('rate');
  const peak = rate('spikeRate');
  const recovery = rate('recoveryRate', base);
  const startS = timeField(s, 'start', path, durationS);
  const byLength = s.lengthS !== undefined || s.lengthFraction !== undefined;
  if (byLength && (s.endS !== undefined || s.endFraction !== undefined)) {
    throw scenarioError(
      `${path}.length${s.lengthS === undefined ? 'Fraction' : 'S'}`,
      'absent when the end is given',
      s.lengthS ?? s.lengthFraction,
    );
  }
  const endS = byLength
    ? startS + timeField(s, 'length', path, durationS)
    : timeField(s, 'end', path, durationS);
  const endKey = byLength
    ? `length${s.lengthS === undefined ? 'Fraction' : 'S'}`
    : `end${s.endS === undefined ? 'Fraction' : 'S'}`;
  if (!(endS > startS)) throw scenarioError(`${path}.${endKey}`, `a spike that ends after it starts`, endS);
  if (endS > durationS * (1 + 1e-9))
    throw scenarioError(`${path}.${endKey}`, `a spike that ends within the run's ${durationS} s`, endS);
  const rampS = timeField(s, 'ramp', path, durationS, 0);
  if (2 * rampS > endS - startS) {
    throw scenarioError(
      `${path}.ramp${s.rampS === undefined ? 'Fraction' : 'S'}`,
      'at most half the spike',
      rampS,
    );
  }
  points
    .add(0, base)
    .add(startS, base)
    .add(startS + rampS, peak)
    .add(endS - rampS, peak)
    .add(endS, recovery)
    .add(durationS, recovery);
  return { startS, endS };
}

function positiveTime(
  s: Record<string, unknown>,
  base: string,
  path: string,
  durationS: number,
  fallbackS?: number,
) {
  const value = timeField(s, base, path, durationS, fallbackS);
  if (!(value > 0) || durationS / value > PROFILE_PIECES_MAX) {
    const key =
      s[`${base}S`] === undefined && s[`${base}Fraction`] !== undefined ? `${base}Fraction` : `${base}S`;
    throw scenarioError(`${path}.${key}`, `a length above ${durationS / PROFILE_PIECES_MAX} s`, value);
  }
  return value;
}

function buildPeriodicBurst(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  points: PointsBuilder,
  base: number,
  burst: number,
): void {
  const periodS = positiveTime(s, 'period', path, durationS);
  const burstS = timeField(s, 'burstLength', path, durationS);
  if (burstS > periodS) {
    const key = s.burstLengthS === undefined ? 'burstLengthFraction' : 'burstLengthS';
    throw scenarioError(`${path}.${key}`, 'at most the period', burstS);
  }
  for (let startS = 0; startS < durationS; startS += periodS) {
    const burstStartS = startS + periodS - burstS;
    points
      .add(startS, base)
      .add(burstStartS, base)
      .add(burstStartS, burst)
      .add(startS + periodS, burst);
  }
}

function buildBursty(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  points: PointsBuilder,
  seed: number,
  mean: number,
): void {
  const factor = numberField(`${path}.burstFactor`, s.burstFactor, 1, 1_000);
  const probability = numberField(`${path}.burstProbability`, s.burstProbability, 0, 1);
  const slotS = positiveTime(s, 'interval', path, durationS, Math.min(1, durationS));
  const rng = new Rng(optionalNumberField(`${path}.seed`, s.seed, 0, 2 ** 32 - 1, seed, { integer: true }));
  // The base rate is chosen so that the long-run mean is `rate`: mean = base · (1 + p · (factor − 1)).
  const base = mean / (1 + probability * (factor - 1));
  for (let startS = 0; startS < durationS; startS += slotS) {
    const slotRate = rng.next() < probability ? base * factor : base;
    points.add(startS, slotRate).add(startS + slotS, slotRate);
  }
}

function buildRandom(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  points: PointsBuilder,
  seed: number,
): void {
  const minRate = numberField(`${path}.minRate`, s.minRate, 0, PROFILE_RATE_MAX);
  const maxRate = numberField(`${path}.maxRate`, s.maxRate, minRate, PROFILE_RATE_MAX);
  const everyS = positiveTime(s, 'changeEvery', path, durationS, Math.min(10, durationS));
  const rng = new Rng(optionalNumberField(`${path}.seed`, s.seed, 0, 2 ** 32 - 1, seed, { integer: true }));
  for (let startS = 0; startS < durationS; startS += everyS) {
    const slotRate = rng.nextFloat(minRate, maxRate);
    points.add(startS, slotRate).add(startS + everyS, slotRate);
  }
}

/** Collects the points of a piecewise-linear curve over [0, durationS], cutting it at the end. */
class PointsBuilder {
  readonly times: number[] = [];
  readonly rates: number[] = [];
  readonly #durationS: number;
  #closed = false;

  constructor(durationS: number) {
    this.#durationS = durationS;
  }

  add(tS: number, rate: number): this {
    if (this.#closed) return this;
    const last = this.times.length - 1;
    if (tS >= this.#durationS && last >= 0) {
      const t0 = this.times[last] as number;
      const r0 = this.rates[last] as number;
      const cutRate = tS === t0 ? rate : r0 + ((rate - r0) * (this.#durationS - t0)) / (tS - t0);
      this.times.push(this.#durationS);
      this.rates.push(tS === this.#durationS ? rate : cutRate);
      this.#closed = true;
      return this;
    }
    this.times.push(tS);
    this.rates.push(rate);
    return this;
  }

  /** Holds the last rate until the end of the run. */
  hold(): void {
    this.add(this.#durationS, this.rates[this.rates.length - 1] as number);
  }
}

class PiecewiseLinearProfile implements Profile {
  readonly kind: ProfileKind;
  readonly durationS: number;
  readonly rateMax: number;
  readonly spike: { startS: number; endS: number } | undefined;
  readonly #spec: ProfileSpec;
  readonly #t: Float64Array;
  readonly #r: Float64Array;
  /** Cumulative expected arrivals at each point. */
  readonly #c: Float64Array;

  constructor(
    kind: ProfileKind,
    spec: ProfileSpec,
    durationS: number,
    points: PointsBuilder,
    spike: { startS: number; endS: number } | undefined,
  ) {
    if (points.times[points.times.length - 1] !== durationS) points.hold();
    this.kind = kind;
    this.#spec = spec;
    this.durationS = durationS;
    this.spike = spike;
    this.#t = Float64Array.from(points.times);
    this.#r = Float64Array.from(points.rates);
    this.#c = new Float64Array(this.#t.length);
    let rateMax = 0;
    for (let i = 0; i < this.#t.length; i++) {
      rateMax = Math.max(rateMax, this.#r[i] as number);
      if (i > 0) {
        const lengthS = (this.#t[i] as number) - (this.#t[i - 1] as number);
        this.#c[i] =
          (this.#c[i - 1] as number) + (lengthS * ((this.#r[i - 1] as number) + (this.#r[i] as number))) / 2;
      }
    }
    this.rateMax = rateMax;
  }

  /** Index of the last point at or before `tS` (tS within [0, durationS)). */
  #segment(tS: number): number {
    let lo = 0;
    let hi = this.#t.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((this.#t[mid] as number) <= tS) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  rateAt(tS: number): number {
    if (!(tS >= 0 && tS < this.durationS)) return 0;
    const i = this.#segment(tS);
    const t0 = this.#t[i] as number;
    const t1 = this.#t[i + 1] as number;
    const r0 = this.#r[i] as number;
    return t1 === t0
      ? (this.#r[i + 1] as number)
      : r0 + (((this.#r[i + 1] as number) - r0) * (tS - t0)) / (t1 - t0);
  }

  #cumulative(tS: number): number {
    if (tS <= 0) return 0;
    if (tS >= this.durationS) return this.#c[this.#c.length - 1] as number;
    const i = this.#segment(tS);
    const t0 = this.#t[i] as number;
    const lengthS = (this.#t[i + 1] as number) - t0;
    const r0 = this.#r[i] as number;
    const dt = tS - t0;
    const slope = lengthS === 0 ? 0 : ((this.#r[i + 1] as number) - r0) / lengthS;
    return (this.#c[i] as number) + r0 * dt + (slope * dt * dt) / 2;
  }

  integral(fromS: number, toS: number): number {
    return toS <= fromS ? 0 : this.#cumulative(toS) - this.#cumulative(fromS);
  }

  inverseCursor(): (count: number) => number {
    const last = this.#t.length - 1;
    const total = this.#c[last] as number;
    let i = 0;
    return (count: number) => {
      if (!(count < total)) return Number.POSITIVE_INFINITY;
      // Find the segment [i, i + 1] with c[i] < count ≤ c[i + 1]; zero-rate stretches are skipped.
      while (i < last - 1 && (this.#c[i + 1] as number) < count) i++;
      const t0 = this.#t[i] as number;
      const lengthS = (this.#t[i + 1] as number) - t0;
      const r0 = this.#r[i] as number;
      const d = count - (this.#c[i] as number);
      const halfSlope = lengthS === 0 ? 0 : ((this.#r[i + 1] as number) - r0) / (2 * lengthS);
      // Solve r0·x + halfSlope·x² = d in the form that stays accurate when halfSlope is tiny.
      const x =
        halfSlope === 0 ? d / r0 : (2 * d) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * halfSlope * d)));
      return t0 + Math.min(Math.max(x, 0), lengthS);
    };
  }

  describe(): ProfileDescription {
    const expected = this.integral(0, this.durationS);
    return {
      kind: this.kind,
      spec: this.#spec,
      durationS: this.durationS,
      rateMax: this.rateMax,
      meanRate: expected / this.durationS,
      expectedOperations: expected,
      ...(this.spike === undefined ? {} : { spike: this.spike }),
    };
  }
}

function createPeriodic(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  base: number,
  amplitude: number,
): Profile {
  if (amplitude > base)
    throw scenarioError(`${path}.amplitude`, `at most \`${path}.rate\` (${base})`, amplitude);
  if (!(base > 0)) throw scenarioError(`${path}.rate`, 'above 0', base);
  const periodS = positiveTime(s, 'period', path, durationS);
  const omega = (2 * Math.PI) / periodS;
  // Λ(t) = base·t + amplitude/ω·(1 − cos ωt); the second term lies in [0, 2·amplitude/ω].
  const cumulative = (tS: number) => {
    const t = Math.min(Math.max(tS, 0), durationS);
    return base * t + (amplitude / omega) * (1 - Math.cos(omega * t));
  };
  const rateAt = (tS: number) => (tS >= 0 && tS < durationS ? base + amplitude * Math.sin(omega * tS) : 0);
  const total = cumulative(durationS);
  const spec = s as unknown as ProfileSpec;
  return {
    kind: 'periodic',
    durationS,
    rateMax: base + amplitude,
    spike: undefined,
    rateAt,
    integral: (fromS, toS) => (toS <= fromS ? 0 : cumulative(toS) - cumulative(fromS)),
    inverseCursor: () => (count) => {
      if (!(count < total)) return Number.POSITIVE_INFINITY;
      // Λ is non-decreasing and base·t ≤ Λ(t) ≤ base·t + 2·amplitude/ω, which brackets the root.
      let lo = Math.max(0, (count - (2 * amplitude) / omega) / base);
      let hi = Math.min(durationS, count / base);
      let t = (lo + hi) / 2;
      for (let step = 0; step < 100 && hi - lo > 1e-12; step++) {
        const error = cumulative(t) - count;
        if (Math.abs(error) < 1e-9) break;
        if (error > 0) hi = t;
        else lo = t;
        const slope = base + amplitude * Math.sin(omega * t);
        const newton = slope > 0 ? t - error / slope : Number.NaN;
        t = newton > lo && newton < hi ? newton : (lo + hi) / 2;
      }
      return t;
    },
    describe: () => ({
      kind: 'periodic',
      spec,
      durationS,
      rateMax: base + amplitude,
      meanRate: total / durationS,
      expectedOperations: total,
    }),
  };
}
