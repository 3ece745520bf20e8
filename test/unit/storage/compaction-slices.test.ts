import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/storage/store.ts';
import { seededVector, useTempDirs } from '../../helpers/storage-fixtures.ts';

const dirs = useTempDirs('tiervec-compaction-slices-');
const DIMENSION = 32;
const SEGMENTS = 4;
const ROWS = 300;

describe('Collection.compact on the real clock', () => {
  it('answers searches during a compaction on the real clock, each finding its row', async () => {
    const store = await openStore({ dir: await dirs.make(), segmentVectorsMax: SEGMENTS * ROWS });
    try {
      const docs = await store.createCollection({ name: 'docs', dimension: DIMENSION, metric: 'l2' });
      for (let s = 0; s < SEGMENTS; s++) {
        const batch = Array.from({ length: ROWS }, (_, i) => ({
          id: `d${s * ROWS + i}`,
          vector: seededVector(s * ROWS + i, DIMENSION),
        }));
        await docs.insert(batch);
        await docs.flush();
      }
      // Searches for stored rows, one per turn of the event loop, for as long as compaction runs:
      // each must find its row whether it lands before, during or after the swap.
      let compacting = true;
      let during = 0;
      const misses: string[] = [];
      const searcher = (async () => {
        for (let i = 0; compacting; i = (i + 97) % (SEGMENTS * ROWS)) {
          const [hit] = await docs.search(seededVector(i, DIMENSION), { k: 1 });
          if (!compacting) break;
          during++;
          if (hit?.id !== `d${i}`) misses.push(`d${i} → ${hit?.id}`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const result = await docs.compact();
      compacting = false;
      await searcher;
      expect(result.segmentsRewritten).toBe(SEGMENTS);
      expect(result.segmentsWritten).toBe(1);
      expect(during).toBeGreaterThan(0);
      expect(misses).toEqual([]);
      expect(docs.count()).toBe(SEGMENTS * ROWS);
    } finally {
      await store.close();
    }
  });
});
