import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { createArrivals } from '../../../src/loadtest/arrivals.ts';
import { type Profile, type ProfileSpec, scaleProfile } from '../../../src/loadtest/profile-spec.ts';
import { createProfile } from '../../../src/loadtest/profiles.ts';
import { Rng } from '../../../src/random.ts';

const build = (spec: unknown, durationS: number, seed = 7) => createProfile(spec, { durationS, seed });

/** Arrival times (s) of a whole run of `profile`. */
function arrivalTimes(profile: Profile, process: 'uniform' | 'poisson', seed = 1): number[] {
  const source = createArrivals(profile, process, new Rng(seed));
  const times: number[] = [];
  for (let t = source.next(); t !== Number.POSITIVE_INFINITY; t = source.next()) times.push(t / 1000);
  return times;
}

const countIn = (times: number[], fromS: number, toS: number) =>
  times.filter((t) => t >= fromS && t < toS).length;

function expectThrowsField(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(isTierVecError(error, ErrorCode.SCENARIO_INVALID)).toBe(true);
    expect((error as { details?: { field?: string } }).details?.field).toBe(field);
    expect((error as Error).message).toContain(field);
    return;
  }
  throw new Error(`expected a SCENARIO_INVALID error naming ${field}`);
}

interface ClosedForm {
  name: string;
  spec: ProfileSpec;
  durationS: number;
  /** Λ(t): expected arrivals over [0, t], written out independently of the implementation. */
  cumulative: (tS: number) => number;
  rate: (tS: number) => number;
}

const w = (2 * Math.PI) / 4;
const CLOSED_FORMS: ClosedForm[] = [
  {
    name: 'constant',
    spec: { kind: 'constant', rate: 250 },
    durationS: 10,
    cumulative: (t) => 250 * t,
    rate: () => 250,
  },
  {
    name: 'ramp over part of the run, then held',
    spec: { kind: 'ramp', fromRate: 10, toRate: 110, durationFraction: 0.5 },
    durationS: 10,
    cumulative: (t) => (t <= 5 ? 10 * t + (100 * t * t) / 10 : 10 * 5 + 250 + 110 * (t - 5)),
    rate: (t) => (t < 5 ? 10 + 20 * t : 110),
  },
  {
    name: 'stages with a step and a ramp down',
    spec: {
      kind: 'stages',
      stages: [
        { durationS: 2, rate: 100 },
        { durationS: 0, rate: 300 },
        { durationS: 3, rate: 300 },
        { durationS: 1, rate: 0 },
      ],
    },
    durationS: 8,
    cumulative: (t) => {
      if (t <= 2) return 25 * t * t;
      if (t <= 5) return 100 + 300 * (t - 2);
      if (t <= 6) return 1000 + 300 * (t - 5) - 150 * (t - 5) ** 2;
      return 1150;
    },
    rate: (t) => (t < 2 ? 50 * t : t < 5 ? 300 : t < 6 ? 300 - 300 * (t - 5) : 0),
  },
  {
    name: 'spike from 20% to 53% of the run, with a recovery rate',
    spec: {
      kind: 'spike',
      rate: 100,
      spikeRate: 500,
      recoveryRate: 150,
      startFraction: 0.2,
      endFraction: 0.53,
    },
    durationS: 10,
    cumulative: (t) => (t <= 2 ? 100 * t : t <= 5.3 ? 200 + 500 * (t - 2) : 1850 + 150 * (t - 5.3)),
    rate: (t) => (t < 2 ? 100 : t < 5.3 ? 500 : 150),
  },
  {
    name: 'periodic sine',
    spec: { kind: 'periodic', rate: 100, amplitude: 50, periodS: 4 },
    durationS: 10,
    cumulative: (t) => 100 * t + (50 / w) * (1 - Math.cos(w * t)),
    rate: (t) => 100 + 50 * Math.sin(w * t),
  },
  {
    name: 'periodic burst at the end of every period',
    spec: { kind: 'periodic_burst', rate: 10, burstRate: 100, burstLengthS: 1, periodS: 5 },
    durationS: 12,
    cumulative: (t) => {
      const whole = Math.floor(t / 5);
      const within = t - whole * 5;
      return whole * 140 + 10 * Math.min(within, 4) + 100 * Math.max(0, within - 4);
    },
    rate: (t) => (t % 5 >= 4 ? 100 : 10),
  },
];

describe('rate profiles', () => {
  for (const form of CLOSED_FORMS) {
    it(`${form.name}: rateAt and the integral match the closed form`, () => {
      const profile = build(form.spec, form.durationS);
      for (let t = 0.05; t < form.durationS; t += 0.37) {
        expect(profile.rateAt(t)).toBeCloseTo(form.rate(t), 6);
        expect(profile.integral(0, t)).toBeCloseTo(form.cumulative(t), 6);
      }
      expect(profile.integral(1.3, 7.1)).toBeCloseTo(form.cumulative(7.1) - form.cumulative(1.3), 6);
      expect(profile.rateAt(form.durationS)).toBe(0);
      expect(profile.describe().expectedOperations).toBeCloseTo(form.cumulative(form.durationS), 6);
    });

    it(`${form.name}: uniform arrivals over any interval number the integral within one`, () => {
      const profile = build(form.spec, form.durationS);
      const times = arrivalTimes(profile, 'uniform');
      expect(Math.abs(times.length - form.cumulative(form.durationS))).toBeLessThanOrEqual(1);
      for (const [a, b] of [
        [0, 1],
        [0.5, 2.5],
        [2, 5.3],
        [3.3, 7.9],
        [6, form.durationS],
      ] as const) {
        const expected = form.cumulative(Math.min(b, form.durationS)) - form.cumulative(a);
        expect(Math.abs(countIn(times, a, b) - expected)).toBeLessThanOrEqual(1);
      }
      // Arrival times never go backwards.
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
    });
  }

  it('bursty: every interval runs at the base rate or the burst rate, and the long-run mean is the rate', () => {
    const profile = build({ kind: 'bursty', rate: 100, burstFactor: 5, burstProbability: 0.2 }, 1_000, 42);
    const base = 100 / (1 + 0.2 * 4);
    let bursts = 0;
    for (let slot = 0; slot < 1_000; slot++) {
      const rate = profile.rateAt(slot + 0.5);
      expect([base, base * 5].some((r) => Math.abs(r - rate) < 1e-9)).toBe(true);
      expect(profile.rateAt(slot + 0.1)).toBe(rate);
      if (rate > base) bursts++;
    }
    // 1000 Bernoulli(0.2) draws: 200 ± 13 (one sd); ±50 is a wide margin around a seeded outcome.
    expect(bursts).toBeGreaterThan(150);
    expect(bursts).toBeLessThan(250);
    expect(profile.integral(0, 1_000) / 1_000).toBeCloseTo(
      (base * (1_000 - bursts)) / 1_000 + (base * 5 * bursts) / 1_000,
      6,
    );
    expect(profile.integral(0, 1_000) / 1_000).toBeGreaterThan(90);
    expect(profile.integral(0, 1_000) / 1_000).toBeLessThan(110);
  });

  it('random: one seeded rate per change interval, within bounds, the same for the same seed', () => {
    const spec = { kind: 'random', minRate: 50, maxRate: 150, changeEveryS: 2 } as const;
    const a = build(spec, 20, 9);
    const b = build(spec, 20, 9);
    const c = build(spec, 20, 10);
    let expected = 0;
    for (let slot = 0; slot < 10; slot++) {
      const rate = a.rateAt(slot * 2 + 1);
      expect(rate).toBeGreaterThanOrEqual(50);
      expect(rate).toBeLessThan(150);
      expect(a.rateAt(slot * 2 + 0.01)).toBe(rate);
      expect(b.rateAt(slot * 2 + 1)).toBe(rate);
      expected += 2 * rate;
    }
    expect(a.integral(0, 20)).toBeCloseTo(expected, 6);
    expect([0, 1, 2, 3].some((slot) => c.rateAt(slot * 2 + 1) !== a.rateAt(slot * 2 + 1))).toBe(true);
  });

  it('time fields given as fractions scale with the duration: one spec serves short and full runs', () => {
    const spec = {
      kind: 'spike',
      rate: 100,
      spikeRate: 500,
      startFraction: 0.2,
      lengthFraction: 0.33,
    } as const;
    expect(build(spec, 10).spike).toEqual({ startS: 2, endS: expect.closeTo(5.3, 9) });
    expect(build(spec, 900).spike).toEqual({ startS: 180, endS: expect.closeTo(477, 9) });
    expect(build({ ...spec, lengthFraction: undefined, lengthS: 3 }, 900).spike).toEqual({
      startS: 180,
      endS: 183,
    });
  });

  it('a spike with ramps climbs and descends linearly inside its window', () => {
    const profile = build({ kind: 'spike', rate: 100, spikeRate: 500, startS: 2, endS: 6, rampS: 1 }, 10);
    expect(profile.rateAt(2.5)).toBeCloseTo(300, 9);
    expect(profile.rateAt(4)).toBe(500);
    expect(profile.rateAt(5.5)).toBeCloseTo(300, 9);
    expect(profile.integral(0, 10)).toBeCloseTo(100 * 10 + 400 * 3, 9);
  });

  it('scaleProfile multiplies every rate and nothing else', () => {
    const scaled = scaleProfile(
      { kind: 'spike', rate: 100, spikeRate: 500, startFraction: 0.2, endFraction: 0.5 },
      2,
    );
    expect(scaled).toEqual({
      kind: 'spike',
      rate: 200,
      spikeRate: 1000,
      startFraction: 0.2,
      endFraction: 0.5,
    });
    const stages = scaleProfile({ kind: 'stages', stages: [{ durationS: 1, rate: 10 }] }, 3);
    expect(stages).toEqual({ kind: 'stages', stages: [{ durationS: 1, rate: 30 }] });
    expect(() => scaleProfile({ kind: 'constant', rate: 1 }, 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });

  it('rejects invalid specs with SCENARIO_INVALID naming the field', () => {
    expectThrowsField(() => build({ kind: 'sawtooth', rate: 1 }, 10), 'profile.kind');
    expectThrowsField(() => build({ kind: 'constant', rate: -5 }, 10), 'profile.rate');
    expectThrowsField(() => build({ kind: 'constant', rate: 0 }, 10), 'profile.rate');
    expectThrowsField(() => build({ kind: 'constant', rate: 10, burst: 3 }, 10), 'profile.burst');
    expectThrowsField(
      () => build({ kind: 'spike', rate: 1, spikeRate: 5, startFraction: 0.6, endFraction: 0.5 }, 10),
      'profile.endFraction',
    );
    expectThrowsField(
      () => build({ kind: 'spike', rate: 1, spikeRate: 5, startFraction: 0.8, lengthFraction: 0.3 }, 10),
      'profile.lengthFraction',
    );
    expectThrowsField(
      () => build({ kind: 'spike', rate: 1, spikeRate: 5, startS: 2, endS: 12 }, 10),
      'profile.endS',
    );
    expectThrowsField(() => build({ kind: 'spike', rate: 1, spikeRate: 5, startS: 2 }, 10), 'profile.endS');
    expectThrowsField(
      () => build({ kind: 'spike', rate: 1, spikeRate: 5, startS: 1, startFraction: 0.1, endS: 3 }, 10),
      'profile.startFraction',
    );
    expectThrowsField(
      () => build({ kind: 'periodic', rate: 10, amplitude: 20, periodS: 2 }, 10),
      'profile.amplitude',
    );
    expectThrowsField(
      () => build({ kind: 'periodic_burst', rate: 1, burstRate: 5, burstLengthS: 3, periodS: 2 }, 10),
      'profile.burstLengthS',
    );
    expectThrowsField(
      () =>
        build(
          {
            kind: 'stages',
            stages: [
              { durationS: 8, rate: 1 },
              { durationS: 3, rate: 1 },
            ],
          },
          10,
        ),
      'profile.stages[1].durationS',
    );
    expectThrowsField(() => build({ kind: 'stages', stages: [] }, 10), 'profile.stages');
    expectThrowsField(() => build({ kind: 'random', minRate: 10, maxRate: 5 }, 10), 'profile.maxRate');
    expectThrowsField(
      () => build({ kind: 'bursty', rate: 10, burstFactor: 0.5, burstProbability: 0.1 }, 10),
      'profile.burstFactor',
    );
    expect(() => build({ kind: 'constant', rate: 1 }, 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});

describe('Poisson arrivals', () => {
  function countStats(spec: ProfileSpec, durationS: number, runs: number) {
    const profile = build(spec, durationS);
    const counts = Array.from(
      { length: runs },
      (_, seed) => arrivalTimes(profile, 'poisson', seed + 1).length,
    );
    const mean = counts.reduce((a, b) => a + b, 0) / runs;
    const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs - 1);
    return { mean, variance, expected: profile.integral(0, durationS) };
  }

  // 400 seeded runs of a Poisson(100) count: the sample mean has a standard error of 0.5 and the sample
  // variance one of about 7, so ±2 and ±25 % are wide margins; uniform arrivals would have variance 0.
  it('a constant rate gives counts whose mean and variance both equal λ·T', () => {
    const { mean, variance, expected } = countStats({ kind: 'constant', rate: 50 }, 2, 400);
    expect(expected).toBe(100);
    expect(Math.abs(mean - expected)).toBeLessThan(2);
    expect(variance / expected).toBeGreaterThan(0.75);
    expect(variance / expected).toBeLessThan(1.25);
  });

  it('a ramp (by thinning) gives counts whose mean and variance both equal the integral', () => {
    const { mean, variance, expected } = countStats({ kind: 'ramp', fromRate: 0, toRate: 200 }, 1, 400);
    expect(expected).toBeCloseTo(100, 9);
    expect(Math.abs(mean - expected)).toBeLessThan(2);
    expect(variance / expected).toBeGreaterThan(0.75);
    expect(variance / expected).toBeLessThan(1.25);
  });

  it('thinning follows the shape of the rate: a spike window holds its share of arrivals', () => {
    const profile = build({ kind: 'spike', rate: 100, spikeRate: 900, startS: 4, endS: 6 }, 10);
    const times = arrivalTimes(profile, 'poisson', 3);
    // Expected 1800 in the spike and 800 outside; ±5 % is over 4 standard deviations.
    expect(countIn(times, 4, 6) / 1800).toBeGreaterThan(0.95);
    expect(countIn(times, 4, 6) / 1800).toBeLessThan(1.05);
    expect(countIn(times, 0, 4) / 400).toBeGreaterThan(0.85);
    expect(countIn(times, 0, 4) / 400).toBeLessThan(1.15);
  });

  it('the same seed replays the same arrivals', () => {
    const profile = build({ kind: 'constant', rate: 100 }, 1);
    expect(arrivalTimes(profile, 'poisson', 5)).toEqual(arrivalTimes(profile, 'poisson', 5));
    expect(arrivalTimes(profile, 'poisson', 5)).not.toEqual(arrivalTimes(profile, 'poisson', 6));
  });
});
