/**
 * What the tiers cost: one sealed segment (100k × 128 by default) behind a mock S3 with 60 ms of
 * latency per request, on the real clock.
 *
 * - steady hot search: p50 of searches with the segment in memory (the baseline every other figure
 *   is divided by);
 * - warm first query: the first search after `setTier('warm')` (load the Arrow and index files from
 *   local disk), median of several rounds;
 * - cold first query: the first search after `setTier('cold')` (download both files at 60 ms, write
 *   them, load), median of several rounds; and cold → hot promotion time as the tier layer times it;
 * - cold collection: a new store on an empty directory opens the collection from the object store
 *   (every segment cold) and answers its first query (median of several new stores).
 *
 * Run with `node --expose-gc` (e.g. `node --expose-gc --import tsx bench/storage/tiers.ts`) so
 * garbage is collected between rounds rather than inside a timed first query.
 *
 * - write latency: sequential single-document inserts acknowledged under `fsync` (local disk) and
 *   under `object-store` durability (the WAL batch PUT to the mock S3 at the same latency), p50.
 *
 * Target (from issue 5): the first query on a cold collection under 1 s. Run:
 * `npx tsx bench/storage/tiers.ts`; size with TIERS_VECTORS, TIERS_DIMENSION, TIERS_QUERIES,
 * TIERS_ROUNDS, TIERS_GET_LATENCY_MS, TIERS_SEED; TIERS_QUICK=1 for the smaller quick size. The
 * functions are exported for the bench runner.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VectorGenerator } from '../../src/datasets/vector-generator.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import type { Collection } from '../../src/storage/collection.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { median } from './alternating-rounds.ts';

export interface TiersBenchOptions {
  vectors: number;
  dimension: number;
  /** Searches timed for the steady hot figure. */
  queries: number;
  /** Rounds of warm and cold first queries (the median is reported). */
  rounds: number;
  /** Mock S3 latency per request, in ms (GET and PUT alike). */
  latencyMs: number;
  seed: number;
}

export const TIERS_DEFAULTS: Readonly<TiersBenchOptions> = Object.freeze({
  vectors: 100_000,
  dimension: 128,
  queries: 200,
  rounds: 3,
  latencyMs: 60,
  seed: 42,
});

export const TIERS_QUICK_DEFAULTS: Readonly<TiersBenchOptions> = Object.freeze({
  ...TIERS_DEFAULTS,
  vectors: 20_000,
  queries: 100,
  rounds: 3,
});

export interface TiersBenchResult {
  options: TiersBenchOptions;
  segmentBytes: { memory: number; files: number };
  buildS: number;
  hotSearchMsP50: number;
  warmFirstQueryMs: number;
  coldFirstQueryMs: number;
  coldToHotPromotionMs: number;
  coldCollectionOpenMs: number;
  coldCollectionFirstQueryMs: number;
  writeMsP50: { fsync: number; objectStore: number };
  ratios: { name: string; value: number }[];
  target: { name: string; limitMs: number; actualMs: number; met: boolean };
}

/**
 * Collects garbage between rounds when node runs with --expose-gc, so one round's freed segment
 * (hundreds of MiB at 100k × 128) is not collected in the middle of the next round's first query.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Builds one sealed, published segment of `vectors` rows; returns the store, its collection and the query set. */
export async function buildTieredCollection(
  options: TiersBenchOptions,
  dir: string,
  objectStore: MockS3ObjectStore,
): Promise<{ store: Store; docs: Collection; queries: Float32Array[]; buildS: number }> {
  const generator = new VectorGenerator({ seed: options.seed, dimension: options.dimension });
  const store = await openStore({
    dir,
    objectStore,
    durability: 'buffered',
    segmentVectorsMax: options.vectors,
  });
  const docs = await store.createCollection({
    name: 'bench',
    dimension: options.dimension,
    metric: 'cosine',
  });
  const { ms } = await timed(async () => {
    for (let from = 0; from < options.vectors; from += 5_000) {
      const count = Math.min(5_000, options.vectors - from);
      await docs.insert(
        Array.from({ length: count }, (_, k) => ({
          id: `v${from + k}`,
          vector: generator.next(),
          metadata: {},
        })),
      );
    }
    await docs.flush();
    await docs.publish();
  });
  const queries = generator.take(options.queries);
  return { store, docs, queries, buildS: ms / 1_000 };
}

/** p50 of `writes` sequential single-document inserts acknowledged under `durability`. */
export async function measureWriteLatency(
  durability: 'fsync' | 'object-store',
  options: TiersBenchOptions,
  dir: string,
  writes = 50,
): Promise<number> {
  const objectStore = new MockS3ObjectStore({
    seed: options.seed,
    latency: { fixedMs: options.latencyMs },
    rateLimit: false,
  });
  const store = await openStore({ dir, objectStore, durability });
  const docs = await store.createCollection({ name: 'writes', dimension: options.dimension });
  const generator = new VectorGenerator({ seed: options.seed + 1, dimension: options.dimension });
  await docs.insert([{ id: 'warm-up', vector: generator.next() }]);
  const latencies: number[] = [];
  for (let i = 0; i < writes; i++) {
    const vector = generator.next();
    latencies.push((await timed(() => docs.insert([{ id: `w${i}`, vector }]))).ms);
  }
  await store.close();
  return median(latencies);
}

export async function runTiersBench(
  options: TiersBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<TiersBenchResult> {
  const root = await mkdtemp(join(tmpdir(), 'tiervec-bench-tiers-'));
  const objectStore = new MockS3ObjectStore({
    seed: options.seed,
    latency: { fixedMs: options.latencyMs },
    rateLimit: false,
  });
  try {
    log(`building ${options.vectors} × ${options.dimension} (one segment, published to the mock S3)…`);
    const { store, docs, queries, buildS } = await buildTieredCollection(
      options,
      join(root, 'a'),
      objectStore,
    );
    const query = queries[0] as Float32Array;
    await docs.setTier('hot');
    for (const q of queries.slice(0, 10)) await docs.search(q, { k: 10 });
    const hot: number[] = [];
    for (const q of queries) hot.push((await timed(() => docs.search(q, { k: 10 }))).ms);
    const segment = docs.stats().segments.find((s) => s.state === 'sealed');
    const memoryBytes = segment?.bytes ?? 0;
    log('warm and cold first queries…');
    const warm: number[] = [];
    const cold: number[] = [];
    const promotion: number[] = [];
    let filesBytes = 0;
    for (let round = 0; round < options.rounds; round++) {
      collectGarbage();
      await docs.setTier('warm');
      filesBytes = docs.stats().tiers.warm.bytes;
      warm.push((await timed(() => docs.search(query, { k: 10 }))).ms);
      await docs.setTier('cold');
      collectGarbage();
      cold.push((await timed(() => docs.search(query, { k: 10 }))).ms);
      promotion.push(docs.stats().transitions.promotionMs.last);
    }
    await store.close();
    log('new stores on empty directories, from the object store…');
    const opens: number[] = [];
    const firsts: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      collectGarbage();
      const opened = await timed(() => openStore({ dir: join(root, `b${round}`), objectStore }));
      const fresh = opened.value.collection('bench');
      opens.push(opened.ms);
      firsts.push((await timed(() => fresh.search(query, { k: 10 }))).ms);
      await opened.value.close();
    }
    const first = { ms: median(firsts) };
    const opened = { ms: median(opens) };
    log('write latency, fsync vs object-store durability…');
    const writeMsP50 = {
      fsync: await measureWriteLatency('fsync', options, join(root, 'w-fsync')),
      objectStore: await measureWriteLatency('object-store', options, join(root, 'w-object-store')),
    };
    const hotP50 = median(hot);
    const coldFirst = median(cold);
    return {
      options,
      segmentBytes: { memory: memoryBytes, files: filesBytes },
      buildS,
      hotSearchMsP50: hotP50,
      warmFirstQueryMs: median(warm),
      coldFirstQueryMs: coldFirst,
      coldToHotPromotionMs: median(promotion),
      coldCollectionOpenMs: opened.ms,
      coldCollectionFirstQueryMs: first.ms,
      writeMsP50,
      ratios: [
        { name: 'object-store write / fsync write (p50)', value: writeMsP50.objectStore / writeMsP50.fsync },
        { name: 'warm first query / steady hot search', value: median(warm) / hotP50 },
        { name: 'cold first query / steady hot search', value: coldFirst / hotP50 },
        { name: 'cold first query / warm first query', value: coldFirst / median(warm) },
      ],
      target: {
        name: 'first query on a cold collection (new store from the object store)',
        limitMs: 1_000,
        actualMs: first.ms,
        met: first.ms < 1_000,
      },
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export function formatTiersReport(result: TiersBenchResult): string {
  const o = result.options;
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
  return [
    `tiers: ${o.vectors} × ${o.dimension} cosine, one segment (${mb(result.segmentBytes.memory)} in memory, ${mb(result.segmentBytes.files)} of files), mock S3 at ${o.latencyMs} ms per request, seed ${o.seed}`,
    `build (insert, seal, publish)          ${result.buildS.toFixed(1)} s`,
    `steady hot search p50                  ${ms(result.hotSearchMsP50)}`,
    `warm first query (median of ${o.rounds})         ${ms(result.warmFirstQueryMs)}`,
    `cold first query (median of ${o.rounds})         ${ms(result.coldFirstQueryMs)}`,
    `cold → hot promotion (median)          ${ms(result.coldToHotPromotionMs)}`,
    `cold collection: open from S3 (median) ${ms(result.coldCollectionOpenMs)}`,
    `cold collection: first query (median)  ${ms(result.coldCollectionFirstQueryMs)}`,
    `write p50, durability 'fsync'           ${ms(result.writeMsP50.fsync)}`,
    `write p50, durability 'object-store'    ${ms(result.writeMsP50.objectStore)}`,
    '',
    ...result.ratios.map((r) => `${r.name.padEnd(40)} ${r.value.toFixed(1)}×`),
    '',
    `target: ${result.target.name} < ${result.target.limitMs} ms: ${ms(result.target.actualMs)} ${result.target.met ? 'met' : 'NOT MET'}`,
  ].join('\n');
}

function envInteger(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return parsed;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const base = process.env.TIERS_QUICK === '1' ? TIERS_QUICK_DEFAULTS : TIERS_DEFAULTS;
  const result = await runTiersBench(
    {
      vectors: envInteger('TIERS_VECTORS', base.vectors),
      dimension: envInteger('TIERS_DIMENSION', base.dimension),
      queries: envInteger('TIERS_QUERIES', base.queries),
      rounds: envInteger('TIERS_ROUNDS', base.rounds),
      latencyMs: envInteger('TIERS_GET_LATENCY_MS', base.latencyMs),
      seed: envInteger('TIERS_SEED', base.seed),
    },
    (line) => console.error(line),
  );
  console.log(formatTiersReport(result));
}
