/**
 * A segment's local files that fail their check on open: a damaged cache when the object store holds
 * the segment (downloads are not fsynced, so a crash may tear them), removed and downloaded again;
 * real damage when the segment exists only on local disk, refused with CORRUPT_DATA.
 */

import { readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors.ts';
import { expectTierVecError } from '../../../helpers/storage-fixtures.ts';
import { range, tiersOf, useTieredStores } from './tiering-fixtures.ts';

const stores = useTieredStores('tiervec-damaged-cache-');

/** Every `.arrow` file under `dir`. */
async function arrowFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.arrow'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('A damaged local segment file on open', () => {
  it('is removed and the segment downloaded again when the object store holds it', async () => {
    const first = await stores.open();
    await first.docs.insert(range(0, 20));
    await first.docs.flush();
    await first.docs.publish();
    await first.store.close();
    const [file] = await arrowFiles(first.dir);
    await truncate(file as string, 100);

    const again = await stores.open({
      dir: first.dir,
      objectStore: first.mock,
      clock: first.clock,
      create: false,
    });
    expect(again.warnings.map((warning) => warning.code)).toEqual(['DAMAGED_CACHE_REMOVED']);
    expect(tiersOf(again.docs)).toEqual(['cold']);
    expect(again.docs.stats().vectors).toBe(20);
    expect(await again.docs.get('d7')).toMatchObject({ id: 'd7', metadata: { i: 7 } });
    expect((await again.docs.search(range(3, 4)[0]?.vector as Float32Array, { k: 1 }))[0]?.id).toBe('d3');
    await again.store.close();
  });

  it('is refused with CORRUPT_DATA when the segment exists only on local disk', async () => {
    const first = await stores.open({ uploads: { retry: { attemptsMax: 1 } } });
    await first.docs.insert(range(0, 5));
    first.mock.partition('ServiceUnavailable');
    await first.docs.flush();
    await first.store.close();
    first.mock.heal();
    const [file] = await arrowFiles(first.dir);
    await truncate(file as string, 100);

    await expectTierVecError(
      () => stores.open({ dir: first.dir, objectStore: first.mock, clock: first.clock, create: false }),
      ErrorCode.CORRUPT_DATA,
      'does not match its recorded size and CRC-32',
    );
  });
});
