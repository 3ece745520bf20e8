/**
 * Recall of the HNSW search against exact k-NN on seeded clustered data (20k × 128), at the default
 * efSearch, before and after the segment goes through its files (seal, close, reopen): the reopened
 * index must answer identically, which also pins hnswlib's reset of `ef` after `readIndex`.
 */

import { describe, expect, it } from 'vitest';
import { VectorGenerator } from '../../../src/datasets/vector-generator.ts';
import type { Collection } from '../../../src/storage/collection.ts';
import { COLLECTION_DEFAULTS } from '../../../src/storage/collection-spec.ts';
import { openStore } from '../../../src/storage/store.ts';
import { useTempDirs } from '../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-recall-');
const SEED = 2024;
const COUNT = 20_000;
const DIMENSION = 128;
const QUERIES = 200;
const K = 10;
const BATCH = 1_000;

async function recallAt10(
  collection: Collection,
  queries: Float32Array[],
): Promise<{ recall: number; answers: string[][] }> {
  let found = 0;
  const answers: string[][] = [];
  for (const query of queries) {
    const exact = new Set((await collection.search(query, { k: K, exact: true })).map((hit) => hit.id));
    const approximate = (await collection.search(query, { k: K })).map((hit) => hit.id);
    answers.push(approximate);
    found += approximate.filter((id) => exact.has(id)).length;
  }
  return { recall: found / (K * queries.length), answers };
}

describe('HNSW recall', () => {
  it('reaches recall@10 of at least 0.95 at the default efSearch on 20k × 128 clustered vectors', async () => {
    const dir = await temp.make();
    // Wide, overlapping clusters (stddev 1.0 around centres spread over [-1, 1)) so that neighbours are not trivial.
    const generator = new VectorGenerator({
      seed: SEED,
      dimension: DIMENSION,
      clusters: 100,
      clusterStdDev: 1.0,
    });
    const store = await openStore({ dir });
    const docs = await store.createCollection({ name: 'recall', dimension: DIMENSION, metric: 'cosine' });
    for (let start = 0; start < COUNT; start += BATCH) {
      const vectors = generator.take(BATCH);
      await docs.insert(
        vectors.map((vector, i) => ({ id: `v${start + i}`, vector, metadata: { n: start + i } })),
      );
    }
    const queries = generator.take(QUERIES);
    const live = await recallAt10(docs, queries);
    console.log(
      `recall@10 at efSearch ${COLLECTION_DEFAULTS.hnsw.efSearch} (seed ${SEED}, ${COUNT} × ${DIMENSION}, ${QUERIES} queries): ${live.recall.toFixed(4)}`,
    );
    expect(live.recall).toBeGreaterThanOrEqual(0.95);

    await docs.flush();
    await store.close();
    const reopenedStore = await openStore({ dir });
    const reopened = reopenedStore.collection('recall');
    expect(reopened.stats().segments.filter((s) => s.state === 'sealed')).toHaveLength(1);
    const afterReopen = await recallAt10(reopened, queries);
    console.log(`recall@10 after seal and reopen: ${afterReopen.recall.toFixed(4)}`);
    expect(afterReopen.answers).toEqual(live.answers);
    await reopenedStore.close();
  });
});
