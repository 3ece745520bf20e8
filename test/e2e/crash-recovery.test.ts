/**
 * Crash recovery: a child process writes to a store with several writes in flight and is killed with
 * SIGKILL after a seeded number of acknowledgements (or at a seeded point inside a compaction); the
 * parent reopens the store and checks every acknowledged write and that no deleted id came back
 * (the harness: crash-recovery-support.ts).
 */

import { describe, it } from 'vitest';
import { useCrashHarness } from './crash-recovery-support.ts';

const { killRepeatedly } = useCrashHarness();

describe('crash recovery', () => {
  it('keeps every acknowledged write through 20 SIGKILLs at seeded moments (fsync durability)', async () => {
    await killRepeatedly('fsync', 20);
  }, 360_000);

  it('keeps every acknowledged write through 4 SIGKILLs with buffered durability (the page cache survives the process)', async () => {
    await killRepeatedly('buffered', 4);
  }, 120_000);
});
