/**
 * Splitting and merging partitions: the pure decisions (which partition, the routing index after a
 * split or a merge), and end to end through compaction: a partition grown past twice the target
 * splits and one shrunk by deletes merges, every live row is still found by id and by exact search
 * (whose answers do not change), rows deleted while it runs stay deleted through a reopen, the
 * routing index never names a segment its manifest does not, the same inputs give the same split,
 * and recall at the default nprobe stays ≥ 0.95 after splits on seeded clustered data.
 */

import { describe, expect, it } from 'vitest';
import { generateVectors } from '../../../../src/datasets/vector-generator.ts';
import type { MockS3ObjectStore } from '../../../../src/object-store/testing/mock-s3.ts';
import { Rng } from '../../../../src/random.ts';
import type { Collection } from '../../../../src/storage/collection.ts';
import type { CompactionResult } from '../../../../src/storage/compaction-plan.ts';
import { installFileSystem, nodeFileSystem } from '../../../../src/storage/file-system.ts';
import { PARTITION_DEFAULTS } from '../../../../src/storage/partition/partition-defaults.ts';
import {
  mergeRowsBelow,
  nextRebalanceStep,
  partitionLiveRows,
  splitRowsAbove,
} from '../../../../src/storage/partition/partition-rebalance.ts';
import { RoutingIndex, type RoutingIndexJson } from '../../../../src/storage/partition/routing-index.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';
import { useTieredStores } from '../tiering/tiering-fixtures.ts';

// A seed whose ten clusters k-means recovers one partition each (others pair two clusters and halve one).
const SEED = 4_241;
const DIMENSION = 8;
const TARGET = 100;
const stores = useTieredStores('tiervec-rebalance-');
const layout = new RemoteLayout('default', 'docs');

describe('nextRebalanceStep', () => {
  it('splits the largest partition above twice the target, and only above it', () => {
    expect(splitRowsAbove(TARGET)).toBe(PARTITION_DEFAULTS.splitRowsRatio * TARGET);
    expect(nextRebalanceStep([100, 200, 150], TARGET)).toBeUndefined();
    expect(nextRebalanceStep([100, 201, 350, 90], TARGET)).toEqual({ kind: 'split', partition: 2 });
    expect(nextRebalanceStep([100, 201, 350, 90], TARGET, new Set([2]))).toEqual({
      kind: 'split',
      partition: 1,
    });
  });

  it('merges the smallest partition below a quarter of the target, after every split, never the last one', () => {
    expect(mergeRowsBelow(TARGET)).toBe(PARTITION_DEFAULTS.mergeRowsRatio * TARGET);
    expect(nextRebalanceStep([100, 25, 80], TARGET)).toBeUndefined();
    expect(nextRebalanceStep([100, 24, 3, 80], TARGET)).toEqual({ kind: 'merge', partition: 2 });
    expect(nextRebalanceStep([100, 0, 0], TARGET)).toEqual({ kind: 'merge', partition: 1 });
    expect(nextRebalanceStep([300, 3], TARGET)).toEqual({ kind: 'split', partition: 0 });
    // An unsplittable partition does not hold up a merge.
    expect(nextRebalanceStep([300, 3], TARGET, new Set([0]))).toEqual({ kind: 'merge', partition: 1 });
    expect(nextRebalanceStep([3], TARGET)).toBeUndefined();
  });
});

describe('RoutingIndex split and merge', () => {
  const info = (id: string) => ({ rows: 1, bytes: 2, segmentIds: [id] });
  const routing = new RoutingIndex(2, 'l2', Float32Array.from([0, 0, 10, 10, 20, 20]), [
    info('a'),
    info('b'),
    info('c'),
  ]);

  it('keeps the split partition at its index with the first new centroid and appends the second', () => {
    const split = routing.withSplit(1, Float32Array.from([9, 9, 11, 11]));
    expect(Array.from(split.centroids)).toEqual([0, 0, 9, 9, 20, 20, 11, 11]);
    expect(split.count).toBe(4);
    expect(split.partitions[3]).toEqual(split.partitions[1]);
    expect(split.assign(Float32Array.from([11.2, 11.2]), 0)).toBe(3);
    expect(split.partitionOf('c')).toBe(2);
  });

  it('drops the split partition radius (its halves have new centroids) and keeps the others', () => {
    const withRadii = new RoutingIndex(
      2,
      'l2',
      routing.centroids,
      routing.partitions.map((p) => ({ ...p, radius: 3 })),
    );
    const split = withRadii.withSplit(1, Float32Array.from([9, 9, 11, 11]));
    expect(split.partitions.map((p) => p.radius)).toEqual([3, undefined, 3, undefined]);
    expect(split.lowerBound(Float32Array.from([100, 100]), 0, 1)).toBe(0);
    expect(withRadii.withoutPartition(0).partitions.map((p) => p.radius)).toEqual([3, 3]);
  });

  it('renumbers the partitions after a merged one, centroid and segments together', () => {
    const merged = routing.withoutPartition(0);
    expect(Array.from(merged.centroids)).toEqual([10, 10, 20, 20]);
    expect(merged.partitionOf('a')).toBeUndefined();
    expect(merged.partitionOf('b')).toBe(0);
    expect(merged.partitionOf('c')).toBe(1);
    expect(merged.assign(Float32Array.from([19, 19]), 0)).toBe(1);
    expect(() =>
      new RoutingIndex(2, 'l2', Float32Array.from([0, 0]), [info('a')]).withoutPartition(0),
    ).toThrow(/last partition/);
  });

  it('counts live rows per partition from the segments each names', () => {
    const sealed = [
      { id: 'a', liveRows: 5 },
      { id: 'c', liveRows: 7 },
      { id: 'x', liveRows: 100 },
      { id: 'a2', liveRows: 1 },
    ];
    expect(partitionLiveRows(routing, sealed)).toEqual([5, 0, 7]);
  });
});

/** `count` rows around each of `centres`, ids `c{cluster}-{i}` from `from`. */
function clusterDocs(
  centres: readonly Float32Array[],
  cluster: number,
  count: number,
  from: number,
  seed: number,
) {
  const rng = new Rng(seed).fork(`cluster-${cluster}-${from}`);
  const centre = centres[cluster] as Float32Array;
  return Array.from({ length: count }, (_, i) => ({
    id: `c${cluster}-${from + i}`,
    vector: centre.map((x) => x + 0.05 * rng.nextGaussian()),
    metadata: { cluster },
  }));
}

function centresOf(count: number): Float32Array[] {
  return generateVectors({ seed: SEED, dimension: DIMENSION, distribution: 'uniform', count }).map((v) =>
    v.map((x) => x * 4),
  );
}

/** The newest manifest in the mock, with its routing index. */
function newestManifest(mock: MockS3ObjectStore) {
  const key = mock
    .keys()
    .filter((k) => layout.manifestVersionOf(k) !== undefined)
    .sort()
    .at(-1) as string;
  return JSON.parse(Buffer.from(mock.peek(key) as Uint8Array).toString('utf8')) as {
    segments: { id: string }[];
    routing: RoutingIndexJson;
  };
}

/** Publishes, then checks that the routing index names exactly the manifest's sealed segments. */
async function expectRoutingMatchesManifest(
  docs: Collection,
  mock: MockS3ObjectStore,
): Promise<RoutingIndexJson> {
  await docs.publish();
  const manifest = newestManifest(mock);
  const named = manifest.routing.partitions.flatMap((p) => p.segmentIds);
  expect(new Set(named).size).toBe(named.length);
  expect([...named].sort()).toEqual(manifest.segments.map((s) => s.id).sort());
  return manifest.routing;
}

/** Every id's document is there, and an exact search for its own vector finds it first. */
async function expectAllFound(docs: Collection, ids: ReadonlyMap<string, Float32Array>): Promise<void> {
  for (const [id, vector] of ids) {
    const doc = await docs.get(id);
    expect(doc?.vector, id).toEqual(vector);
    const hits = await docs.search(vector, { k: 1, exact: true });
    expect(hits[0]?.distance, id).toBe(0);
  }
}

const compactOptions = { partitionRowsMin: 500, targetPartitionRows: TARGET };

/** Ten clusters of 100 rows partitioned (one partition each), then 150 more rows in cluster 3. */
async function grownCollection() {
  const opened = await stores.open({ segmentVectorsMax: 200 });
  const centres = centresOf(10);
  const live = new Map<string, Float32Array>();
  const insert = async (batch: ReturnType<typeof clusterDocs>) => {
    await opened.docs.insert(batch);
    for (const d of batch) live.set(d.id, d.vector);
  };
  for (let c = 0; c < 10; c++) await insert(clusterDocs(centres, c, 100, 0, SEED));
  const trained = await opened.docs.compact(compactOptions);
  await insert(clusterDocs(centres, 3, 150, 100, SEED));
  await opened.docs.flush();
  return { ...opened, centres, live, trained };
}

describe('Partition split and merge (compaction)', () => {
  it('splits a partition grown past twice the target: one more partition, every row still found, exact answers unchanged', async () => {
    const { docs, mock, live, trained, centres } = await grownCollection();
    expect(trained.partitioning?.partitions).toBe(10);
    expect(trained.rebalancing).toBeUndefined();
    const queries = centres.map((c) => c.map((x) => x + 0.01));
    const exact = () => Promise.all(queries.map((q) => docs.search(q, { k: 20, exact: true })));
    const before = await exact();
    const result = await docs.compact(compactOptions);
    expect(result.partitioning).toMatchObject({ trained: false, partitions: 10, rowsAssigned: 150 });
    expect(result.rebalancing).toEqual({ splits: 1, merges: 0, rowsMoved: 250, partitions: 11 });
    const stats = docs.stats();
    expect(stats.partitions.count).toBe(11);
    expect(stats.partitions.unpartitionedSegments).toBe(0);
    expect(stats.partitions.partitions.map((p) => p.rows).sort((a, b) => b - a)[0]).toBeLessThanOrEqual(
      splitRowsAbove(TARGET),
    );
    expect(stats.vectors).toBe(1_150);
    expect(await exact()).toEqual(before);
    await expectAllFound(docs, live);
    await expectRoutingMatchesManifest(docs, mock);
  });

  it('splits the same way every time (the split is seeded)', async () => {
    const routings: RoutingIndexJson[] = [];
    for (let run = 0; run < 2; run++) {
      const { docs, mock, store } = await grownCollection();
      await docs.compact(compactOptions);
      routings.push(await expectRoutingMatchesManifest(docs, mock));
      await store.close();
    }
    expect(routings[0]?.partitions.length).toBe(11);
    expect(routings[1]?.centroids).toBe(routings[0]?.centroids);
  });

  it('merges a partition shrunk by deletes into its neighbours: one partition fewer, every live row still found', async () => {
    const { docs, mock, live } = await grownCollection();
    await docs.compact(compactOptions);
    const deleted = [...live.keys()].filter((id) => id.startsWith('c7-')).slice(0, 90);
    await docs.delete(deleted);
    for (const id of deleted) live.delete(id);
    // stats() shows the partition's live rows now, beside its rows when it was written.
    const shrunk = docs.stats().partitions.partitions.find((p) => p.liveRows < p.rows);
    expect(shrunk).toMatchObject({ rows: 100, liveRows: 10 });
    const queries = centresOf(10).map((c) => c.map((x) => x - 0.01));
    const exact = () => Promise.all(queries.map((q) => docs.search(q, { k: 20, exact: true })));
    const before = await exact();
    const result = await docs.compact(compactOptions);
    expect(result.rebalancing).toEqual({ splits: 0, merges: 1, rowsMoved: 10, partitions: 10 });
    expect(docs.stats().partitions.count).toBe(10);
    expect(docs.stats().vectors).toBe(1_060);
    expect(await exact()).toEqual(before);
    await expectAllFound(docs, live);
    for (const id of deleted) expect(await docs.get(id)).toBeUndefined();
    await expectRoutingMatchesManifest(docs, mock);
  });

  it('keeps rows deleted while a split and a merge run deleted, through a reopen', async () => {
    const { docs, mock, live, store, dir, clock } = await grownCollection();
    // Rows of cluster 7 shrink its partition below the merge threshold; cluster 3's partition splits.
    const shrunk = [...live.keys()].filter((id) => id.startsWith('c7-')).slice(0, 90);
    await docs.delete(shrunk);
    await docs.flush();
    for (const id of shrunk) live.delete(id);
    // This compaction writes manifest v + 1 (assigning cluster 3's new rows), v + 2 (the split) and
    // v + 3 (the merge); each step's segment ids end in its manifest version. Deletes are issued and
    // acknowledged while the split's and the merge's first new segment file is being put in place.
    const v = docs.stats().manifest.version;
    const during = new Map([
      [v + 2, ['c3-0', 'c3-120', 'c3-249', 'c1-5']],
      [v + 3, ['c7-95', 'c7-99', 'c3-7']],
    ]);
    const issued: number[] = [];
    const restore = installFileSystem({
      ...nodeFileSystem,
      rename: async (from, to) => {
        const step = /-(\d{10})\.arrow$/.exec(to);
        const ids = step === null ? undefined : during.get(Number(step[1]));
        if (step !== null && ids !== undefined && !issued.includes(Number(step[1]))) {
          issued.push(Number(step[1]));
          await docs.delete(ids);
        }
        return nodeFileSystem.rename(from, to);
      },
    });
    let result: CompactionResult;
    try {
      result = await docs.compact(compactOptions);
    } finally {
      restore();
    }
    expect(issued).toEqual([v + 2, v + 3]);
    expect(result.rebalancing).toMatchObject({ splits: 1, merges: 1, partitions: 10 });
    const deletedDuring = [...during.values()].flat();
    for (const id of deletedDuring) live.delete(id);
    const check = async (c: Collection) => {
      for (const id of [...shrunk, ...deletedDuring]) expect(await c.get(id), id).toBeUndefined();
      for (const cluster of [1, 3, 7]) {
        const hits = await c.search(centresOf(10)[cluster] as Float32Array, { k: 300, exact: true });
        for (const id of deletedDuring) expect(hits.map((h) => h.id)).not.toContain(id);
      }
      expect(c.stats().vectors).toBe(live.size);
    };
    await check(docs);
    await expectAllFound(docs, live);
    await store.close();
    const reopened = await stores.open({ dir, objectStore: mock, clock, create: false });
    await check(reopened.docs);
    await expectAllFound(reopened.docs, live);
    expect(reopened.docs.stats().partitions.count).toBe(10);
    await reopened.store.close();
  });

  it('does not split a partition of equal vectors (2-means finds one group), and the compaction ends', async () => {
    const { docs } = await stores.open({ segmentVectorsMax: 200 });
    const centres = centresOf(5);
    for (let c = 0; c < 5; c++) await docs.insert(clusterDocs(centres, c, 100, 0, SEED));
    const far = new Float32Array(DIMENSION).fill(9);
    await docs.insert(Array.from({ length: 300 }, (_, i) => ({ id: `same-${i}`, vector: far })));
    const result = await docs.compact(compactOptions);
    expect(result.partitioning?.trained).toBe(true);
    expect(result.rebalancing?.splits ?? 0).toBe(0);
    const liveRows = docs.stats().partitions.partitions.map((p) => p.liveRows);
    expect(Math.max(...liveRows)).toBe(300);
    expect(Math.min(...liveRows)).toBeGreaterThanOrEqual(mergeRowsBelow(TARGET));
    expect((await docs.compact(compactOptions)).rebalancing).toBeUndefined();
  });

  it(`makes at most rebalanceStepsMax (${PARTITION_DEFAULTS.rebalanceStepsMax}) splits and merges per compaction; the next one goes on`, async () => {
    const { docs } = await stores.open({ segmentVectorsMax: 200 });
    const vectors = generateVectors({ seed: SEED, dimension: DIMENSION, clusters: 80, count: 800 });
    await docs.insert(vectors.map((vector, i) => ({ id: `d${i}`, vector })));
    const small = { partitionRowsMin: 500, targetPartitionRows: 10 };
    await docs.compact(small);
    const before = docs.stats().partitions.count;
    expect(before).toBeGreaterThan(PARTITION_DEFAULTS.rebalanceStepsMax + 2);
    // At a target of 200 rows every partition of about 10 is below the merge threshold (50).
    const large = { partitionRowsMin: 500, targetPartitionRows: 200 };
    const first = await docs.compact(large);
    expect(first.rebalancing).toMatchObject({ splits: 0, merges: PARTITION_DEFAULTS.rebalanceStepsMax });
    expect(docs.stats().partitions.count).toBe(before - PARTITION_DEFAULTS.rebalanceStepsMax);
    const second = await docs.compact(large);
    expect(second.rebalancing?.merges).toBeGreaterThan(0);
    expect(docs.stats().vectors).toBe(800);
    for (const i of [0, 399, 799]) {
      expect((await docs.search(vectors[i] as Float32Array, { k: 1, exact: true }))[0]?.id).toBe(`d${i}`);
    }
  });

  it('splits and merges cosine partitions (normalised 2-means), exact answers unchanged', async () => {
    const { store } = await stores.open({ create: 'skip', segmentVectorsMax: 200 });
    const docs = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'cosine' });
    const centres = centresOf(10);
    for (let c = 0; c < 10; c++) await docs.insert(clusterDocs(centres, c, 100, 0, SEED));
    await docs.compact(compactOptions);
    await docs.insert(clusterDocs(centres, 3, 150, 100, SEED));
    await docs.delete(Array.from({ length: 95 }, (_, i) => `c7-${i}`));
    const queries = centres.map((c) => c.map((x) => x + 0.01));
    const exact = () => Promise.all(queries.map((q) => docs.search(q, { k: 20, exact: true })));
    const before = await exact();
    const result = await docs.compact(compactOptions);
    expect(result.rebalancing?.splits).toBeGreaterThan(0);
    expect(result.rebalancing?.merges).toBeGreaterThan(0);
    expect(await exact()).toEqual(before);
    expect(docs.stats().vectors).toBe(1_055);
  });

  it(`keeps recall@10 ≥ 0.95 at the default nprobe (${PARTITION_DEFAULTS.nprobe}) after the partitions grow and split`, async () => {
    const dimension = 32;
    const { store } = await stores.open({ create: 'skip', segmentVectorsMax: 1_000 });
    const docs = await store.createCollection({ name: 'docs', dimension, metric: 'l2' });
    const all = generateVectors({ seed: SEED, dimension, clusters: 100, count: 8_100 });
    const insert = async (from: number, to: number) => {
      for (let start = from; start < to; start += 500) {
        await docs.insert(
          all.slice(start, Math.min(start + 500, to)).map((vector, i) => ({ id: `d${start + i}`, vector })),
        );
      }
    };
    await insert(0, 3_000);
    const options = { partitionRowsMin: 2_000, targetPartitionRows: 200 };
    const trained = await docs.compact(options);
    await insert(3_000, 8_000);
    const grown = await docs.compact(options);
    const splits = grown.rebalancing?.splits ?? 0;
    expect(splits).toBeGreaterThan(10);
    expect(docs.stats().partitions.count).toBe(
      (trained.rebalancing?.partitions ?? trained.partitioning?.partitions ?? 0) +
        splits -
        (grown.rebalancing?.merges ?? 0),
    );
    const queries = all.slice(8_000);
    const truth = await Promise.all(queries.map((q) => docs.search(q, { k: 10, exact: true })));
    const got = await Promise.all(queries.map((q) => docs.search(q, { k: 10 })));
    let found = 0;
    got.forEach((hits, q) => {
      const want = new Set((truth[q] ?? []).map((hit) => hit.id));
      found += hits.filter((hit) => want.has(hit.id)).length;
    });
    const recall = found / (queries.length * 10);
    console.log(
      `recall@10 after splits (seed ${SEED}, 8000 × 32, ${docs.stats().partitions.count} partitions after ${splits} splits, nprobe ${PARTITION_DEFAULTS.nprobe}): ${recall.toFixed(3)}`,
    );
    expect(recall, `seed ${SEED}`).toBeGreaterThanOrEqual(0.95);
  });
});
