/**
 * Crash recovery while compaction re-partitions: a child process writes to a store with several
 * writes in flight while compaction partitions in a loop, and is killed with SIGKILL after a seeded
 * number of acknowledgements; the parent reopens the store and checks every acknowledged write and
 * that no deleted id came back (the harness: crash-recovery-support.ts).
 */

import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/store.ts';
import { CRASH_COLLECTION } from '../helpers/crash-workload.ts';
import { useCrashHarness } from './crash-recovery-support.ts';

const { killRepeatedly } = useCrashHarness();

describe('crash recovery while compaction re-partitions', () => {
  it('keeps every acknowledged write and no deleted id through 10 SIGKILLs while compaction re-partitions', async () => {
    const { dir } = await killRepeatedly('fsync-repartition', 10);
    const store = await openStore({ dir });
    // The kills landed on a collection that compaction did partition.
    expect(store.collection(CRASH_COLLECTION).stats().partitions.count).toBeGreaterThan(0);
    await store.close();
  }, 360_000);
});
