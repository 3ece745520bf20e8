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
  BUFFERED_FLUSHED_LOST,
  DAMAGED_DOWNLOAD,
  DEFECT_5,
  knownDefectOf,
  LSN_REUSE,
  MISSING_TOMBSTONE_FILE,
  NUMBER_REUSE,
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
  it('seed 37 finds defect 5: a write rejected in object-store durability is read back', async () => {
    await expectSeedFinds(37, DEFECT_5);
  });

  it.fails('seed 37 passes once defect 5 is fixed (a rejected write leaves no trace)', async () => {
    await expectSeedPasses(37);
  });

  it('seed 273 finds that a crash-damaged downloaded segment file blocks opening', async () => {
    await expectSeedFinds(273, DAMAGED_DOWNLOAD);
  });

  it.fails('seed 273 passes once a damaged downloaded segment file is downloaded again on open', async () => {
    await expectSeedPasses(273);
  });

  it('seed 178 finds a tombstone file missing on local disk after a recovery from the object store', async () => {
    await expectSeedFinds(178, MISSING_TOMBSTONE_FILE);
  });

  it.fails('seed 178 passes once a tombstone file the manifest names is always on local disk (or downloaded again)', async () => {
    await expectSeedPasses(178);
  });

  it('seed 494 finds documents sealed by an acknowledged flush missing after crashes in buffered durability', async () => {
    await expectSeedFinds(494, BUFFERED_FLUSHED_LOST);
  });

  it.fails('seed 494 passes once flushed documents survive every crash in buffered durability', async () => {
    await expectSeedPasses(494);
  });

  it('seed 1505 finds a crash-damaged downloaded segment file blocking the open in fsync durability too', async () => {
    await expectSeedFinds(1505, DAMAGED_DOWNLOAD);
  });

  it('seed 2219 finds an LSN shared by an unacknowledged and an acknowledged write after a crash', async () => {
    await expectSeedFinds(2219, LSN_REUSE);
  });

  it.fails('seed 2219 passes once LSNs are never reused after a crash in object-store durability', async () => {
    await expectSeedPasses(2219);
  });

  it('seed 1304 finds a tombstone object that no longer matches its manifest after crashes', async () => {
    await expectSeedFinds(1304, NUMBER_REUSE);
  });

  it('seed 1397 finds a cached segment ids file that no longer matches its manifest after crashes', async () => {
    await expectSeedFinds(1397, NUMBER_REUSE);
  });

  it.fails('seed 1304 passes once nothing the manifest names is ever rewritten with other content', async () => {
    await expectSeedPasses(1304);
  });

  it.fails('seed 10756 passes once no acknowledged write is lost to crashes in fsync durability (undiagnosed)', async () => {
    await expectSeedPasses(10756);
  });

  it.fails('seed 9530 passes once acknowledged deletes survive crashes in object-store durability (undiagnosed)', async () => {
    await expectSeedPasses(9530);
  });
});
