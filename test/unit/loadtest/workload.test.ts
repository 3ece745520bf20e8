import { describe, expect, it } from 'vitest';
import { ErrorCode, isTierVecError } from '../../../src/errors.ts';
import { LinearTrend, ResourceSampler } from '../../../src/loadtest/resource-sampler.ts';
import { createMix, createVectorGenerator } from '../../../src/loadtest/workload.ts';
import { Rng } from '../../../src/random.ts';

describe('workload mix', () => {
  it('draws operations in proportion to their weights (seeded), leaving out zero weights', () => {
    const mix = createMix({ search: 70, insert: 20, metadata: 10, delete: 0 }, new Rng(11));
    expect(mix.operations).toEqual(['search', 'insert', 'metadata']);
    expect(mix.shares).toEqual([0.7, 0.2, 0.1]);
    const counts = [0, 0, 0];
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const picked = mix.pick();
      counts[picked] = (counts[picked] as number) + 1;
    }
    // 20 000 draws: one standard deviation of a share is at most 0.35 %; ±1.5 % is over four.
    counts.forEach((count, i) => {
      expect(Math.abs(count / draws - (mix.shares[i] as number))).toBeLessThan(0.015);
    });
  });

  it('replays the same sequence for the same seed', () => {
    const a = createMix({ x: 1, y: 1 }, new Rng(5));
    const b = createMix({ x: 1, y: 1 }, new Rng(5));
    const seq = (m: typeof a) => Array.from({ length: 50 }, () => m.pick());
    expect(seq(a)).toEqual(seq(b));
  });

  it('rejects weights that are negative, not numbers, or sum to 0, naming the key', () => {
    const fieldOf = (weights: unknown) => {
      try {
        createMix(weights, new Rng(1));
      } catch (error) {
        expect(isTierVecError(error, ErrorCode.SCENARIO_INVALID)).toBe(true);
        return (error as { details?: { field?: string } }).details?.field;
      }
      return undefined;
    };
    expect(fieldOf({ search: -1 })).toBe('mix.search');
    expect(fieldOf({ search: 'many' })).toBe('mix.search');
    expect(fieldOf({ search: 0, insert: 0 })).toBe('mix');
    expect(fieldOf({})).toBe('mix');
    expect(fieldOf([1, 2])).toBe('mix');
  });
});

describe('seeded vectors', () => {
  it('regenerates vector i from the seed alone, and clusters around shared centroids', () => {
    const a = createVectorGenerator({
      dimension: 16,
      distribution: 'clustered',
      clusters: 2,
      spread: 0.01,
      seed: 9,
    });
    const b = createVectorGenerator({
      dimension: 16,
      distribution: 'clustered',
      clusters: 2,
      spread: 0.01,
      seed: 9,
    });
    expect(a.vectorAt(123)).toEqual(b.vectorAt(123));
    expect(a.vectorAt(123)).not.toEqual(a.vectorAt(124));
    // With two tight clusters, any vector is very close to one of the first few.
    const distance = (x: Float32Array, y: Float32Array) =>
      Math.hypot(...x.map((v, i) => v - (y[i] as number)));
    const anchors = [0, 1, 2, 3, 4, 5].map((i) => a.vectorAt(i));
    const nearest = Math.min(...anchors.map((anchor) => distance(a.vectorAt(500), anchor)));
    expect(nearest).toBeLessThan(0.2);
    const uniform = createVectorGenerator({ dimension: 8, seed: 1 });
    expect([...uniform.vectorAt(0)].every((v) => v >= -1 && v < 1)).toBe(true);
    expect(() => createVectorGenerator({ dimension: 0, seed: 1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.SCENARIO_INVALID }),
    );
    expect(() => createVectorGenerator({ dimension: 4, seed: -1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});

describe('resources', () => {
  it('fits the least-squares slope of points exactly (memory growth)', () => {
    const trend = new LinearTrend();
    expect(trend.slope()).toBeNull();
    for (let minute = 0; minute < 10; minute++)
      trend.add(minute, 100 + 4 * minute + (minute % 2 === 0 ? 1 : -1));
    // Alternating ±1 around a line of slope 4: Σ(x − x̄)·e = −5 and Σ(x − x̄)² = 82.5 tilt it by −5/82.5.
    expect(trend.slope()).toBeCloseTo(4 - 5 / 82.5, 9);
    expect(trend.spanX).toBe(9);
  });

  it('samples RSS, heap, CPU and gauges, ignoring gauges that are not finite numbers with one warning', () => {
    const warnings: string[] = [];
    const sampler = new ResourceSampler({
      gauges: () => ({ segments: 3, broken: Number.NaN }),
      warn: (m) => warnings.push(m),
    });
    sampler.start();
    let spin = 0;
    for (let i = 0; i < 2_000_000; i++) spin += i % 3;
    const first = sampler.sample(1, true);
    const second = sampler.sample(2, true);
    sampler.stop();
    expect(spin).toBeGreaterThan(0);
    expect(first.gauges).toEqual({ segments: 3 });
    expect(second.gauges).toEqual({ segments: 3 });
    expect(warnings).toHaveLength(1);
    expect(first.rssBytes).toBeGreaterThan(10_000_000);
    expect(first.heapUsedBytes).toBeGreaterThan(0);
    expect(first.cpuPercent).toBeGreaterThan(0);
    const summary = sampler.summary();
    expect(summary.rssBytesMax).toBeGreaterThanOrEqual(first.rssBytes);
    // Samples at 1 s and 2 s span one second.
    expect(summary.memoryGrowthSpanS).toBe(1);
    expect(summary.cpuPercentMax).toBeGreaterThanOrEqual(summary.cpuPercentAvg);
  });
});
