/**
 * Runs a block of simulation seeds inside one test: every seed must pass the checker, except seeds
 * whose findings are exactly those of a defect still open (`KNOWN_DEFECTS`), which are counted and
 * listed. A failing seed's message is its replay command. Blocks are spread over several test files
 * so that vitest's forks run them in parallel.
 */

import { expect, it } from 'vitest';
import { isSimulatedCrash } from '../../src/simulation/crash-switch.ts';
import { describeFailure } from '../../src/simulation/simulate-command.ts';
import { runSimulation, type SimulationResult } from '../../src/simulation/simulation-run.ts';
import { knownDefectOf } from './known-defects.ts';

/** Seeds per test file; eight files make the CI budget of 1,000 seeds. */
export const SEEDS_PER_BLOCK = 125;

// A crashed store object is abandoned mid-flight; rejections nobody awaits are the crash itself.
process.on('unhandledRejection', (reason) => {
  if (!isSimulatedCrash(reason)) throw reason;
});

export function itRunsSeeds(block: number, count = SEEDS_PER_BLOCK): void {
  const from = 1 + (block - 1) * SEEDS_PER_BLOCK;
  it(`passes the checker on seeds ${from}..${from + count - 1}`, { timeout: 600_000 }, async () => {
    const unexpected: string[] = [];
    const known = new Map<string, number[]>();
    for (let seed = from; seed < from + count; seed++) {
      const result: SimulationResult = await runSimulation(seed);
      if (result.valid) continue;
      const defect = knownDefectOf(result);
      if (defect === undefined) unexpected.push(describeFailure(result, {}));
      else known.set(defect, [...(known.get(defect) ?? []), seed]);
    }
    for (const [defect, seeds] of known) {
      console.info(`known defect still open (${defect}): seeds ${seeds.join(', ')}`);
    }
    expect(unexpected, unexpected.join('\n\n')).toEqual([]);
  });
}
