import hnswlib from 'hnswlib-node';
import { describe, expect, it } from 'vitest';
import type { Metric } from '../../../../src/storage/metric.ts';
import { distance, norm } from '../../../../src/storage/segment/distance.ts';
import { seededVector } from '../../../helpers/storage-fixtures.ts';

describe('distance', () => {
  it.each(['l2', 'ip', 'cosine'] as Metric[])('matches what hnswlib reports for %s', (metric) => {
    const dimension = 16;
    const index = new hnswlib.HierarchicalNSW(metric, dimension);
    index.initIndex(10, 8, 50, 1);
    const rows = Array.from({ length: 10 }, (_, i) => seededVector(i + 1, dimension));
    rows.forEach((row, label) => {
      index.addPoint(Array.from(row), label);
    });
    const query = seededVector(99, dimension);
    const result = index.searchKnn(Array.from(query), 10);
    const flat = new Float32Array(rows.length * dimension);
    rows.forEach((row, i) => {
      flat.set(row, i * dimension);
    });
    for (let i = 0; i < result.neighbors.length; i++) {
      const label = result.neighbors[i] as number;
      const ours = distance(
        metric,
        query,
        norm(query, 0, dimension),
        flat,
        label * dimension,
        norm(flat, label * dimension, dimension),
      );
      expect(ours).toBeCloseTo(result.distances[i] as number, 4);
    }
  });

  it('is 0 for a vector and itself under l2 and cosine, and lower is closer', () => {
    const v = new Float32Array([1, 2, 3]);
    expect(distance('l2', v, norm(v, 0, 3), v, 0, norm(v, 0, 3))).toBe(0);
    expect(distance('cosine', v, norm(v, 0, 3), v, 0, norm(v, 0, 3))).toBeCloseTo(0, 12);
    const far = new Float32Array([-1, -2, -3]);
    expect(distance('cosine', v, norm(v, 0, 3), far, 0, norm(far, 0, 3))).toBeCloseTo(2, 12);
    expect(distance('ip', v, 0, v, 0, 0)).toBe(1 - 14);
  });
});
