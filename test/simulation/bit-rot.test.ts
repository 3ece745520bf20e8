/**
 * The bit-rot fault: a digit of a collection's newest manifest changes while no process runs. The
 * store must refuse the manifest (CORRUPT_DATA naming it), and the simulation then restores from
 * the object store; seeds 2, 4 and 8 draw it (object-store, fsync and buffered durability).
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.ts';
import { maybeRotManifest } from '../../src/simulation/bit-rot.ts';
import { isSimulatedCrash } from '../../src/simulation/crash-switch.ts';
import { describeFailure } from '../../src/simulation/simulate-command.ts';
import { runSimulation } from '../../src/simulation/simulation-run.ts';

process.on('unhandledRejection', (reason) => {
  if (!isSimulatedCrash(reason)) throw reason;
});

describe('the bit-rot fault', () => {
  it('changes exactly one digit of the newest manifest of a collection into another digit', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tiervec-bit-rot-'));
    try {
      const dir = join(root, 'tenants', 't0', 'collections', 'a', 'manifest');
      await mkdir(dir, { recursive: true });
      const older = '{"sealedLsn":11}';
      const newest = '{"sealedLsn":12,"crc32":345}';
      await writeFile(join(dir, `${'1'.padStart(20, '0')}.json`), older);
      await writeFile(join(dir, `${'2'.padStart(20, '0')}.json`), newest);
      let rot: ReturnType<typeof maybeRotManifest>;
      const rng = new Rng(7);
      for (let i = 0; rot === undefined && i < 200; i++) rot = maybeRotManifest(root, rng);
      expect(rot?.file).toBe(
        join('tenants', 't0', 'collections', 'a', 'manifest', `${'2'.padStart(20, '0')}.json`),
      );
      const after = String(await readFile(join(root, rot?.file as string)));
      const changed = [...after].flatMap((char, i) => (char === newest[i] ? [] : [i]));
      expect(changed).toEqual([rot?.offset]);
      expect(after[rot?.offset as number]).toMatch(/\d/);
      expect(after[rot?.offset as number]).not.toBe(newest[rot?.offset as number]);
      expect(String(await readFile(join(dir, `${'1'.padStart(20, '0')}.json`)))).toBe(older);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each([2, 4, 8])(
    'seed %i: the store refuses the damaged manifest, the restore from the object store passes the checker',
    async (seed) => {
      const result = await runSimulation(seed);
      const faults = result.history.events
        .filter((event) => event.process === 'nemesis')
        .map((event) => event.f);
      expect(faults).toContain('bit-rot');
      const at = faults.indexOf('bit-rot');
      // The recovery from the local directory finds it, the store refuses it, the operator restores.
      expect(faults.slice(at + 1, at + 5)).toEqual(['recover', 'restore', 'crash', 'recover']);
      expect(result.valid, describeFailure(result, {})).toBe(true);
    },
  );
});
