/**
 * hnswlib computes in float32; exact search in float64. Vectors whose float32 arithmetic overflows
 * or underflows made the two disagree (or made HNSW rank everything alike), so validation refuses
 * them; for every vector it accepts, exact and HNSW search must agree.
 */

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.ts';
import type { Metric } from '../../../src/storage/metric.ts';
import { openStore } from '../../../src/storage/store.ts';
import { expectTierVecError, useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-vector-range-');

async function collectionOf(metric: Metric) {
  const store = await openStore({ dir: await temp.make() });
  const docs = await store.createCollection({ name: 'docs', dimension: 4, metric });
  return { store, docs };
}

/**
 * Exact and HNSW search over a whole collection (before and after a flush) return every document
 * with the same distance, up to float32 rounding (ties may be ordered differently).
 */
async function expectExactAndHnswAgree(
  docs: Awaited<ReturnType<typeof collectionOf>>['docs'],
  query: number[],
) {
  for (const flushed of [false, true]) {
    if (flushed) await docs.flush();
    const exact = await docs.search(query, { k: 10, exact: true });
    const hnsw = new Map((await docs.search(query, { k: 10, ef: 64 })).map((hit) => [hit.id, hit.distance]));
    expect([...hnsw.keys()].sort()).toEqual(exact.map((hit) => hit.id).sort());
    for (const { id, distance } of exact) {
      const approximate = hnsw.get(id) as number;
      expect(Number.isFinite(approximate), `HNSW distance of ${id}: ${approximate}`).toBe(true);
      expect(
        Math.abs(approximate - distance),
        `${id}: HNSW ${approximate}, exact ${distance}`,
      ).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(distance)));
    }
  }
}

describe('vectors at the edge of float32', () => {
  it('refuses a cosine document whose float32 norm underflows ([1e-38, 1e-38, 0, 0]) instead of answering HNSW 1 vs exact 0.293', async () => {
    const { store, docs } = await collectionOf('cosine');
    await expectTierVecError(
      () => docs.insert([{ id: 'tiny', vector: [1e-38, 1e-38, 0, 0] }]),
      ErrorCode.INVALID_VECTOR,
      'float32',
    );
    expect(await docs.get('tiny')).toBeUndefined();
    await store.close();
  });

  it('refuses a cosine query whose float32 norm underflows ([1e-30, 0, 0, 0]) instead of ranking everything at 1', async () => {
    const { store, docs } = await collectionOf('cosine');
    await docs.insert([
      { id: 'a', vector: [1, 0, 0, 0] },
      { id: 'b', vector: [0, 1, 0, 0] },
    ]);
    await expectTierVecError(
      () => docs.search([1e-30, 0, 0, 0], { k: 2 }),
      ErrorCode.INVALID_VECTOR,
      'float32',
    );
    await expectTierVecError(
      () => docs.search([1e-30, 0, 0, 0], { k: 2, exact: true }),
      ErrorCode.INVALID_VECTOR,
      'float32',
    );
    await store.close();
  });

  it('refuses l2 vectors whose float32 distances overflow (components near 3e38) instead of HNSW Infinity vs exact 3.6e77', async () => {
    const { store, docs } = await collectionOf('l2');
    await expectTierVecError(
      () => docs.insert([{ id: 'huge', vector: [3e38, -3e38, 0, 0] }]),
      ErrorCode.INVALID_VECTOR,
      'float32',
    );
    await docs.insert([{ id: 'small', vector: [1, 2, 3, 4] }]);
    await expectTierVecError(
      () => docs.upsert([{ id: 'small', vector: [1e19, 0, 0, 0] }]),
      ErrorCode.INVALID_VECTOR,
      'norm',
    );
    await expectTierVecError(
      () => docs.search([-3e38, 3e38, 0, 0], { k: 1 }),
      ErrorCode.INVALID_VECTOR,
      'float32',
    );
    await store.close();
  });

  it.each(['cosine', 'l2', 'ip'] as const)(
    'makes exact and HNSW search agree for the largest and smallest %s vectors validation accepts',
    async (metric) => {
      const { store, docs } = await collectionOf(metric);
      // Just inside the limits: a norm of 9e18 (norm² 8.1e37 ≤ 2^126, a quarter of the float32
      // range), and for cosine a norm of 1e-17 (norm² 1e-34 ≥ 2^-114).
      const scaled = (scale: number, direction: number[]) => direction.map((x) => x * scale);
      await docs.insert([
        { id: 'big-a', vector: scaled(9e18, [1, 0, 0, 0]) },
        { id: 'big-b', vector: scaled(9e18, [0, -0.6, 0.8, 0]) },
        { id: 'big-c', vector: scaled(-9e18, [0.5, -0.5, 0.5, 0.5]) },
        { id: 'unit', vector: [0.6, 0.8, 0, 0] },
        { id: 'other', vector: [-0.3, 0.4, 0.5, -0.7] },
        ...(metric === 'cosine' ? [{ id: 'small', vector: scaled(1e-17, [0, 0, 0.6, 0.8]) }] : []),
      ]);
      await expectExactAndHnswAgree(docs, scaled(9e18, [0.3, -0.2, 0.9, 0.1]));
      await expectExactAndHnswAgree(docs, [1, 0.5, 0, 0]);
      if (metric === 'cosine') await expectExactAndHnswAgree(docs, scaled(1e-17, [0.2, 0.1, 0.7, -0.3]));
      await store.close();
    },
  );
});
