/**
 * Every seed that ever failed, named after what it found. Seeds that find a defect still open are
 * `it.fails` (they pass while the defect is there; when it is fixed they fail, and become plain
 * `it`). Replay any of them with `npm run simulate -- --seed S`.
 *
 * The seeds found before the store's write path changed (object-store verdict before the local WAL,
 * manifest CRC and field checks, partitions) now pass: either their defect is gone (defect 5 is) or
 * the change moved what the seed does. They stay as plain regression tests; what they found is in
 * their names and in README "Reliability → Simulation".
 */

import { describe, expect, it } from 'vitest';
import { isSimulatedCrash } from '../../src/simulation/crash-switch.ts';
import { describeFailure } from '../../src/simulation/simulate-command.ts';
import { runSimulation } from '../../src/simulation/simulation-run.ts';

process.on('unhandledRejection', (reason) => {
  if (!isSimulatedCrash(reason)) throw reason;
});

async function expectSeedPasses(seed: number): Promise<void> {
  const result = await runSimulation(seed);
  expect(result.valid, describeFailure(result, {})).toBe(true);
}

describe('simulation regressions', () => {
  it('seed 17233 (found a deleted id back after a restart: a delete of an id not visible was not logged, so an earlier indeterminate upsert of it, stored though its answer was lost, replayed without it) passes', async () => {
    await expectSeedPasses(17233);
  });

  it('seed 18550 (found the same deleted-id-returned with two ids, after one crash) passes', async () => {
    await expectSeedPasses(18550);
  });

  it('seed 37 (found defect 5: a write rejected in object-store durability was read back) passes', async () => {
    await expectSeedPasses(37);
  });

  it('seed 9530 (found acknowledged deletes undone after crashes in object-store durability) passes', async () => {
    await expectSeedPasses(9530);
  });

  it('seed 178 (found a tombstone file missing on local disk after a recovery from the object store) passes', async () => {
    await expectSeedPasses(178);
  });

  it('seed 494 (found documents sealed by an acknowledged flush missing after crashes in buffered durability) passes', async () => {
    await expectSeedPasses(494);
  });

  it('seed 2219 (found an LSN shared by an unacknowledged and an acknowledged write after a crash) passes', async () => {
    await expectSeedPasses(2219);
  });

  it('seed 1304 (found a tombstone object that no longer matched its manifest after crashes) passes', async () => {
    await expectSeedPasses(1304);
  });

  it('seed 1397 (found a segment object overwritten by a new process: a dead process manifest naming it landed after the new process had imported the older one) passes', async () => {
    await expectSeedPasses(1397);
  });

  it('seed 19567 (found a tombstone object overwritten by a new process after a late manifest put) passes', async () => {
    await expectSeedPasses(19567);
  });

  it('seed 12121 (found an .hnsw object overwritten by a new process after a late manifest put, in fsync durability) passes', async () => {
    await expectSeedPasses(12121);
  });

  it('seed 11882 (found, in the 100,000-seed run, two WAL batches holding one LSN: a dead process batch landed after its successor numbered its writes; opening from the object store failed with a raw Error) passes', async () => {
    await expectSeedPasses(11882);
  });

  it('seed 316 (found a write rejected after several attempts read back: an earlier attempt had stored it) passes', async () => {
    await expectSeedPasses(316);
  });

  it('seed 846 (found a write rejected after several attempts read back, in object-store durability) passes', async () => {
    await expectSeedPasses(846);
  });

  it('seed 40 (found, once the directory lock went through the file-system seam, an unsynced LOCK left empty by a crash refusing the open for 10 s) passes', async () => {
    await expectSeedPasses(40);
  });

  it('seed 273 (found a crash-damaged downloaded segment file blocking the open) passes: the file is downloaded again', async () => {
    await expectSeedPasses(273);
  });

  it('seed 463 (found a crash-damaged downloaded segment file blocking the open) passes', async () => {
    await expectSeedPasses(463);
  });

  it('seed 1505 (found a crash-damaged downloaded segment file blocking the open in fsync durability) passes', async () => {
    await expectSeedPasses(1505);
  });

  it('seed 10756 (found a published manifest holding the tombstone of a write after its sealedLsn: an acknowledged document lost with the local disk) passes', async () => {
    await expectSeedPasses(10756);
  });
});
