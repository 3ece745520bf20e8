import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { openStore } from '../../../../src/storage/store.ts';
import { resolveTieringOptions, TIERING_DEFAULTS } from '../../../../src/storage/tiering/tiering-options.ts';
import { expectTierVecError, useTempDirs } from '../../../helpers/storage-fixtures.ts';

const temp = useTempDirs('tiervec-tiering-options-');

describe('tiering options', () => {
  it('has one frozen set of defaults with units', () => {
    expect(Object.isFrozen(TIERING_DEFAULTS)).toBe(true);
    expect(TIERING_DEFAULTS).toEqual({
      hotBytesMax: 1_073_741_824,
      warmBytesMax: 17_179_869_184,
      hotIdleMs: 600_000,
      warmIdleMs: 86_400_000,
      promotionsConcurrentMax: 4,
      publishRetryMs: 30_000,
    });
    expect(resolveTieringOptions(undefined)).toEqual(TIERING_DEFAULTS);
    expect(resolveTieringOptions({ hotBytesMax: 0, hotIdleMs: 5 })).toMatchObject({
      hotBytesMax: 0,
      hotIdleMs: 5,
    });
  });

  it.each([
    ['a negative budget', { hotBytesMax: -1 }, 'tiering.hotBytesMax'],
    ['a fractional idle time', { warmIdleMs: 1.5 }, 'tiering.warmIdleMs'],
    ['no promotions at all', { promotionsConcurrentMax: 0 }, 'tiering.promotionsConcurrentMax'],
    ['an unknown option', { coldBytesMax: 1 }, '`coldBytesMax`'],
  ])('refuses %s with INVALID_ARGUMENT, in openStore too', async (_, tiering, mentions) => {
    await expectTierVecError(() => resolveTieringOptions(tiering), ErrorCode.INVALID_ARGUMENT, mentions);
    const dir = await temp.make();
    await expectTierVecError(
      () => openStore({ dir, tiering: tiering as never }),
      ErrorCode.INVALID_ARGUMENT,
      mentions,
    );
  });

  it('refuses bad uploader options through openStore with INVALID_ARGUMENT', async () => {
    await expectTierVecError(
      async () => openStore({ dir: await temp.make(), uploads: { concurrencyMax: 0 } }),
      ErrorCode.INVALID_ARGUMENT,
      'concurrencyMax',
    );
    await expectTierVecError(
      async () => openStore({ dir: await temp.make(), uploads: { bogus: 1 } as never }),
      ErrorCode.INVALID_ARGUMENT,
      'bogus',
    );
  });
});
