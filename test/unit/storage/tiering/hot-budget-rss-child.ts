/**
 * Child process of hot-budget-rss.test.ts (run with --expose-gc): builds a collection of 300 tiny
 * sealed segments, each with its own hnswlib index, under a small hot budget, reads every one of them
 * with searches, and prints one JSON line: the RSS growth over the empty store after garbage
 * collection, and the hot tier's accounted bytes.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collection } from '../../../../src/storage/collection.ts';
import { openStore } from '../../../../src/storage/store.ts';
import { seededVector } from '../../../helpers/storage-fixtures.ts';

const [segmentsArg, hotBytesMaxArg] = process.argv.slice(2);
const segments = Number(segmentsArg);
const hotBytesMax = Number(hotBytesMaxArg);
const rowsPerSegment = 10;
const dimension = 16;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

/** RSS once garbage is collected; N-API finalizers (which free hnswlib's memory) run on later ticks. */
async function settledRss(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().rss;
}

function sealedHotBytes(docs: Collection): number {
  return docs
    .stats()
    .segments.filter((segment) => segment.tier === 'hot' && segment.state !== 'active')
    .reduce((sum, segment) => sum + segment.bytes, 0);
}

const dir = await mkdtemp(join(tmpdir(), 'tiervec-rss-'));
const store = await openStore({
  dir,
  durability: 'buffered',
  segmentVectorsMax: rowsPerSegment,
  tiering: { hotBytesMax },
});
try {
  const docs = await store.createCollection({ name: 'tiny', dimension, metric: 'l2' });
  const before = await settledRss();
  for (let s = 0; s < segments; s++) {
    const batch = Array.from({ length: rowsPerSegment }, (_, k) => {
      const i = s * rowsPerSegment + k;
      return { id: `d${i}`, vector: seededVector(i + 1, dimension) };
    });
    await docs.insert(batch);
  }
  await docs.flush();
  // Each search reads every segment: each is loaded (its index read) and released in turn.
  for (let q = 0; q < 2; q++) await docs.search(seededVector(10_000 + q, dimension), { k: 5 });
  // Budget enforcement runs in the background after each release: give it up to 20 s to finish.
  for (let waited = 0; waited < 20_000 && sealedHotBytes(docs) > hotBytesMax; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stats = docs.stats();
  const sealedHot = stats.segments.filter((segment) => segment.tier === 'hot' && segment.state !== 'active');
  const after = await settledRss();
  process.stdout.write(
    `${JSON.stringify({
      rssGrowthBytes: after - before,
      // The sealed segments in memory, which hotBytesMax bounds (the active segment is not among them).
      hotBytes: sealedHot.reduce((sum, segment) => sum + segment.bytes, 0),
      hotSegments: sealedHot.length,
      sealedSegments: stats.segments.filter((segment) => segment.state !== 'active').length,
    })}\n`,
  );
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
