/**
 * Defects of issue 13 that the simulation finds while they are still open on this branch, each with
 * the exact signature of its findings. A seed whose findings match one is reported, not failed, by
 * the seed blocks; the regression tests pin each with `it.fails`. When a defect is fixed, remove it
 * here: its seeds then pass, and its `it.fails` regression test fails until it becomes a plain `it`.
 */

import type { SimulationResult } from '../../src/simulation/simulation-run.ts';

export const DEFECT_5 =
  "defect 5: in 'object-store' durability a rejected write is visible (and a rejected delete takes effect)";

export const DAMAGED_DOWNLOAD =
  'a segment file downloaded from the object store is cached without fsync; once a crash damages it, the store refuses to open (CORRUPT_DATA) instead of downloading it again';

interface KnownDefect {
  name: string;
  matches(result: SimulationResult): boolean;
}

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    name: DEFECT_5,
    matches: (result) =>
      result.config.durability === 'object-store' &&
      result.problems.length === 0 &&
      result.check.violations.some((v) => v.kind === 'failed-write-visible') &&
      result.check.violations.every(
        (v) => v.kind === 'failed-write-visible' || v.kind === 'search-disagrees-with-get',
      ),
  },
  {
    name: DAMAGED_DOWNLOAD,
    matches: (result) =>
      result.problems.length === 1 &&
      /open failed .*Segment file \S+ does not match its recorded size and CRC-32/.test(
        result.problems[0] ?? '',
      ),
  },
];

export function knownDefectOf(result: SimulationResult): string | undefined {
  return KNOWN_DEFECTS.find((defect) => defect.matches(result))?.name;
}
