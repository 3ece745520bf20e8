/**
 * Every seed that ever failed, named after what it found. Seeds that find a defect still open are
 * `it.fails` (they pass while the defect is there; when it is fixed they fail, and become plain
 * `it`). Replay any of them with `npm run simulate -- --seed S`.
 */

import { describe, expect, it } from 'vitest';
import { isSimulatedCrash } from '../../src/simulation/crash-switch.ts';
import { describeFailure } from '../../src/simulation/simulate-command.ts';
import { runSimulation } from '../../src/simulation/simulation-run.ts';
import {
  DAMAGED_DOWNLOAD,
  DEFECT_5,
  knownDefectOf,
  LSN_REUSE,
  MISSING_TOMBSTONE_FILE,
} from './known-defects.ts';

process.on('unhandledRejection', (reason) => {
  if (!isSimulatedCrash(reason)) throw reason;
});

async function expectSeedPasses(seed: number): Promise<void> {
  const result = await runSimulation(seed);
  expect(result.valid, describeFailure(result, {})).toBe(true);
}

async function expectSeedFinds(seed: number, defect: string): Promise<void> {
  const result = await runSimulation(seed);
  expect(knownDefectOf(result), describeFailure(result, {})).toBe(defect);
}

describe('simulation regressions', () => {
  it('seed 1 finds defect 5: an insert rejected with OBJECT_STORE is read back', async () => {
    await expectSeedFinds(1, DEFECT_5);
  });

  it.fails('seed 1 passes once defect 5 is fixed (a rejected write leaves no trace)', async () => {
    await expectSeedPasses(1);
  });

  it.fails('seed 657 passes once a delete rejected with CIRCUIT_OPEN no longer takes effect (defect 5)', async () => {
    await expectSeedPasses(657);
  });

  it.fails('seed 188 passes once a rejected delete no longer makes a later acknowledged delete a no-op that a crash undoes (defect 5)', async () => {
    await expectSeedPasses(188);
  });

  it('seed 216 finds that a crash-damaged downloaded segment file blocks opening', async () => {
    await expectSeedFinds(216, DAMAGED_DOWNLOAD);
  });

  it.fails('seed 216 passes once a damaged downloaded segment file is downloaded again on open', async () => {
    await expectSeedPasses(216);
  });

  it('seed 995 finds an LSN shared by an unacknowledged and an acknowledged write after a crash', async () => {
    await expectSeedFinds(995, LSN_REUSE);
  });

  it.fails('seed 995 passes once LSNs are never reused after a crash in object-store durability', async () => {
    await expectSeedPasses(995);
  });

  it('seed 178 finds a tombstone file missing on local disk after a recovery from the object store', async () => {
    await expectSeedFinds(178, MISSING_TOMBSTONE_FILE);
  });

  it.fails('seed 178 passes once a tombstone file the manifest names is always on local disk (or downloaded again)', async () => {
    await expectSeedPasses(178);
  });

  it('seed 972 passes: the checker takes a collection metric from a create whose answer was lost', async () => {
    await expectSeedPasses(972);
  });
});
