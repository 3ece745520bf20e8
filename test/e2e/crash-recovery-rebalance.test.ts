/**
 * Crash recovery inside partition splits and merges: a child process writes to a store with several
 * writes in flight and kills itself with SIGKILL at a seeded point inside a split or merge; the
 * parent reopens the store and checks every acknowledged write and that no deleted id came back
 * (the harness: crash-recovery-support.ts).
 */

import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/store.ts';
import { CRASH_COLLECTION } from '../helpers/crash-workload.ts';
import { useCrashHarness } from './crash-recovery-support.ts';

const { killRepeatedly } = useCrashHarness();

describe('crash recovery inside splits and merges', () => {
  it('keeps every acknowledged write and no deleted id through SIGKILLs at 10 seeded points inside partition splits and merges', async () => {
    // Rounds go on until 10 of them were killed inside a split or merge (a round that never reached
    // one ends after 400 acks), at most 14.
    const { dir, killPoints, splits, merges } = await killRepeatedly('fsync-rebalance', 14, 10);
    expect(killPoints.length, 'rounds killed inside a split or merge').toBeGreaterThanOrEqual(10);
    expect(
      killPoints.filter((point) => point.startsWith('split')).length,
      'kills inside splits',
    ).toBeGreaterThan(0);
    expect(
      killPoints.filter((point) => point.startsWith('merge')).length,
      'kills inside merges',
    ).toBeGreaterThan(0);
    console.log(`splits and merges of compactions that completed: ${splits}, ${merges}`);
    const store = await openStore({ dir });
    expect(store.collection(CRASH_COLLECTION).stats().partitions.count).toBeGreaterThan(0);
    await store.close();
  }, 400_000);
});
