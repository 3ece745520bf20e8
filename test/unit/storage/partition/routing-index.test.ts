import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../../src/clock.ts';
import { generateVectors } from '../../../../src/datasets/vector-generator.ts';
import { ErrorCode } from '../../../../src/errors.ts';
import {
  sampleIndices,
  trainCentroids,
  trainCentroidsSliced,
} from '../../../../src/storage/partition/kmeans.ts';
import { RoutingIndex, type RoutingIndexJson } from '../../../../src/storage/partition/routing-index.ts';
import { TimeSlicer } from '../../../../src/time-slicer.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';

const SEED = 17;

function flat(vectors: readonly Float32Array[], dimension: number): Float32Array {
  const rows = new Float32Array(vectors.length * dimension);
  vectors.forEach((v, i) => {
    rows.set(v, i * dimension);
  });
  return rows;
}

describe('trainCentroids', () => {
  const dimension = 16;
  const rows = flat(generateVectors({ seed: SEED, dimension, count: 2_000, clusters: 8 }), dimension);
  const options = { dimension, k: 8, iterationsMax: 10, seed: SEED, spherical: false };

  it('gives the same centroids for the same seed (seeded k-means++ and Lloyd)', () => {
    expect(trainCentroids(rows, options)).toEqual(trainCentroids(rows, options));
    expect(trainCentroids(rows, { ...options, seed: SEED + 1 })).not.toEqual(trainCentroids(rows, options));
  });

  it('gives the same centroids in time slices, turning the event loop between them', async () => {
    const slicer = new TimeSlicer(systemClock, 0);
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    try {
      expect(await trainCentroidsSliced(rows, options, slicer)).toEqual(trainCentroids(rows, options));
    } finally {
      clearInterval(counting);
    }
    expect(slicer.yields).toBeGreaterThan(100);
    expect(turns).toBeGreaterThan(0);
    // On a manual clock time does not move: one piece, as a simulation replays it.
    const manual = new TimeSlicer(new ManualClock(0));
    expect(await trainCentroidsSliced(rows, options, manual)).toEqual(trainCentroids(rows, options));
    expect(manual.yields).toBe(0);
  });

  it('puts about one centroid on each of 8 well-separated clusters', () => {
    const centroids = trainCentroids(rows, options);
    const routing = new RoutingIndex(
      dimension,
      'l2',
      centroids,
      Array.from({ length: 8 }, () => ({ rows: 0, bytes: 0, segmentIds: [] })),
    );
    const sizes = new Array(8).fill(0);
    for (let r = 0; r < 2_000; r++)
      sizes[routing.assign(rows.subarray(r * dimension, (r + 1) * dimension), 0)]++;
    // Every partition gets rows; none holds more than two clusters' worth (seed ${SEED}).
    expect(Math.min(...sizes), `seed ${SEED}`).toBeGreaterThan(0);
    expect(Math.max(...sizes), `seed ${SEED}`).toBeLessThan(2 * (2_000 / 8) * 1.3);
  });

  it('normalises centroids for cosine (spherical k-means)', () => {
    const centroids = trainCentroids(rows, { ...options, spherical: true });
    for (let c = 0; c < 8; c++) {
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += (centroids[c * dimension + i] as number) ** 2;
      expect(Math.sqrt(sum)).toBeCloseTo(1, 5);
    }
  });

  it('samples distinct indices, sorted, with the seed', () => {
    const picked = sampleIndices(1_000, 100, SEED);
    expect(new Set(picked).size).toBe(100);
    expect([...picked].sort((a, b) => a - b)).toEqual(picked);
    expect(sampleIndices(1_000, 100, SEED)).toEqual(picked);
    expect(sampleIndices(50, 100, SEED)).toHaveLength(50);
  });
});

describe('RoutingIndex', () => {
  const centroids = Float32Array.from([0, 0, 1, 1, -1, -1]);
  const partitions = [
    { rows: 3, bytes: 30, segmentIds: ['a'] },
    { rows: 4, bytes: 40, segmentIds: ['b', 'c'] },
    { rows: 5, bytes: 50, segmentIds: [] },
  ];

  it('routes by the metric: nearest partitions first, segment ids to their partition', () => {
    const routing = new RoutingIndex(2, 'l2', centroids, partitions);
    expect(routing.nearest(Float32Array.from([0.9, 0.8]), 0, 2)).toEqual([1, 0]);
    expect(routing.partitionOf('c')).toBe(1);
    expect(routing.partitionOf('z')).toBeUndefined();
    const ip = new RoutingIndex(2, 'ip', centroids, partitions);
    expect(ip.assign(Float32Array.from([-3, -3]), 0)).toBe(2);
  });

  it('round-trips through its manifest JSON exactly', () => {
    const routing = new RoutingIndex(
      2,
      'cosine',
      Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
      partitions,
    );
    const back = RoutingIndex.fromJSON(JSON.parse(JSON.stringify(routing.toJSON())) as RoutingIndexJson, 2);
    expect(back.centroids).toEqual(routing.centroids);
    expect(back.partitions).toEqual(partitions);
    expect(back.metric).toBe('cosine');
  });

  it('refuses a damaged or foreign routing index with CORRUPT_DATA', async () => {
    const json = new RoutingIndex(2, 'l2', centroids, partitions).toJSON();
    await expectTierVecError(() => RoutingIndex.fromJSON(json, 3), ErrorCode.CORRUPT_DATA, 'dimension');
    await expectTierVecError(
      () => RoutingIndex.fromJSON({ ...json, centroids: 'AAAA' }, 2),
      ErrorCode.CORRUPT_DATA,
      'centroid bytes',
    );
    await expectTierVecError(
      () => RoutingIndex.fromJSON({ ...json, format: 'x' } as unknown as RoutingIndexJson, 2),
      ErrorCode.CORRUPT_DATA,
      'format',
    );
    for (const radius of [-1, Number.NaN, '1']) {
      const damaged = { ...json, partitions: json.partitions.map((p) => ({ ...p, radius })) };
      await expectTierVecError(
        () => RoutingIndex.fromJSON(damaged as unknown as RoutingIndexJson, 2),
        ErrorCode.CORRUPT_DATA,
        'radius',
      );
    }
  });

  it('bounds the distance from a query to any row of a partition by centroid distance minus radius', () => {
    // l2 (squared distances): centroid (0, 0), radius 1; a query at (3, 4) is 5 away, so no row is nearer
    // than 4, squared 16.
    const l2 = new RoutingIndex(2, 'l2', Float32Array.from([0, 0]), [
      { rows: 1, bytes: 1, segmentIds: ['a'], radius: 1 },
    ]);
    expect(l2.lowerBound(Float32Array.from([3, 4]), 5, 0)).toBeCloseTo(16, 4);
    expect(l2.lowerBound(Float32Array.from([0.5, 0]), 0.5, 0)).toBe(0);
    // cosine (1 − cos): centroid (1, 0), radius 0; a query along (0, 1) is at 1 − cos 90° = 1.
    const cosine = new RoutingIndex(2, 'cosine', Float32Array.from([1, 0]), [
      { rows: 1, bytes: 1, segmentIds: ['a'], radius: 0 },
    ]);
    expect(cosine.lowerBound(Float32Array.from([0, 2]), 2, 0)).toBeCloseTo(1, 4);
    // Unknown radius, or ip (no triangle inequality): no bound.
    const unknown = new RoutingIndex(2, 'l2', Float32Array.from([0, 0]), [
      { rows: 1, bytes: 1, segmentIds: ['a'] },
    ]);
    expect(unknown.lowerBound(Float32Array.from([3, 4]), 5, 0)).toBe(0);
    const ip = new RoutingIndex(2, 'ip', Float32Array.from([1, 0]), [
      { rows: 1, bytes: 1, segmentIds: ['a'], radius: 0 },
    ]);
    expect(ip.lowerBound(Float32Array.from([0, 1]), 1, 0)).toBe(0);
  });
});
