/**
 * Arrival-rate profiles: the target rate λ(t), in operations per second, that an open-model load
 * group follows over a run. A profile is built once from its spec and the run's duration (time fields
 * may be given in seconds or as fractions of the duration) and is then a pure function of time:
 * `rateAt(tS)`, the expected number of arrivals over an interval (`integral`), and its inverse, which
 * the uniform arrival process uses to place arrival i exactly where the cumulative rate reaches i.
 *
 * This module validates a spec (the vocabulary is `profile-spec.ts`) and builds its curve: every
 * profile except `periodic` is a piecewise-linear curve (`piecewise-linear-profile.ts`), so rate,
 * integral and inverse have closed forms. Randomness (`bursty`, `random`) is drawn at construction
 * from a seeded Rng, so the same seed gives the same curve. This module never looks at a clock.
 */

import { ErrorCode, TierVecError } from '../errors.ts';
import { Rng } from '../random.ts';
import {
  enumField,
  fieldError,
  numberField,
  objectField,
  optionalNumberField,
  rejectUnknownKeys,
  timeField,
} from './field-check.ts';
import { PiecewiseLinearProfile, PointsBuilder } from './piecewise-linear-profile.ts';
import { PROFILE_KINDS, type Profile, type ProfileKind, type ProfileSpec } from './profile-spec.ts';

/** The highest rate any profile may ask for, in operations per second. */
export const PROFILE_RATE_MAX = 10_000_000;
/** The most pieces (stages, periods, slots) a profile may have over one run. */
export const PROFILE_PIECES_MAX = 1_000_000;

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
        throw fieldError(`${path}.rate`, `a number above 0 and at most ${PROFILE_RATE_MAX}`, 0);
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
    throw fieldError(`${path}.kind`, 'a profile whose rate is above 0 somewhere', 0);
  return profile;
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
    throw fieldError(`${path}.stages`, `a list of 1 to ${PROFILE_PIECES_MAX} stages`, stages);
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
      throw fieldError(`${field}.durationS`, `stages that end within the run's ${durationS} s`, tS);
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
    throw fieldError(
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
  if (!(endS > startS)) throw fieldError(`${path}.${endKey}`, `a spike that ends after it starts`, endS);
  if (endS > durationS * (1 + 1e-9))
    throw fieldError(`${path}.${endKey}`, `a spike that ends within the run's ${durationS} s`, endS);
  const rampS = timeField(s, 'ramp', path, durationS, 0);
  if (2 * rampS > endS - startS) {
    throw fieldError(
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
    throw fieldError(`${path}.${key}`, `a length above ${durationS / PROFILE_PIECES_MAX} s`, value);
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
    throw fieldError(`${path}.${key}`, 'at most the period', burstS);
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

function createPeriodic(
  s: Record<string, unknown>,
  path: string,
  durationS: number,
  base: number,
  amplitude: number,
): Profile {
  if (amplitude > base)
    throw fieldError(`${path}.amplitude`, `at most \`${path}.rate\` (${base})`, amplitude);
  if (!(base > 0)) throw fieldError(`${path}.rate`, 'above 0', base);
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
