import { describe, expect, it } from 'vitest';
import { generateVectors, VectorGenerator } from '../../../src/datasets/vector-generator.ts';
import { ErrorCode } from '../../../src/errors.ts';
import { expectTierVecError } from '../../helpers/storage-fixtures.ts';

function distanceSquared(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return sum;
}

describe('VectorGenerator', () => {
  it('gives the same vectors for the same seed and different ones for another seed', () => {
    const a = generateVectors({ seed: 5, dimension: 16, count: 20 });
    const b = generateVectors({ seed: 5, dimension: 16, count: 20 });
    const c = generateVectors({ seed: 6, dimension: 16, count: 20 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws uniform components in [-1, 1)', () => {
    const vectors = generateVectors({ seed: 1, dimension: 8, count: 500, distribution: 'uniform' });
    const all = vectors.flatMap((v) => Array.from(v));
    expect(Math.min(...all)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...all)).toBeLessThan(1);
    const mean = all.reduce((s, x) => s + x, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
  });

  it('draws clustered points much closer to each other within a cluster than across', () => {
    const vectors = generateVectors({ seed: 2, dimension: 32, count: 400, clusters: 4, clusterStdDev: 0.05 });
    const distances = vectors.slice(1).map((v) => distanceSquared(vectors[0] as Float32Array, v));
    const near = distances.filter((d) => d < 1);
    const far = distances.filter((d) => d >= 1);
    // About a quarter share the first point's cluster; their distances are an order of magnitude smaller.
    expect(near.length).toBeGreaterThan(60);
    expect(near.length).toBeLessThan(140);
    expect(Math.max(...near) * 10).toBeLessThan(Math.min(...far));
  });

  it('normalizes to unit length when asked', () => {
    for (const v of generateVectors({ seed: 3, dimension: 10, count: 20, normalize: true })) {
      expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
    }
  });

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    await expectTierVecError(
      () => new VectorGenerator({ seed: -1, dimension: 4 }),
      ErrorCode.INVALID_ARGUMENT,
      '`seed`',
    );
    await expectTierVecError(
      () => new VectorGenerator({ seed: 1, dimension: 0 }),
      ErrorCode.INVALID_ARGUMENT,
      '`dimension`',
    );
    await expectTierVecError(
      () => new VectorGenerator({ seed: 1, dimension: 4, distribution: 'zipf' as never }),
      ErrorCode.INVALID_ARGUMENT,
      '`distribution`',
    );
    await expectTierVecError(
      () => new VectorGenerator({ seed: 1, dimension: 4, clusters: 0 }),
      ErrorCode.INVALID_ARGUMENT,
      '`clusters`',
    );
  });

  it('refuses unknown options and a non-boolean normalize with INVALID_ARGUMENT naming them', async () => {
    await expectTierVecError(
      () => new VectorGenerator({ seed: 1, dimension: 4, cluster: 3 } as never),
      ErrorCode.INVALID_ARGUMENT,
      '`options.cluster`',
    );
    await expectTierVecError(
      () => new VectorGenerator({ seed: 1, dimension: 4, normalize: 'yes' as never }),
      ErrorCode.INVALID_ARGUMENT,
      '`normalize`',
    );
  });
});
