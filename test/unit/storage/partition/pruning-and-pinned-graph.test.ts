/**
 * Two ways a partitioned search reads less: it skips probed partitions whose lower bound (distance
 * to the centroid minus the partition's radius) is above the k-th distance already found, which
 * never changes an answer; and a pinned collection searches one graph over every partition's rows
 * (the pinned graph) instead of probing partitions, skipping rows deleted since it was built and
 * falling back to the partitions once compaction rewrites them.
 */

import { describe, expect, it } from 'vitest';
import { generateVectors } from '../../../../src/datasets/vector-generator.ts';
import type { Collection } from '../../../../src/storage/collection.ts';
import { useTieredStores } from '../tiering/tiering-fixtures.ts';
import { remoteRouting } from './remote-routing.ts';

const SEED = 4_242;
const DIMENSION = 32;
const stores = useTieredStores('tiervec-pruning-');

async function partitioned(
  metric: 'l2' | 'cosine',
  split = false,
): Promise<{ docs: Collection; queries: Float32Array[] }> {
  const { store } = await stores.open({ create: 'skip', segmentVectorsMax: 1_000 });
  const docs = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric });
  const all = generateVectors({ seed: SEED, dimension: DIMENSION, clusters: 40, count: 4_060 });
  for (let start = 0; start < 4_000; start += 500) {
    await docs.insert(all.slice(start, start + 500).map((vector, i) => ({ id: `d${start + i}`, vector })));
  }
  await docs.flush();
  if (split) {
    // Partitioned against a larger target first, so that the second compaction splits them all.
    await docs.compact({ partitionRowsMin: 2_000, targetPartitionRows: 1_000 });
    const { rebalancing } = await docs.compact({ targetPartitionRows: 200 });
    expect(rebalancing?.splits).toBeGreaterThan(0);
  } else {
    await docs.compact({ partitionRowsMin: 2_000, targetPartitionRows: 200 });
  }
  return { docs, queries: all.slice(4_000) };
}

describe('Partition pruning', () => {
  for (const [metric, split] of [
    ['l2', false],
    ['cosine', false],
    ['cosine', true],
  ] as const) {
    const after = split ? ', after splits' : '';
    it(`skips partitions that cannot hold a nearer row and answers exactly as a full scan (${metric}${after})`, async () => {
      const { docs, queries } = await partitioned(metric, split);
      const { count } = docs.stats().partitions;
      expect(count).toBeGreaterThanOrEqual(split ? 8 : 20);
      let skipped = 0;
      for (const q of queries) {
        // Flat partitions are scanned exactly, so probing every partition must give the exact answer,
        // whatever the bound skipped.
        const probedAll = await docs.search(q, { k: 10, nprobe: count });
        skipped += docs.stats().searches.last.partitionsSkipped;
        const exact = await docs.search(q, { k: 10, exact: true });
        expect(probedAll.map((h) => h.id)).toEqual(exact.map((h) => h.id));
      }
      expect(skipped / queries.length).toBeGreaterThan(1);
    });
  }

  it('stores a radius that bounds every row of its partition', async () => {
    const { store, mock } = await stores.open({ create: 'skip', segmentVectorsMax: 1_000 });
    const docs = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'cosine' });
    const all = generateVectors({ seed: SEED, dimension: DIMENSION, clusters: 40, count: 3_000 });
    await docs.insert(all.map((vector, i) => ({ id: `d${i}`, vector })));
    await docs.flush();
    const compacted = await docs.compact({ partitionRowsMin: 2_000, targetPartitionRows: 200 });
    // No split or merge: every row is in its nearest centroid's partition, which the check below uses.
    expect(compacted.rebalancing).toBeUndefined();
    await docs.publish();
    const routing = remoteRouting(mock, DIMENSION);
    let tight = 0;
    all.forEach((vector) => {
      const vectorNorm = Math.hypot(...vector);
      const p = routing.assign(vector, vectorNorm);
      const radius = routing.partitions[p]?.radius as number;
      const distance = routing.euclideanTo(vector, vectorNorm, p) as number;
      expect(distance).toBeLessThanOrEqual(radius + 1e-9);
      if (distance > radius * 0.999) tight++;
    });
    // Each radius is reached by a row of its partition (it is the largest distance, not a guess).
    expect(tight).toBeGreaterThanOrEqual(routing.count);
  });
});

describe('Pinned graph', () => {
  it('serves pinned searches from one graph, skips deleted rows, and falls back after compaction', async () => {
    const { docs, queries } = await partitioned('cosine');
    await docs.pin();
    const graph = docs.stats().partitions.pinnedGraph;
    expect(graph.rows).toBe(4_000);
    expect(graph.builds).toBe(1);
    // Every segment is hot; the small partitions stay flat: their rows are in the pinned graph.
    for (const segment of docs.sealedSegments()) {
      expect(segment.tier, segment.id).toBe('hot');
      expect(segment.loaded()?.indexed, segment.id).toBe(false);
    }
    const before = await docs.search(queries[0] as Float32Array, { k: 10 });
    const exact = await docs.search(queries[0] as Float32Array, { k: 10, exact: true });
    expect(docs.stats().partitions.pinnedGraph.searches).toBe(1);
    expect(docs.stats().searches.last.partitionsProbed).toBe(0);
    const overlap = before.filter((h) => exact.some((e) => e.id === h.id)).length;
    expect(overlap).toBeGreaterThanOrEqual(9);
    // Deleted rows never come back, and the graph still fills k.
    await docs.delete(before.slice(0, 5).map((h) => h.id));
    const after = await docs.search(queries[0] as Float32Array, { k: 10 });
    expect(after).toHaveLength(10);
    expect(after.map((h) => h.id)).not.toEqual(expect.arrayContaining([before[0]?.id]));
    for (const hit of before.slice(0, 5)) expect(after.some((h) => h.id === hit.id)).toBe(false);
    expect(docs.stats().partitions.pinnedGraph.searches).toBe(2);
    // Rows inserted after the pin are in an unpartitioned segment and found beside the graph.
    await docs.insert([{ id: 'new', vector: queries[0] as Float32Array }]);
    await docs.flush();
    expect((await docs.search(queries[0] as Float32Array, { k: 1 }))[0]?.id).toBe('new');
    // Compaction rewrites the partitions: the snapshot no longer serves, searches probe partitions,
    // and a new graph is built in the background.
    await docs.compact();
    await docs.search(queries[1] as Float32Array, { k: 10 });
    expect(docs.stats().searches.last.partitionsProbed).toBeGreaterThan(0);
    await docs.pin();
    expect(docs.stats().partitions.pinnedGraph.rows).toBe(4_001 - 5);
    docs.unpin();
    expect(docs.stats().partitions.pinnedGraph.rows).toBe(0);
    await docs.search(queries[2] as Float32Array, { k: 10 });
    expect(docs.stats().searches.last.partitionsProbed).toBeGreaterThan(0);
  });
});
