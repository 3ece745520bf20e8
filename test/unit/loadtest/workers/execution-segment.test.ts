import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { createArrivals } from '../../../../src/loadtest/arrivals.ts';
import { createProfile } from '../../../../src/loadtest/profiles.ts';
import {
  checkSegment,
  type ExecutionSegment,
  formatSegment,
  globalArrivalIndex,
  ownsArrival,
  parseSegment,
  segmentArrivals,
  segmentShareProfile,
  shareOf,
} from '../../../../src/loadtest/workers/execution-segment.ts';
import { Rng } from '../../../../src/random.ts';

const SEED = 1234;

/** Every intended start (ms) the source gives, in order. */
function drain(source: { next(): number }): number[] {
  const times: number[] = [];
  for (let t = source.next(); t !== Number.POSITIVE_INFINITY; t = source.next()) times.push(t);
  return times;
}

/** The single-process schedule of `spec`, and the schedule of each of n segments. */
function schedules(spec: unknown, process: 'uniform' | 'poisson', durationS: number, n: number) {
  const build = () => createProfile(spec, { durationS, seed: 7 });
  const arrivals = (segment?: ExecutionSegment) => {
    const source = createArrivals(build(), process, new Rng(SEED).fork('arrivals:load'));
    return drain(segment === undefined ? source : segmentArrivals(source, segment));
  };
  return {
    whole: arrivals(),
    segments: Array.from({ length: n }, (_, index) => arrivals({ index, count: n })),
  };
}

const PROFILES: Array<[string, unknown, 'uniform' | 'poisson']> = [
  ['a constant 7.3/s', { kind: 'constant', rate: 7.3 }, 'uniform'],
  ['a ramp from 1 to 37/s', { kind: 'ramp', fromRate: 1, toRate: 37 }, 'uniform'],
  [
    'stages',
    {
      kind: 'stages',
      stages: [
        { durationS: 3, rate: 11 },
        { durationS: 4, rate: 0.5 },
        { durationS: 3, rate: 29 },
      ],
    },
    'uniform',
  ],
  ['a seeded Poisson process at 13/s', { kind: 'constant', rate: 13 }, 'poisson'],
  ['a thinned Poisson ramp from 3 to 23/s', { kind: 'ramp', fromRate: 3, toRate: 23 }, 'poisson'],
];

describe('execution segments', () => {
  for (const [label, spec, process] of PROFILES) {
    for (const n of [1, 2, 3, 5, 7, 13]) {
      it(`partition ${label} into ${n} segments: every arrival once, none added, sizes within one`, () => {
        const { whole, segments } = schedules(spec, process, 10, n);
        const union = segments.flat().sort((a, b) => a - b);
        expect(union).toEqual(whole);
        segments.forEach((times, index) => {
          expect(times.length).toBe(shareOf(whole.length, { index, count: n }));
          // Segment i holds exactly the arrivals k ≡ i (mod n) of the whole schedule, in order.
          expect(times).toEqual(whole.filter((_, k) => k % n === index));
        });
        const sizes = segments.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      });
    }
  }

  it('is deterministic: the same seed and segment give the same arrivals', () => {
    const a = schedules({ kind: 'constant', rate: 13 }, 'poisson', 5, 3).segments;
    const b = schedules({ kind: 'constant', rate: 13 }, 'poisson', 5, 3).segments;
    expect(a).toEqual(b);
  });

  it('numbers arrivals as the whole run does, so segments never reuse an arrival number', () => {
    const seen = new Set<number>();
    for (let index = 0; index < 7; index++) {
      for (let local = 0; local < 50; local++) {
        const k = globalArrivalIndex({ index, count: 7 }, local);
        expect(ownsArrival({ index, count: 7 }, k)).toBe(true);
        seen.add(k);
      }
    }
    expect(seen.size).toBe(350);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 350 }, (_, k) => k));
  });

  it('gives each segment 1/n of the profile for its report, so the shares add up to the whole', () => {
    const profile = createProfile({ kind: 'ramp', fromRate: 1, toRate: 37 }, { durationS: 10, seed: 7 });
    let total = 0;
    for (let index = 0; index < 3; index++) {
      total += segmentShareProfile(profile, { index, count: 3 }).integral(1, 10);
    }
    expect(total).toBeCloseTo(profile.integral(1, 10), 9);
    expect(segmentShareProfile(profile, { index: 0, count: 1 })).toBe(profile);
  });

  it('deals closed-model clients out like arrivals: ⌈(clients − i)/n⌉, some segments none', () => {
    expect([0, 1, 2, 3].map((index) => shareOf(10, { index, count: 4 }))).toEqual([3, 3, 2, 2]);
    expect([0, 1, 2, 3].map((index) => shareOf(2, { index, count: 4 }))).toEqual([1, 1, 0, 0]);
  });

  it('parses i/n and prints it back', () => {
    expect(parseSegment('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseSegment(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    expect(formatSegment(parseSegment('12/13'))).toBe('12/13');
    expect(checkSegment({ index: 0, count: 1 })).toEqual({ index: 0, count: 1 });
  });

  for (const bad of ['4/4', '-1/4', '1/0', '0/1025', 'a/b', '1', '1/2/3', '', 3]) {
    it(`refuses segment ${JSON.stringify(bad)} with INVALID_ARGUMENT naming the flag`, () => {
      expect(() => parseSegment(bad)).toThrow(
        expect.objectContaining({
          code: ErrorCode.INVALID_ARGUMENT,
          message: expect.stringContaining('--segment'),
        }),
      );
    });
  }

  for (const bad of [{ index: 1.5, count: 2 }, { index: 2, count: 2 }, { count: 2 }, null]) {
    it(`refuses the segment object ${JSON.stringify(bad)} with INVALID_ARGUMENT`, () => {
      expect(() => checkSegment(bad, 'options.segment')).toThrow(
        expect.objectContaining({
          code: ErrorCode.INVALID_ARGUMENT,
          message: expect.stringContaining('options.segment'),
        }),
      );
    });
  }
});
