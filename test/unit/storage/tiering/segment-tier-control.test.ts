import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { expectTierVecError, seededVector } from '../../../helpers/storage-fixtures.ts';
import { range, tiersOf, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-segment-tier-');

/** A published collection of three sealed 20-row segments, all hot, and their ids in order. */
async function threeSegments() {
  const tiered = await stores.open();
  for (let s = 0; s < 3; s++) {
    await tiered.docs.insert(range(s * 20, s * 20 + 20));
    await tiered.docs.flush();
  }
  await tiered.docs.publish();
  const ids = tiered.docs
    .stats()
    .segments.filter((segment) => segment.state === 'sealed')
    .map((segment) => segment.id);
  return { ...tiered, ids };
}

describe('Segment-level tier control', () => {
  it('moves only the named segment down to warm and cold, and back to hot, counting each transition', async () => {
    const { store, docs, ids } = await threeSegments();
    expect(tiersOf(docs)).toEqual(['hot', 'hot', 'hot']);
    const middle = ids[1] as string;
    expect(await docs.setTier('warm', { segments: [middle] })).toEqual({
      tier: 'warm',
      segments: 1,
      moved: 1,
      held: 0,
    });
    expect(tiersOf(docs)).toEqual(['hot', 'warm', 'hot']);
    expect(await docs.setTier('cold', { segments: [middle] })).toMatchObject({ moved: 1, held: 0 });
    expect(tiersOf(docs)).toEqual(['hot', 'cold', 'hot']);
    expect(docs.stats().tiers.cold).toMatchObject({ segments: 1, vectors: 20 });
    expect(await docs.setTier('hot', { segments: [middle] })).toMatchObject({ moved: 1, held: 0 });
    expect(tiersOf(docs)).toEqual(['hot', 'hot', 'hot']);
    expect(docs.stats().transitions).toMatchObject({
      hotToWarm: 1,
      warmToCold: 1,
      coldToWarm: 1,
      warmToHot: 1,
    });
    // The segment came back whole: its documents are found by id and by search.
    expect(await docs.get('d25')).toMatchObject({ id: 'd25', metadata: { i: 25 } });
    expect((await docs.search(seededVector(26, 8), { k: 1, exact: true }))[0]?.id).toBe('d25');
    await store.close();
  });

  it('sends a hot segment straight to cold and leaves the others hot', async () => {
    const { store, docs, ids } = await threeSegments();
    const result = await docs.setTier('cold', { segments: [ids[0] as string, ids[2] as string] });
    expect(result).toEqual({ tier: 'cold', segments: 2, moved: 2, held: 0 });
    expect(tiersOf(docs)).toEqual(['cold', 'hot', 'cold']);
    expect(docs.stats().transitions).toMatchObject({ hotToWarm: 2, warmToCold: 2, coldToWarm: 0 });
    await store.close();
  });

  it('refuses an unknown segment id with INVALID_ARGUMENT naming it, and moves nothing', async () => {
    const { store, docs, ids } = await threeSegments();
    const error = await expectTierVecError(
      () => docs.setTier('cold', { segments: [ids[0] as string, 'no-such-segment'] }),
      ErrorCode.INVALID_ARGUMENT,
      'no-such-segment',
    );
    expect(error.details).toMatchObject({ option: 'segments', segmentId: 'no-such-segment' });
    expect(tiersOf(docs)).toEqual(['hot', 'hot', 'hot']);
    expect(docs.stats().transitions).toMatchObject({ hotToWarm: 0, warmToCold: 0 });
    await store.close();
  });

  it('refuses the active segment, which has no tier of its own, with INVALID_ARGUMENT', async () => {
    const { store, docs } = await threeSegments();
    await docs.insert(range(60, 65));
    const active = docs.stats().segments.find((segment) => segment.state === 'active')?.id as string;
    await expectTierVecError(
      () => docs.setTier('warm', { segments: [active] }),
      ErrorCode.INVALID_ARGUMENT,
      active,
    );
    expect(tiersOf(docs)).toEqual(['hot', 'hot', 'hot']);
    await store.close();
  });

  it('refuses malformed options with INVALID_ARGUMENT and moves nothing', async () => {
    const { store, docs, ids } = await threeSegments();
    const bad: unknown[] = [
      { segments: [] },
      { segments: 'abc' },
      { segments: [ids[0], 7] },
      { segment: ids[0] },
      'all',
    ];
    for (const options of bad) {
      await expectTierVecError(() => docs.setTier('cold', options as never), ErrorCode.INVALID_ARGUMENT);
    }
    expect(tiersOf(docs)).toEqual(['hot', 'hot', 'hot']);
    await store.close();
  });
});
