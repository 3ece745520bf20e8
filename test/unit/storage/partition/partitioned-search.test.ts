/**
 * The partitioned layout end to end: compaction trains centroids and rewrites sealed rows into
 * per-partition segments, searches probe `nprobe` partitions (recall against brute force on seeded
 * clustered data), exact answers stay identical through re-partitioning and across tiers, a cold
 * search fetches only the probed partitions, and a store opened from the object store on an empty
 * directory has the routing index without downloading any partition.
 */

import { describe, expect, it } from 'vitest';
import { generateVectors } from '../../../../src/datasets/vector-generator.ts';
import { ErrorCode } from '../../../../src/errors.ts';
import type { Collection } from '../../../../src/storage/collection.ts';
import { PARTITION_DEFAULTS } from '../../../../src/storage/partition/partition-defaults.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';
import { useTieredStores } from '../tiering/tiering-fixtures.ts';
import { remoteRouting } from './remote-routing.ts';

const SEED = 1_212;
const stores = useTieredStores('tiervec-partition-');
const layout = new RemoteLayout('default', 'docs');

function docsOf(vectors: readonly Float32Array[], from = 0) {
  return vectors.map((vector, i) => ({
    id: `d${from + i}`,
    vector,
    metadata: { i: from + i, odd: (from + i) % 2 },
  }));
}

async function fill(
  docs: Collection,
  vectors: readonly Float32Array[],
  batch = 500,
  from = 0,
): Promise<void> {
  for (let start = 0; start < vectors.length; start += batch) {
    await docs.insert(docsOf(vectors.slice(start, start + batch), from + start));
  }
  await docs.flush();
}

function recallAt10(got: readonly { id: string }[][], truth: readonly { id: string }[][]): number {
  let found = 0;
  got.forEach((hits, q) => {
    const want = new Set((truth[q] ?? []).map((hit) => hit.id));
    found += hits.filter((hit) => want.has(hit.id)).length;
  });
  return found / (truth.length * 10);
}

describe('Partitioned search', () => {
  it(`reaches recall@10 ≥ 0.95 at the default nprobe (${PARTITION_DEFAULTS.nprobe}) on seeded clustered data`, async () => {
    const dimension = 32;
    const { store } = await stores.open({ create: 'skip', segmentVectorsMax: 1_000 });
    const docs = await store.createCollection({ name: 'docs', dimension, metric: 'l2' });
    const generator = { seed: SEED, dimension, clusters: 100 };
    const all = generateVectors({ ...generator, count: 8_100 });
    await fill(docs, all.slice(0, 8_000));
    const result = await docs.compact({ partitionRowsMin: 4_000, targetPartitionRows: 200 });
    expect(result.partitioning).toEqual({
      trained: true,
      partitions: 40,
      segmentsPartitioned: 8,
      rowsAssigned: 8_000,
    });
    // k-means left partitions of more than twice the target: the same compaction split them.
    expect(result.rebalancing).toMatchObject({ splits: 5, merges: 0, partitions: 45 });
    const stats = docs.stats();
    expect(stats.partitions.count).toBe(45);
    expect(stats.partitions.unpartitionedSegments).toBe(0);
    expect(stats.partitions.partitions.reduce((n, p) => n + p.rows, 0)).toBe(8_000);

    const near = all.slice(8_000);
    const away = generateVectors({ seed: SEED + 1, dimension, distribution: 'uniform', count: 100 });
    const measure = async (queries: Float32Array[]) => {
      const truth = await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));
      const got = await Promise.all(queries.map((q) => docs.search(q, { k: 10 })));
      return recallAt10(got, truth);
    };
    const recallNear = await measure(near);
    const probed = docs.stats().searches.last;
    const recallAway = await measure(away);
    console.log(
      `partitioned recall@10 (seed ${SEED}, 8000 × 32, 45 partitions (40 trained, 5 split), nprobe ${PARTITION_DEFAULTS.nprobe}): clustered queries ${recallNear.toFixed(3)}, queries away from the clusters ${recallAway.toFixed(3)}`,
    );
    expect(recallNear, `seed ${SEED}`).toBeGreaterThanOrEqual(0.95);
    expect(recallAway, `seed ${SEED}`).toBeGreaterThan(0.5);
    // Partitions whose bound rules them out are skipped; the others among the nprobe nearest are read.
    expect(probed.partitionsProbed + probed.partitionsSkipped).toBe(PARTITION_DEFAULTS.nprobe);
    expect(probed.segmentsRead).toBeLessThan(stats.segments.length - 1);
    // Probing every partition finds what an unpartitioned search finds.
    const everything = await Promise.all(away.slice(0, 20).map((q) => docs.search(q, { k: 10, nprobe: 45 })));
    const truth = await Promise.all(away.slice(0, 20).map((q) => docs.search(q, { k: 10, exact: true })));
    expect(recallAt10(everything, truth)).toBeGreaterThanOrEqual(0.95);
  });

  it('refuses a bad nprobe, partitionRowsMin or targetPartitionRows with INVALID_ARGUMENT', async () => {
    const { docs } = await stores.open();
    await expectTierVecError(
      () => docs.compact({ partitionRowsMin: 1 }),
      ErrorCode.INVALID_ARGUMENT,
      'partitionRowsMin',
    );
    await expectTierVecError(
      () => docs.compact({ targetPartitionRows: 0.5 }),
      ErrorCode.INVALID_ARGUMENT,
      'targetPartitionRows',
    );
    const query = new Float32Array(8);
    for (const nprobe of [0, 1.5, -1, 'x', PARTITION_DEFAULTS.nprobeMax + 1]) {
      await expectTierVecError(
        () => docs.search(query, { nprobe: nprobe as number }),
        ErrorCode.INVALID_ARGUMENT,
        'nprobe',
      );
    }
  });

  it('gives identical exact answers before and after re-partitioning, from hot, warm and cold, and filtered', async () => {
    const dimension = 8;
    const { store, docs, mock, clock } = await stores.open({ segmentVectorsMax: 200 });
    const vectors = generateVectors({ seed: SEED + 2, dimension, clusters: 12, count: 1_400 });
    await fill(docs, vectors.slice(0, 1_200), 200);
    const queries = generateVectors({ seed: SEED + 3, dimension, clusters: 12, count: 10 });
    const exact = () => Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));
    const filtered = () =>
      Promise.all(queries.map((q) => docs.search(q, { k: 5, exact: true, filter: { odd: 1 } })));
    const before = await exact();
    const beforeFiltered = await filtered();
    const first = await docs.compact({ partitionRowsMin: 1_000, targetPartitionRows: 100 });
    expect(first.rebalancing).toBeUndefined();
    expect(docs.stats().partitions.count).toBe(12);
    expect(await exact()).toEqual(before);
    expect(await filtered()).toEqual(beforeFiltered);
    // A filter matching rows of far partitions only: the search reads on until it has k hits.
    const rare = await docs.search(queries[0] as Float32Array, {
      k: 5,
      nprobe: 1,
      filter: { i: { $in: [7, 500, 901] } },
    });
    expect(rare.map((hit) => hit.id).sort()).toEqual(['d500', 'd7', 'd901']);
    expect(docs.stats().searches.last.partitionsProbed).toBe(12);
    // ANN with a filter keeps returning only matching rows.
    for (const q of queries) {
      for (const hit of await docs.search(q, { k: 5, filter: { odd: 1 } })) expect(hit.metadata.odd).toBe(1);
    }

    // Fresh segments sealed later join the partitions at the next compaction.
    await fill(docs, vectors.slice(1_200), 100, 1_200);
    await docs.delete(['d3', 'd1300']);
    expect(docs.stats().partitions.unpartitionedSegments).toBe(1);
    const grown = await exact();
    const again = await docs.compact({ partitionRowsMin: 1_000, targetPartitionRows: 100 });
    expect(again.partitioning).toMatchObject({
      trained: false,
      partitions: 12,
      segmentsPartitioned: 1,
      rowsAssigned: 199,
    });
    // Two partitions grew past twice the target with the new rows: the same compaction split them.
    expect(again.rebalancing).toMatchObject({ splits: 2, merges: 0, partitions: 14 });
    expect(docs.stats().partitions.unpartitionedSegments).toBe(0);
    expect(await exact()).toEqual(grown);
    expect(await docs.get('d1300')).toBeUndefined();

    await docs.publish();
    await docs.setTier('warm');
    expect(await exact()).toEqual(grown);
    await docs.setTier('cold');
    expect(await exact()).toEqual(grown);
    await store.close();
    const reopened = await stores.open({ objectStore: mock, clock, create: false });
    expect(reopened.docs.stats().partitions.count).toBe(14);
    expect(await Promise.all(queries.map((q) => reopened.docs.search(q, { k: 10, exact: true })))).toEqual(
      grown,
    );
    await reopened.store.close();
  });

  it('keeps rows deleted while it re-partitions deleted, through a reopen', async () => {
    const { store, docs, dir, mock, clock } = await stores.open({ segmentVectorsMax: 200 });
    const vectors = generateVectors({ seed: SEED + 4, dimension: 8, clusters: 6, count: 1_000 });
    await fill(docs, vectors, 200);
    const compacting = docs.compact({ partitionRowsMin: 500, targetPartitionRows: 100 });
    const deleted = ['d0', 'd250', 'd999'];
    await docs.delete(deleted);
    await docs.upsert(docsOf([vectors[10] as Float32Array], 500));
    await compacting;
    expect(docs.stats().partitions.count).toBe(10);
    const check = async (c: Collection) => {
      for (const id of deleted) expect(await c.get(id)).toBeUndefined();
      const hits = await c.search(vectors[999] as Float32Array, { k: 20, exact: true });
      expect(hits.map((h) => h.id)).not.toContain('d999');
      expect((await c.get('d500'))?.metadata).toEqual({ i: 500, odd: 0 });
      expect(c.stats().vectors).toBe(997);
    };
    await check(docs);
    await store.close();
    const reopened = await stores.open({ dir, objectStore: mock, clock, create: false });
    await check(reopened.docs);
    await reopened.store.close();
  });

  it('opens from the object store with the routing index and no partition, and a cold search fetches only the probed partitions', async () => {
    const dimension = 8;
    const first = await stores.open({ segmentVectorsMax: 200 });
    const vectors = generateVectors({ seed: SEED + 5, dimension, clusters: 16, count: 1_600 });
    await fill(first.docs, vectors, 200);
    const compacted = await first.docs.compact({ partitionRowsMin: 1_000, targetPartitionRows: 100 });
    // One partition k-means left at more than twice the target was split.
    expect(compacted.rebalancing).toMatchObject({ splits: 1, merges: 0, partitions: 17 });
    await first.docs.publish();
    const query = vectors[77] as Float32Array;
    const expected = await first.docs.search(query, { k: 10, nprobe: 2 });
    await first.store.close();

    const callsBefore = first.mock.calls.length;
    const second = await stores.open({ objectStore: first.mock, clock: first.clock, create: false });
    const segmentGets = (from: number) =>
      first.mock.calls
        .slice(from)
        .filter((call) => call.operation === 'get' && /\.(arrow|hnsw)$/.test(call.key))
        .map((call) => call.key);
    expect(segmentGets(callsBefore)).toEqual([]);
    const stats = second.docs.stats();
    expect(stats.partitions.count).toBe(17);
    expect(stats.partitions.routingBytes).toBe(17 * dimension * 4);
    expect(stats.segments.filter((s) => s.state !== 'active').every((s) => s.tier === 'cold')).toBe(true);

    const routing = remoteRouting(first.mock, dimension);
    let sum = 0;
    for (const x of query) sum += x * x;
    const probed = routing.nearest(query, Math.sqrt(sum), 2);
    const probedIds = new Set(probed.flatMap((p) => routing.partitions[p]?.segmentIds ?? []));
    const callsAtSearch = first.mock.calls.length;
    expect(await second.docs.search(query, { k: 10, nprobe: 2 })).toEqual(expected);
    const fetched = segmentGets(callsAtSearch);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.length).toBeLessThanOrEqual(2 * probedIds.size);
    for (const key of fetched) {
      const id = key.slice(layout.segmentsPrefix.length).replace(/\.(arrow|hnsw)$/, '');
      expect(probedIds.has(id), key).toBe(true);
    }
    // The nearest partition is cold, so both probed partitions are read at once (nothing skipped).
    expect(second.docs.stats().searches.last).toEqual({
      partitionsProbed: 2,
      partitionsSkipped: 0,
      segmentsRead: probedIds.size,
    });
    await second.store.close();
  });
});
