import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import type { TierEvent } from '../../../../src/storage/tiering/tier-accounting.ts';
import { expectTierVecError, seededVector } from '../../../helpers/storage-fixtures.ts';
import { doc, expectTiers, range, tiersOf, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores();

/** Memory bytes of one hot 20-row segment and file bytes of one warm one, measured in a scratch store. */
async function segmentSizes(): Promise<{ hotBytes: number; fileBytes: number }> {
  const { store, docs } = await stores.open();
  await docs.insert(range(0, 20));
  await docs.flush();
  const hotBytes = docs.stats().segments[0]?.bytes as number;
  await docs.setTier('warm');
  const fileBytes = docs.stats().segments[0]?.bytes as number;
  await store.close();
  return { hotBytes, fileBytes };
}

function sealedHotBytes(
  stats: ReturnType<import('../../../../src/storage/collection.ts').Collection['stats']>,
) {
  return stats.segments
    .filter((segment) => segment.state !== 'active' && segment.tier === 'hot')
    .reduce((sum, segment) => sum + segment.bytes, 0);
}

describe('Tier budgets', () => {
  it('keeps at most hotBytesMax of sealed segments in memory, demoting the least recently used', async () => {
    const { hotBytes } = await segmentSizes();
    const hotBytesMax = Math.floor(hotBytes * 2.5);
    const { store, docs } = await stores.open({ tiering: { hotBytesMax } });
    for (let s = 0; s < 3; s++) {
      await docs.insert(range(s * 20, s * 20 + 20));
      await docs.flush();
    }
    await expectTiers(docs, ['warm', 'hot', 'hot']);
    // Reading from the first segment promotes it; the least recently used is now the second.
    expect((await docs.get('d5'))?.id).toBe('d5');
    await expectTiers(docs, ['hot', 'warm', 'hot']);
    await docs.insert(range(60, 80));
    await docs.flush();
    await expectTiers(docs, ['hot', 'warm', 'warm', 'hot']);
    const stats = docs.stats();
    expect(sealedHotBytes(stats)).toBeLessThanOrEqual(hotBytesMax);
    expect(stats.transitions).toMatchObject({ hotToWarm: 3, warmToHot: 1, warmToCold: 0, coldToWarm: 0 });
    expect(stats.transitions.bytesMoved.hotToWarm).toBeGreaterThan(2 * hotBytes);
    await store.close();
  });

  it('sends the least recently used warm segments cold past warmBytesMax, but only once published', async () => {
    const { fileBytes } = await segmentSizes();
    const { store, docs, mock, clock } = await stores.open({
      tiering: { hotBytesMax: 0, warmBytesMax: Math.floor(fileBytes * 1.5) },
      uploads: { retry: { attemptsMax: 1 }, seed: 3 },
    });
    mock.partition('ServiceUnavailable');
    for (let s = 0; s < 3; s++) {
      await docs.insert(range(s * 20, s * 20 + 20));
      await docs.flush();
    }
    await expectTierVecError(() => docs.publish(), ErrorCode.OBJECT_STORE);
    // Over the warm budget, yet nothing is durable in the object store: everything stays on disk.
    await expectTiers(docs, ['warm', 'warm', 'warm']);
    expect(docs.stats().tiering.remote).toMatchObject({ pending: true });
    expect(docs.stats().tiering.remote.version ?? 0).toBeLessThanOrEqual(1);
    mock.heal();
    await clock.advance(60_000);
    // The retry timer may have published meanwhile (publishRetryMs passed); publish() confirms it.
    expect((await docs.publish()).version).toBeGreaterThanOrEqual(1);
    await expectTiers(docs, ['cold', 'cold', 'warm']);
    expect(docs.stats().tiers.warm.bytes).toBeLessThanOrEqual(Math.floor(fileBytes * 1.5));
    expect(docs.stats().transitions.warmToCold).toBe(2);
    await store.close();
  });

  it('demotes idle segments after hotIdleMs and warmIdleMs of the clock, and promotes them on access', async () => {
    const { store, docs, clock } = await stores.open({
      tiering: { hotIdleMs: 60_000, warmIdleMs: 3_600_000 },
    });
    const events: TierEvent[] = [];
    docs.onTierEvent((event) => events.push(event));
    await docs.insert(range(0, 20));
    await docs.flush();
    await docs.publish();
    await clock.advance(59_000);
    await expectTiers(docs, ['hot']);
    await clock.advance(1_000);
    await expectTiers(docs, ['warm']);
    await clock.advance(3_539_999);
    await expectTiers(docs, ['warm']);
    await clock.advance(1);
    await expectTiers(docs, ['cold']);
    const hits = await docs.search(seededVector(3, 8), { k: 3 });
    expect(hits[0]?.id).toBe('d2');
    expect(tiersOf(docs)).toEqual(['hot']);
    expect(
      events.map((event) => event.type === 'transition' && [event.from, event.to, event.reason]),
    ).toEqual([
      ['hot', 'warm', 'idle'],
      ['warm', 'cold', 'idle'],
      ['cold', 'warm', 'search'],
      ['warm', 'hot', 'search'],
    ]);
    expect(docs.stats().transitions).toMatchObject({
      hotToWarm: 1,
      warmToCold: 1,
      coldToWarm: 1,
      warmToHot: 1,
    });
    expect(docs.stats().transitions.promotionMs.count).toBe(1);
    await store.close();
  });

  it('keeps a pinned collection hot whatever the budget, and hands it back on unpin', async () => {
    const { store, docs } = await stores.open({ tiering: { hotBytesMax: 0 } });
    await docs.insert(range(0, 20));
    await docs.insert(range(20, 40));
    await docs.flush();
    await expectTiers(docs, ['warm', 'warm']);
    await docs.pin();
    expect(tiersOf(docs)).toEqual(['hot', 'hot']);
    await docs.insert(range(40, 60));
    await docs.flush();
    await docs.search(seededVector(1, 8));
    await expectTiers(docs, ['hot', 'hot', 'hot']);
    expect(docs.stats().tiering.pinned).toBe(true);
    expect((await docs.setTier('warm')).held).toBe(3);
    docs.unpin();
    await expectTiers(docs, ['warm', 'warm', 'warm']);
    await store.close();
  });
});

describe('Tier control and promotion', () => {
  it('answers exact searches identically from hot, warm and cold segments, tombstones included', async () => {
    const { store, docs } = await stores.open();
    for (let s = 0; s < 3; s++) await docs.insert(range(s * 20, s * 20 + 20));
    await docs.flush();
    await docs.delete(['d3', 'd25']);
    await docs.upsert([{ ...doc(44), vector: seededVector(999, 8) }]);
    await docs.insert(range(60, 70));
    await docs.publish();
    const queries = [1, 2, 3, 4, 5].map((q) => seededVector(500 + q, 8));
    const answers = () => Promise.all(queries.map((q) => docs.search(q, { k: 12, exact: true })));
    const hot = await answers();
    expect(hot.flat().map((hit) => hit.id)).not.toContain('d3');
    expect(await docs.setTier('warm')).toEqual({ tier: 'warm', segments: 3, moved: 3, held: 0 });
    expect(tiersOf(docs)).toEqual(['warm', 'warm', 'warm']);
    expect(await answers()).toEqual(hot);
    expect(await docs.setTier('cold')).toEqual({ tier: 'cold', segments: 3, moved: 3, held: 0 });
    expect(tiersOf(docs)).toEqual(['cold', 'cold', 'cold']);
    expect(docs.stats().tiers.cold).toMatchObject({ segments: 3, vectors: 57 });
    expect(await answers()).toEqual(hot);
    await docs.setTier('cold');
    expect(await docs.get('d30')).toMatchObject({ id: 'd30', metadata: { i: 30 } });
    expect(await docs.get('d3')).toBeUndefined();
    expect(docs.stats().vectors).toBe(68);
    await store.close();
  });

  it('keeps HNSW recall at or above 0.95 after a round trip through cold, with the same answers', async () => {
    const { store } = await stores.open({ segmentVectorsMax: 2_000 });
    const docs = await store.createCollection({ name: 'recall', dimension: 32, metric: 'l2' });
    for (let from = 0; from < 2_000; from += 500) {
      await docs.insert(
        Array.from({ length: 500 }, (_, k) => ({
          id: `v${from + k}`,
          vector: seededVector(10_000 + from + k, 32),
        })),
      );
    }
    await docs.flush();
    await docs.publish();
    const queries = Array.from({ length: 40 }, (_, q) => seededVector(90_000 + q, 32));
    const run = () => Promise.all(queries.map((q) => docs.search(q, { k: 10, ef: 64 })));
    const before = await run();
    await docs.setTier('cold');
    expect(tiersOf(docs)).toEqual(['cold']);
    const after = await run();
    expect(after).toEqual(before);
    let found = 0;
    for (const [q, query] of queries.entries()) {
      const exact = new Set((await docs.search(query, { k: 10, exact: true })).map((hit) => hit.id));
      found += (after[q] ?? []).filter((hit) => exact.has(hit.id)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    await store.close();
  });

  it('shares one promotion among concurrent searches that need the same cold segment', async () => {
    const { store, docs, mock } = await stores.open();
    await docs.insert(range(0, 20));
    await docs.flush();
    await docs.publish();
    await docs.setTier('cold');
    const gets = () =>
      mock.calls.filter((call) => call.operation === 'get' && call.key.endsWith('.arrow')).length;
    const before = gets();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => docs.search(seededVector(7, 8), { k: 1 })),
    );
    expect(results.map((hits) => hits[0]?.id)).toEqual(Array(6).fill('d6'));
    expect(gets() - before).toBe(1);
    expect(docs.stats().transitions).toMatchObject({ coldToWarm: 1, warmToHot: 1 });
    await store.close();
  });

  it('rejects a failed promotion with a typed error and leaves the segment cold', async () => {
    const { store, docs, mock, dir } = await stores.open({ uploads: { retry: { attemptsMax: 1 } } });
    const events: TierEvent[] = [];
    docs.onTierEvent((event) => events.push(event));
    await docs.insert(range(0, 20));
    await docs.flush();
    await docs.publish();
    await docs.setTier('cold');
    mock.partition('InternalError', { operations: ['get'] });
    const error = await expectTierVecError(() => docs.search(seededVector(2, 8)), ErrorCode.OBJECT_STORE);
    expect(error.message).toContain('stays cold');
    await expectTierVecError(() => docs.get('d1'), ErrorCode.OBJECT_STORE);
    expect(tiersOf(docs)).toEqual(['cold']);
    const segmentsDir = join(dir, 'tenants', 'default', 'collections', 'docs', 'segments');
    expect(await readdir(segmentsDir)).toEqual([]);
    expect(events.filter((event) => event.type === 'promotion-failed')).toHaveLength(2);
    expect(docs.stats().tiering.promotionFailures).toBe(2);
    mock.heal();
    expect((await docs.search(seededVector(2, 8), { k: 1 }))[0]?.id).toBe('d1');
    expect(tiersOf(docs)).toEqual(['hot']);
    await store.close();
  });

  it('refuses an unknown tier with INVALID_ARGUMENT and changes nothing', async () => {
    const { store, docs } = await stores.open();
    await docs.insert(range(0, 20));
    await docs.flush();
    await expectTierVecError(
      () => docs.setTier('lukewarm' as never),
      ErrorCode.INVALID_ARGUMENT,
      "'hot', 'warm' or 'cold'",
    );
    expect(tiersOf(docs)).toEqual(['hot']);
    await store.close();
  });
});
