/**
 * `collection.warm()`, the pre-load hint: on a partitioned collection whose segments are all cold in
 * a mock S3, warming by queries makes those queries' searches issue no GET; warming by partitions
 * loads them into memory most wanted first as far as the hot budget allows, leaves the rest on local
 * disk (or, beyond the warm budget, cold), and the budgets hold; every bad input is refused with a
 * typed error before anything moves.
 */

import { describe, expect, it } from 'vitest';
import { generateVectors } from '../../../../src/datasets/vector-generator.ts';
import { ErrorCode } from '../../../../src/errors.ts';
import type { MockS3ObjectStore } from '../../../../src/object-store/testing/mock-s3.ts';
import type { Collection } from '../../../../src/storage/collection.ts';
import { PARTITION_DEFAULTS } from '../../../../src/storage/partition/partition-defaults.ts';
import type { RoutingIndex } from '../../../../src/storage/partition/routing-index.ts';
import { WARM_LIMITS } from '../../../../src/storage/partition/warm-target.ts';
import { norm } from '../../../../src/storage/segment/distance.ts';
import type { TierEvent } from '../../../../src/storage/tiering/tier-accounting.ts';
import type { TieringOptions } from '../../../../src/storage/tiering/tiering-options.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';
import { tiersOf, useTieredStores } from '../tiering/tiering-fixtures.ts';
import { remoteRouting } from './remote-routing.ts';

const SEED = 1_213;
const DIMENSION = 8;
const stores = useTieredStores('tiervec-warm-');
const vectors = generateVectors({ seed: SEED, dimension: DIMENSION, clusters: 16, count: 1_600 });

type Tiered = Awaited<ReturnType<typeof stores.open>>;
type Source = Pick<Tiered, 'mock' | 'clock'>;

async function fill(docs: Collection, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 200) {
    const slice = vectors.slice(start, Math.min(to, start + 200));
    await docs.insert(
      slice.map((vector, i) => ({ id: `d${start + i}`, vector, metadata: { i: start + i } })),
    );
  }
  await docs.flush();
}

/**
 * A mock S3 holding a published collection: 1,400 rows in 14 partitions, and one segment of 200 rows
 * sealed after the partitioning (not partitioned yet).
 */
async function publishedPartitioned(): Promise<Source> {
  const first = await stores.open({ segmentVectorsMax: 200 });
  await fill(first.docs, 0, 1_400);
  await first.docs.compact({ partitionRowsMin: 1_000, targetPartitionRows: 100 });
  await fill(first.docs, 1_400, 1_600);
  const partitions = first.docs.stats().partitions;
  expect(partitions.count).toBe(14);
  expect(partitions.unpartitionedSegments).toBe(1);
  await first.docs.publish();
  await first.store.close();
  return { mock: first.mock, clock: first.clock };
}

/** A store on an empty directory over `source`: the routing index in memory, every segment cold. */
async function openCold(source: Source, tiering?: TieringOptions): Promise<Tiered> {
  const opened = await stores.open({ objectStore: source.mock, clock: source.clock, create: false, tiering });
  expect(new Set(tiersOf(opened.docs))).toEqual(new Set(['cold']));
  return opened;
}

/** Expected memory and file bytes, and segment count, of partition `p` in `docs`. */
function partitionSize(docs: Collection, routing: RoutingIndex, p: number) {
  const ids = new Set(routing.partitions[p]?.segmentIds);
  const segments = docs.sealedSegments().filter((segment) => ids.has(segment.id));
  return {
    segments: segments.length,
    memoryBytes: segments.reduce((sum, s) => sum + s.memoryBytesExpected(), 0),
    filesBytes: segments.reduce((sum, s) => sum + s.bytes().filesBytes, 0),
  };
}

/** Segments and bytes in memory among the sealed segments (the active segment is outside the budget). */
function sealedHot(docs: Collection): { segments: number; bytes: number } {
  const hot = docs.stats().segments.filter((s) => s.state !== 'active' && s.tier === 'hot');
  return { segments: hot.length, bytes: hot.reduce((sum, s) => sum + s.bytes, 0) };
}

const getsSince = (mock: MockS3ObjectStore, from: number) =>
  mock.calls.slice(from).filter((call) => call.operation === 'get');

function nearestPartition(routing: RoutingIndex, vector: Float32Array): number {
  return routing.nearest(vector, norm(vector, 0, vector.length), 1)[0] as number;
}

describe('Collection.warm', () => {
  it('after warm({ queries }) the searches for those queries issue no GET, and the budgets hold', async () => {
    const source = await publishedPartitioned();
    const tiering = { hotBytesMax: 64 * 2 ** 20, warmBytesMax: 64 * 2 ** 20 };
    const { store, docs, mock } = await openCold(source, tiering);
    const events: TierEvent[] = [];
    docs.onTierEvent((event) => events.push(event));
    const queries = [vectors[3], vectors[501], vectors[1_207]] as Float32Array[];

    const result = await docs.warm({ queries, nprobe: 2 });
    expect(result.partitions.length).toBeGreaterThanOrEqual(2);
    expect(result.partitions.length).toBeLessThanOrEqual(6);
    expect(result.partitionsHot).toEqual(result.partitions);
    // The probed partitions' segments and the one not yet partitioned, all fetched and loaded.
    expect(result.segments).toBeGreaterThan(result.partitions.length);
    expect(result).toMatchObject({
      hot: result.segments,
      fetched: result.segments,
      leftWarm: 0,
      leftCold: 0,
    });
    expect(result.fetchedBytes).toBeGreaterThan(0);
    const warmEvents = events.filter((e) => e.type === 'transition' && e.reason === 'warm');
    expect(warmEvents.length).toBe(2 * result.segments);

    const before = mock.calls.length;
    for (const query of queries) await docs.search(query, { k: 10, nprobe: 2 });
    expect(getsSince(mock, before)).toEqual([]);
    const stats = docs.stats();
    // Of the 2 probed partitions, one may be skipped by its bound.
    expect(stats.searches.last.partitionsProbed + stats.searches.last.partitionsSkipped).toBe(2);
    expect(sealedHot(docs)).toEqual({ segments: result.segments, bytes: result.hotBytes });
    expect(result.hotBytes).toBeLessThanOrEqual(tiering.hotBytesMax);
    // The other partitions were left alone.
    expect(stats.tiers.warm.segments).toBe(0);
    expect(stats.tiers.cold.segments).toBe(stats.segments.length - 1 - result.segments);
    await store.close();
  });

  it('warm({ partitions }) loads them in the order given as far as the hot budget allows; the rest stays warm, then cold', async () => {
    const source = await publishedPartitioned();
    const routing = remoteRouting(source.mock, DIMENSION);
    const sizing = await openCold(source);
    const [a, b, c, d] = [5, 2, 9, 12].map((p) => partitionSize(sizing.docs, routing, p));
    await sizing.store.close();
    if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('sizes');
    // Room in memory for partitions 5 and 2 and half of 9; on disk for 9 and half of 12.
    const tiering = {
      hotBytesMax: a.memoryBytes + b.memoryBytes + Math.floor(c.memoryBytes / 2),
      warmBytesMax: c.filesBytes + Math.floor(d.filesBytes / 2),
    };
    const { store, docs } = await openCold(source, tiering);

    const result = await docs.warm({ partitions: [5, 2, 9, 12, 5] });
    expect(result).toEqual({
      partitions: [5, 2, 9, 12],
      partitionsHot: [5, 2],
      segments: a.segments + b.segments + c.segments + d.segments,
      hot: a.segments + b.segments,
      hotBytes: a.memoryBytes + b.memoryBytes,
      leftWarm: c.segments,
      leftCold: d.segments,
      fetched: a.segments + b.segments + c.segments,
      fetchedBytes: a.filesBytes + b.filesBytes + c.filesBytes,
    });
    const stats = docs.stats();
    expect(sealedHot(docs)).toEqual({ segments: result.hot, bytes: result.hotBytes });
    expect(result.hotBytes).toBeLessThanOrEqual(tiering.hotBytesMax);
    expect(stats.tiers.warm.bytes).toBeLessThanOrEqual(tiering.warmBytesMax);
    expect(stats.tiers.warm.segments).toBe(c.segments);
    await store.close();
  });

  it('warm({ queries }) warms the most requested partition first when the hot budget holds one', async () => {
    const source = await publishedPartitioned();
    const routing = remoteRouting(source.mock, DIMENSION);
    const partitionOf = vectors.slice(0, 1_400).map((vector) => nearestPartition(routing, vector));
    const popular = partitionOf[0] as number;
    const twin = partitionOf.findIndex((p, i) => i > 0 && p === popular);
    const other = partitionOf.findIndex((p) => p !== popular);
    const rare = partitionOf[other] as number;
    const sizing = await openCold(source);
    const sizes = [popular, rare].map((p) => partitionSize(sizing.docs, routing, p));
    const unpartitioned = sizing.docs
      .sealedSegments()
      .filter((segment) => routing.partitionOf(segment.id) === undefined);
    expect(unpartitioned.length).toBe(1);
    const unpartitionedBytes = unpartitioned[0]?.memoryBytesExpected() as number;
    await sizing.store.close();
    const [hot, next] = sizes as [(typeof sizes)[0], (typeof sizes)[0]];
    // Every search reads the unpartitioned segment: it comes first, then the popular partition.
    const tiering = { hotBytesMax: unpartitionedBytes + hot.memoryBytes + Math.floor(next.memoryBytes / 2) };
    const { store, docs } = await openCold(source, tiering);

    // The rare query comes first, yet the partition two queries probe is loaded first.
    const queries = [vectors[other], vectors[0], vectors[twin]] as Float32Array[];
    const result = await docs.warm({ queries, nprobe: 1 });
    expect(result.partitions).toEqual([popular, rare]);
    expect(result.partitionsHot).toEqual([popular]);
    expect(result.hot).toBe(1 + hot.segments);
    expect(result.leftWarm).toBe(next.segments);
    expect(sealedHot(docs).bytes).toBeLessThanOrEqual(tiering.hotBytesMax);
    await store.close();
  });

  it('on a collection not yet partitioned, warm({ queries }) and warm({ all }) cover every sealed segment', async () => {
    const { store, docs, mock } = await stores.open({ segmentVectorsMax: 200 });
    await fill(docs, 0, 800);
    await docs.publish();
    await docs.setTier('cold');
    expect(tiersOf(docs)).toEqual(['cold', 'cold', 'cold', 'cold']);
    await expectTierVecError(
      () => docs.warm({ partitions: [0] }),
      ErrorCode.INVALID_ARGUMENT,
      'not partitioned',
    );
    const query = vectors[10] as Float32Array;
    const result = await docs.warm({ queries: [query] });
    expect(result).toMatchObject({ partitions: [], partitionsHot: [], segments: 4, hot: 4, fetched: 4 });
    const before = mock.calls.length;
    await docs.search(query, { k: 5 });
    expect(getsSince(mock, before)).toEqual([]);
    await docs.setTier('warm');
    expect(await docs.warm({ all: true })).toMatchObject({
      segments: 4,
      hot: 4,
      fetched: 0,
      fetchedBytes: 0,
    });
    expect(tiersOf(docs)).toEqual(['hot', 'hot', 'hot', 'hot']);
    await store.close();
  });

  it('warm({ all }) on a partitioned collection covers the unpartitioned segment and every partition', async () => {
    const source = await publishedPartitioned();
    const { store, docs } = await openCold(source, { hotBytesMax: 64 * 2 ** 20 });
    const result = await docs.warm({ all: true });
    expect(result.partitions).toEqual(Array.from({ length: 14 }, (_, p) => p));
    expect(result.partitionsHot).toEqual(result.partitions);
    expect(result.segments).toBe(docs.sealedSegments().length);
    expect(new Set(tiersOf(docs))).toEqual(new Set(['hot']));
    await store.close();
  });

  it('rejects with the typed error of a failed download and holds nothing afterwards', async () => {
    const source = await publishedPartitioned();
    const { store, docs, mock } = await openCold(source);
    const events: TierEvent[] = [];
    docs.onTierEvent((event) => events.push(event));
    expect(await docs.warm({ partitions: [0] })).toMatchObject({ partitionsHot: [0] });
    mock.partition('AccessDenied', { operations: ['get'] });
    await expectTierVecError(() => docs.warm({ partitions: [0, 1] }), ErrorCode.OBJECT_STORE, 'AccessDenied');
    expect(events.some((e) => e.type === 'promotion-failed' && e.reason === 'warm')).toBe(true);
    mock.heal();
    // Partition 0 was held during the failed call and released: it can be demoted again.
    const demoted = await docs.setTier('warm');
    expect(demoted.held).toBe(0);
    expect(new Set(tiersOf(docs))).toEqual(new Set(['warm']));
    await store.close();
  });

  it('starts nothing more once its signal aborts, rejects with the reason and holds nothing', async () => {
    const source = await publishedPartitioned();
    const { store, docs } = await openCold(source, { promotionsConcurrentMax: 1 });
    const controller = new AbortController();
    const reason = new Error('traffic arrived');
    docs.onTierEvent((event) => {
      if (event.type === 'transition' && event.to === 'hot') controller.abort(reason);
    });
    const all = Array.from({ length: 14 }, (_, p) => p);
    await expect(docs.warm({ partitions: all, signal: controller.signal })).rejects.toBe(reason);
    expect(tiersOf(docs).filter((tier) => tier !== 'cold')).toEqual(['hot']);
    expect((await docs.setTier('warm')).held).toBe(0);
    await store.close();
  });

  it('refuses bad options with a typed error naming the input, and moves or fetches nothing', async () => {
    const source = await publishedPartitioned();
    const { store, docs, mock } = await openCold(source);
    const before = mock.calls.length;
    const query = vectors[0] as Float32Array;
    const bad: [unknown, ErrorCode, string][] = [
      [undefined, ErrorCode.INVALID_ARGUMENT, 'warm options'],
      [[0, 1], ErrorCode.INVALID_ARGUMENT, 'warm options'],
      [{}, ErrorCode.INVALID_ARGUMENT, 'exactly one of'],
      [{ partitions: [0], queries: [query] }, ErrorCode.INVALID_ARGUMENT, '`partitions` and `queries`'],
      [{ partitions: [0], all: true }, ErrorCode.INVALID_ARGUMENT, 'exactly one of'],
      [{ all: false }, ErrorCode.INVALID_ARGUMENT, '`all` to be true'],
      [{ partitions: [0], nprobe: 2 }, ErrorCode.INVALID_ARGUMENT, '`nprobe` only together with `queries`'],
      [{ segments: ['x'] }, ErrorCode.INVALID_ARGUMENT, 'Unknown option `segments`'],
      [{ all: true, signal: 'stop' }, ErrorCode.INVALID_ARGUMENT, '`signal` to be an AbortSignal'],
      [{ partitions: 3 }, ErrorCode.INVALID_ARGUMENT, 'non-empty array of partition numbers from 0 to 13'],
      [{ partitions: [] }, ErrorCode.INVALID_ARGUMENT, 'non-empty array'],
      [{ partitions: [0, 14] }, ErrorCode.INVALID_ARGUMENT, 'from 0 to 13, got 14'],
      [{ partitions: [-1] }, ErrorCode.INVALID_ARGUMENT, 'got -1'],
      [{ partitions: [1.5] }, ErrorCode.INVALID_ARGUMENT, 'got 1.5'],
      [{ partitions: ['1'] }, ErrorCode.INVALID_ARGUMENT, 'got "1"'],
      [{ queries: query }, ErrorCode.INVALID_ARGUMENT, '`queries` to be a non-empty array'],
      [{ queries: [] }, ErrorCode.INVALID_ARGUMENT, '`queries`'],
      [
        { queries: Array.from({ length: WARM_LIMITS.queriesMax + 1 }, () => query) },
        ErrorCode.INVALID_ARGUMENT,
        `at most ${WARM_LIMITS.queriesMax}`,
      ],
      [{ queries: [query, new Float32Array(DIMENSION + 1)] }, ErrorCode.DIMENSION_MISMATCH, '`queries[1]`'],
      [{ queries: ['x'] }, ErrorCode.INVALID_VECTOR, '`queries[0]`'],
      [{ queries: [[1, 2, 3, 4, 5, 6, 7, Number.NaN]] }, ErrorCode.INVALID_VECTOR, '`queries[0]`'],
      [{ queries: [query], nprobe: 0 }, ErrorCode.INVALID_ARGUMENT, '`nprobe`'],
      [{ queries: [query], nprobe: 1.5 }, ErrorCode.INVALID_ARGUMENT, '`nprobe`'],
      [
        { queries: [query], nprobe: PARTITION_DEFAULTS.nprobeMax + 1 },
        ErrorCode.INVALID_ARGUMENT,
        '`nprobe`',
      ],
    ];
    for (const [options, code, message] of bad) {
      await expectTierVecError(() => docs.warm(options as never), code, message);
    }
    expect(mock.calls.length).toBe(before);
    expect(new Set(tiersOf(docs))).toEqual(new Set(['cold']));
    expect(docs.stats().transitions.coldToWarm).toBe(0);
    await store.close();
  });
});
